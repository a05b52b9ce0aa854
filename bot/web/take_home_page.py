"""``/summary``: the take-home summary page (:mod:`bot.clinic.take_home`), printable, with a QR code that
opens the same page on a phone. The QR code is drawn here (segno), as inline SVG: no other
service sees the link. A link that cannot be shown gets a page that says why (status 404 or
410), never a server error.
"""

from __future__ import annotations

import html
import io
from datetime import date
from typing import Optional
from urllib.parse import urlencode, urlsplit

import segno
from aiohttp import web

from bot.settings import public_url
from bot.web.templates import fill, html_response
from bot.clinic.take_home import PATH, Summary, SummaryError, build, content_version, parse
from bot.engine.knowledge import DEFAULT_LANGUAGE, language_in_use, speaking
from bot.engine.language import from_metadata
from bot.engine.replies import load_replies

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; object-src 'none'")


def qr_svg(url: str) -> str:
    """A QR code of ``url`` as an SVG element, with a text alternative."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=5, border=4, xmldecl=False,
                                    svgns=True, svgclass="qr", lineclass=None, nl=False, omitsize=True,
                                    dark="#000000", light="#ffffff")
    return out.getvalue().decode("utf-8").replace(
        "<svg ", '<svg role="img" aria-label="QR code that opens this summary on a phone" ', 1)


def _base_url(request: web.Request) -> str:
    configured = public_url()
    if configured:
        return configured
    host = urlsplit(f"//{request.host}")
    return f"{request.scheme}://{host.netloc}"


def _entries(summary: Summary) -> str:
    parts = []
    for number, entry in enumerate(summary.entries, 1):
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in entry.text.split("\n\n"))
        parts.append(f'<article class="entry" aria-labelledby="e{number}">'
                     f'<h2 id="e{number}">{html.escape(entry.title)}</h2>{paragraphs}'
                     f'<p class="review">{html.escape(entry.review)}</p></article>')
    return "\n".join(parts)


def render(summary: Summary, link: str) -> str:
    """The summary page for ``summary``, whose own address is ``link``, in the language in use."""
    words = {key: html.escape(text) for key, text in load_replies().summary_page.items()}
    words["source"] = html.escape(load_replies().summary_page["source"].format(version=summary.version))
    return fill(
        "summary.html", dict(entries=_entries(summary), disclaimer=html.escape(summary.disclaimer),
        urgent="".join(f"<p>{html.escape(line)}</p>" for line in summary.urgent),
        qr=qr_svg(link), link=html.escape(link), lang=language_in_use(), **words))


def error_page(message: str, status: int) -> web.Response:
    return html_response(fill("summary-error.html", {"message": html.escape(message)}), CSP, status)


async def summary_page(request: web.Request) -> web.Response:
    """``GET /summary?v=<content version>&a=<answer id>,<answer id>[&l=es]``."""
    language = from_metadata({"language": request.query.get("l")}) or DEFAULT_LANGUAGE
    with speaking(language):
        return _summary(request, language)


def _summary(request: web.Request, language: str) -> web.Response:
    version, answers = request.query.get("v", ""), request.query.get("a", "")
    try:
        ids = parse(version, answers)
    except SummaryError as error:
        return error_page(str(error), 410 if version and version != content_version() else 404)
    other = {} if language == DEFAULT_LANGUAGE else {"l": language}
    link = f"{_base_url(request)}{PATH}?{urlencode({'v': version, 'a': ','.join(ids), **other})}"
    return html_response(render(build(ids, date.today()), link), CSP)


def add_summary_route(app: web.Application, path: Optional[str] = None) -> None:
    app.router.add_get(path or PATH, summary_page)
