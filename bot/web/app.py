"""The web server of the chat widget and the kiosk: an aiohttp app factory.

It serves three things and nothing else:

- ``/`` a demo page of the clinic website with the widget embedded by one ``<script>`` tag, and
  ``/kiosk`` the waiting-room kiosk page (both filled in from ``pages/``);
- ``/static/`` the widget's and kiosk's own JavaScript and CSS (``static/``);
- ``/vendor/`` the few browser files we use from npm (socket.io client, marked, DOMPurify), read
  from ``node_modules`` (installed by ``make setup`` with ``npm ci``, never committed).

The pages talk to Rasa's socket.io channel directly, cross-origin; ``bot.deploy.serve`` starts Rasa with
``--cors`` for this server's origin (see the comment there).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Awaitable, Callable, Dict, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from aiohttp import web

import json

from bot.engine.knowledge import load_knowledge, speaking
from bot.engine.language import ENGLISH, LANGUAGES, from_metadata
from bot.engine.replies import disclaimer, load_replies, topic_button
from bot.web.staff.pages import StaffConfig, add_staff_routes
from bot.web.take_home_page import add_summary_route
from bot.web.templates import fill, html_response
from bot.web.readiness import add_health_routes

ROOT = Path(__file__).resolve().parent.parent.parent
STATIC_DIR = Path(__file__).resolve().parent / "static"
NODE_MODULES = ROOT / "node_modules"
# URL name under /vendor/ -> file inside node_modules. Only these files are served from there.
VENDOR_FILES: Mapping[str, str] = {
    "socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
    "marked.umd.js": "marked/lib/marked.umd.js",
    "purify.min.js": "dompurify/dist/purify.min.js",
}
# The replies.yml entry whose buttons are "the main questions" (the kiosk's big buttons).
MAIN_QUESTIONS_REPLY = "greet"
DEFAULT_IDLE_S = 120
DEFAULT_WARNING_S = 20


@dataclass(frozen=True)
class WebConfig:
    """Settings of the web server.

    Attributes:
        rasa_port: port of the Rasa server, used when ``rasa_url`` is not set.
        rasa_url: Rasa's URL as the browser reaches it. ``None``: the host name the page was
            loaded from, with ``rasa_port`` (so a kiosk on the clinic network works too).
        node_modules: where ``npm ci`` installed the browser libraries.
        kiosk_idle_s: default seconds without a touch before the kiosk warns (``?idle=`` overrides).
        kiosk_warning_s: default seconds the warning shows before the reset (``?warning=``).
    """

    rasa_port: int = 5005
    rasa_url: Optional[str] = None
    node_modules: Path = NODE_MODULES
    kiosk_idle_s: int = DEFAULT_IDLE_S
    kiosk_warning_s: int = DEFAULT_WARNING_S


CONFIG_KEY = web.AppKey("config", WebConfig)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _rasa_url(request: web.Request) -> str:
    config = request.app[CONFIG_KEY]
    if config.rasa_url:
        return config.rasa_url.rstrip("/")
    # request.host is "name:port" as the browser sent it (request.url is not used: this aiohttp
    # and yarl disagree about ports in host names).
    host = urlsplit(f"//{request.host}").hostname or "localhost"
    host = f"[{host}]" if ":" in host else host
    return f"{request.scheme}://{host}:{config.rasa_port}"


def _content_security_policy(rasa_url: str) -> str:
    """Only our own scripts and styles run; the only other server the page talks to is Rasa.

    This is a second line of defence: the widget already shows any HTML in messages as text.
    """
    websocket = "ws" + rasa_url[len("http"):] if rasa_url.startswith("http") else rasa_url
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' {rasa_url} {websocket}; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'; object-src 'none'")


def _render(name: str, values: Mapping[str, str], rasa_url: str,
            built_html: Mapping[str, str] = MappingProxyType({})) -> web.Response:
    """Fill ``pages/<name>``'s ``$placeholders`` and send it.

    Every value of ``values`` is HTML-escaped; ``built_html`` is markup this module built itself
    (escaping what it put in) and goes in as it is.
    """
    body = fill(name, {**{key: html.escape(value) for key, value in values.items()},
                       **built_html})
    return html_response(body, _content_security_policy(rasa_url))


def _question_buttons_html(topics: Sequence[str]) -> str:
    """A big kiosk button per topic: labelled as in knowledge.yml, asking ``/ask_<topic>``."""
    kb = load_knowledge()
    buttons = [topic_button(kb, topic) for topic in topics]
    return "\n".join(
        f'<button type="button" class="kiosk-question" data-payload="{html.escape(b.payload)}">'
        f"{html.escape(b.title)}</button>" for b in buttons)


def main_question_topics() -> Tuple[str, ...]:
    """The topics the greeting offers: the kiosk's main questions, always on screen."""
    return load_replies().get(MAIN_QUESTIONS_REPLY)[1]


