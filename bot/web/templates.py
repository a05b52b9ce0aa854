"""The web server's pages: its page templates (``pages/``, ``$placeholder`` syntax) and the one
way an HTML response leaves it, with its Content Security Policy and never cached (the pages
may show a patient's answers or the clinic's figures)."""

from __future__ import annotations

from pathlib import Path
from string import Template
from typing import Mapping

from aiohttp import web

PAGES_DIR = Path(__file__).resolve().parent / "pages"


def fill(name: str, markup: Mapping[str, str]) -> str:
    """``pages/<name>`` with its placeholders replaced by ``markup`` (escaped by the caller)."""
    return Template((PAGES_DIR / name).read_text(encoding="utf-8")).substitute(markup)


def protect(response: web.StreamResponse, csp: str) -> web.StreamResponse:
    """``response`` with the policy ``csp`` and ``Cache-Control: no-store``."""
    response.headers["Content-Security-Policy"] = csp
    response.headers["Cache-Control"] = "no-store"
    return response


def html_response(body: str, csp: str, status: int = 200) -> web.Response:
    """An HTML page, protected (:func:`protect`)."""
    response = web.Response(text=body, content_type="text/html", charset="utf-8", status=status)
    protect(response, csp)
    return response