def main_questions_html() -> str:
    """The kiosk's big buttons: the topics the greeting offers, labelled as in knowledge.yml."""
    return _question_buttons_html(main_question_topics())


def more_questions_html() -> str:
    """The kiosk's "More questions" grid: every other topic of knowledge.yml, in its order."""
    main = set(main_question_topics())
    return _question_buttons_html([t for t in load_knowledge().topics if t not in main])


def _seconds(request: web.Request, name: str, default: int) -> str:
    """A positive whole number of seconds from the query string, else ``default``."""
    value = request.query.get(name, "")
    return value if value.isdigit() and int(value) > 0 else str(default)


async def demo_page(request: web.Request) -> web.Response:
    """``/``: the demo clinic page, with the widget's script tag pointed at Rasa."""
    rasa_url = _rasa_url(request)
    return _render("index.html", {"rasa_url": rasa_url}, rasa_url)


def page_language(query: Optional[str], accept_language: Optional[str]) -> str:
    """The language a page starts in: ``?lang=``, else the browser's first language the
    assistant speaks (``Accept-Language``), else English."""
    asked = from_metadata({"language": query})
    if asked:
        return asked
    for part in (accept_language or "").split(","):
        found = from_metadata({"language": part.split(";")[0].strip()})
        if found:
            return found
    return ENGLISH


def kiosk_content() -> str:
    """What the kiosk shows from the content, in every language (JSON): the disclaimer and the
    title of each question button by its payload, so the page relabels itself when the
    conversation switches language."""
    content = {}
    for language in LANGUAGES:
        with speaking(language):
            kb = load_knowledge()
            content[language] = {"disclaimer": disclaimer(), "topics": {
                topic_button(kb, t).payload: topic_button(kb, t).title for t in kb.topics}}
    return json.dumps(content, ensure_ascii=False, sort_keys=True)


async def kiosk_page(request: web.Request) -> web.Response:
    """``/kiosk``: the kiosk page; ``?idle=`` and ``?warning=`` set its timeouts in seconds,
    ``?lang=es`` its language (default: the browser's)."""
    config = request.app[CONFIG_KEY]
    rasa_url = _rasa_url(request)
    language = page_language(request.query.get("lang"), request.headers.get("Accept-Language"))
    with speaking(language):
        return _kiosk(request, config, rasa_url, language)


def _kiosk(request: web.Request, config: WebConfig, rasa_url: str, language: str) -> web.Response:
    return _render("kiosk.html", {
        "rasa_url": rasa_url,
        "lang": language,
        "content": kiosk_content(),
        "disclaimer": disclaimer(),
        "idle_s": _seconds(request, "idle", config.kiosk_idle_s),
        "warning_s": _seconds(request, "warning", config.kiosk_warning_s),
        # ?print=1: a kiosk with a printer prints the take-home summary at its first touch
        "print": "1" if request.query.get("print") == "1" else "0",
    }, rasa_url, {"main_questions": main_questions_html(),
                  "more_questions": more_questions_html()})


async def vendor_file(request: web.Request) -> web.FileResponse:
    """``/vendor/<name>``: one of :data:`VENDOR_FILES`, from node_modules; anything else is 404."""
    name = request.match_info["name"]
    if name not in VENDOR_FILES:
        raise web.HTTPNotFound()
    return web.FileResponse(request.app[CONFIG_KEY].node_modules / VENDOR_FILES[name])


async def health(_: web.Request) -> web.Response:
    """``/health``: for ``bot.deploy.serve`` to know the server is up."""
    return web.json_response({"status": "ok"})


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Headers for every response: no MIME sniffing, no referrer sent to other sites."""
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def missing_vendor_files(node_modules: Path) -> Dict[str, Path]:
    """The npm files that are not installed, by URL name."""
    paths = {name: node_modules / path for name, path in VENDOR_FILES.items()}
    return {name: path for name, path in paths.items() if not path.is_file()}


def create_app(config: Optional[WebConfig] = None,
               staff: Optional[StaffConfig] = None) -> web.Application:
    """The web application; raises ``FileNotFoundError`` if the npm files are not installed.

    ``staff`` configures the staff dashboard (:mod:`bot.web.staff.pages`); by default the environment."""
    config = config or WebConfig()
    missing = missing_vendor_files(config.node_modules)
    if missing:
        raise FileNotFoundError(
            f"Browser libraries missing from {config.node_modules}: {sorted(missing)}. "
            "Install them with `make setup` (runs `npm ci`).")
    app = web.Application(middlewares=[security_headers])
    app[CONFIG_KEY] = config
    app.router.add_get("/", demo_page)
    app.router.add_get("/kiosk", kiosk_page)
    app.router.add_get("/health", health)
    add_health_routes(app, lambda: missing_vendor_files(config.node_modules))  # /health/live, /ready
    app.router.add_get("/vendor/{name}", vendor_file)
    app.router.add_static("/static/", STATIC_DIR)
    add_staff_routes(app, staff)
    add_summary_route(app)
    return app
