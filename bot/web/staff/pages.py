"""The staff dashboard of the web server: ``/staff`` (figures of a period), ``/staff/export.csv``,
``/staff/login`` and ``/staff/logout``.

No login, no page: without a valid session cookie the dashboard redirects to the login page and
the CSV answers 401. Without ``BME_STAFF_PASSWORD_HASH`` the dashboard is off and the login page
says how to switch it on. Figures come from a read-only query of the tracker store
(:mod:`bot.stores.stored_events`) and show no conversation id; patients' words only with
``BME_DASHBOARD_TEXT=1``, redacted.
"""

from __future__ import annotations

import asyncio
import html
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Mapping, Optional, Tuple

from aiohttp import web

from bot.web.staff.figures import summarize
from bot import settings
from bot.clinic.reviews import needing_review
from bot.stores.stored_events import read_messages
from bot.web.staff.dashboard import csv_text, review_warning, sections
from bot.web.templates import fill, html_response, protect
from bot.web.staff.auth import Sessions, Throttle, verify_password

COOKIE = "bme_staff"
DEFAULT_DAYS = 30
CSP = ("default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


@dataclass
class StaffConfig:
    """The dashboard's settings and its sessions (read from the environment by default)."""

    password_hash: Optional[str] = field(default_factory=settings.staff_password_hash)
    show_text: bool = field(default_factory=settings.dashboard_text)
    store: Mapping[str, Any] = field(default_factory=settings.tracker_store)
    sessions: Sessions = field(
        default_factory=lambda: Sessions(settings.staff_session_minutes() * 60))
    throttle: Throttle = field(default_factory=Throttle)


STAFF_KEY = web.AppKey("staff", StaffConfig)


def _page(name: str, values: Mapping[str, str], status: int = 200) -> web.Response:
    """``pages/<name>`` with ``$placeholders`` filled (values are markup built by this module)."""
    return html_response(fill(name, values), CSP, status)


def _logged_in(request: web.Request) -> bool:
    return request.app[STAFF_KEY].sessions.valid(request.cookies.get(COOKIE))


def _day(raw: str) -> date:
    return datetime.strptime(raw, "%Y-%m-%d").date()


def period(query: Mapping[str, str], today: date) -> Tuple[date, date, Optional[str]]:
    """The period asked for (``from``/``to``, both included), by default the last 30 days; an
    error line instead of a failure when the dates cannot be read or are the wrong way round."""
    default = (today - timedelta(days=DEFAULT_DAYS - 1), today)
    try:
        since = _day(query["from"]) if query.get("from") else default[0]
        until = _day(query["to"]) if query.get("to") else default[1]
    except ValueError:
        return (*default, "Dates must look like 2026-12-31. Showing the last 30 days.")
    if since > until:
        return (*default, "The start date is after the end date. Showing the last 30 days.")
    return since, until, None


def _epoch(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()


async def _figures(request: web.Request) -> Tuple[Any, Any, date, date, Optional[str]]:
    config = request.app[STAFF_KEY]
    today = datetime.now(timezone.utc).date()
    since, until, error = period(request.query, today)
    events = await asyncio.to_thread(read_messages, config.store, _epoch(since),
                                     _epoch(until + timedelta(days=1)))
    return summarize(events, config.show_text), needing_review(today), since, until, error


async def dashboard(request: web.Request) -> web.Response:
    """``GET /staff``: the figures of the period asked for."""
    if not _logged_in(request):
        raise web.HTTPSeeOther("/staff/login")
    summary, pending, since, until, error = await _figures(request)
    query = f"from={since.isoformat()}&amp;to={until.isoformat()}"
    text_state = "on (redacted)" if request.app[STAFF_KEY].show_text else "off"
    return _page("staff.html", {
        "from": since.isoformat(), "to": until.isoformat(), "csv_query": query,
        "period_error": f'<p class="warning" role="alert">{html.escape(error)}</p>' if error else "",
        "review_warning": review_warning(pending),
        "sections": sections(summary, pending, request.app[STAFF_KEY].show_text),
        "text_state": text_state})


async def export_csv(request: web.Request) -> web.Response:
    """``GET /staff/export.csv``: the same figures as CSV (401 without a login)."""
    if not _logged_in(request):
        raise web.HTTPUnauthorized(text="Log in at /staff/login first.")
    summary, pending, since, until, _ = await _figures(request)
    response = web.Response(text=csv_text(summary, pending, since, until), content_type="text/csv",
                            charset="utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="bme-dashboard-{since.isoformat()}-{until.isoformat()}.csv"')
    protect(response, CSP)
    return response


def _login_page(message: str = "", status: int = 200, enabled: bool = True) -> web.Response:
    if not enabled:
        message = ("The staff dashboard is switched off. To switch it on, make a password hash with "
                   "`make staff-password` and set BME_STAFF_PASSWORD_HASH for the web server.")
    return _page("staff-login.html", {
        "message": f'<p class="warning" role="alert">{html.escape(message)}</p>' if message else "",
        "disabled": "" if enabled else " disabled"}, status)


async def login_form(request: web.Request) -> web.Response:
    """``GET /staff/login``."""
    if _logged_in(request):
        raise web.HTTPSeeOther("/staff")
    enabled = request.app[STAFF_KEY].password_hash is not None
    return _login_page(status=200 if enabled else 503, enabled=enabled)


async def login(request: web.Request) -> web.Response:
    """``POST /staff/login``: a right password starts a session; five wrong ones in five minutes
    from one address are refused for a while."""
    config = request.app[STAFF_KEY]
    if config.password_hash is None:
        return _login_page(status=503, enabled=False)
    client = request.remote or "unknown"
    if config.throttle.blocked(client):
        return _login_page("Too many wrong passwords. Wait five minutes and try again.", 429)
    form = await request.post()
    password = str(form.get("password", ""))
    if not await asyncio.to_thread(verify_password, password, config.password_hash):
        config.throttle.failed(client)
        return _login_page("That password is not right.", 401)
    response = web.HTTPSeeOther("/staff")
    response.set_cookie(COOKIE, config.sessions.start(), httponly=True, samesite="Strict",
                        path="/staff", secure=request.secure,
                        max_age=int(config.sessions.lifetime_s))
    raise response


async def logout(request: web.Request) -> web.Response:
    """``POST /staff/logout``: end the session."""
    request.app[STAFF_KEY].sessions.end(request.cookies.get(COOKIE))
    response = web.HTTPSeeOther("/staff/login")
    response.del_cookie(COOKIE, path="/staff")
    raise response


def add_staff_routes(app: web.Application, config: Optional[StaffConfig] = None) -> None:
    """Mount the dashboard on the web server's application."""
    app[STAFF_KEY] = config or StaffConfig()
    app.router.add_get("/staff", dashboard)
    app.router.add_get("/staff/export.csv", export_csv)
    app.router.add_get("/staff/login", login_form)
    app.router.add_post("/staff/login", login)
    app.router.add_post("/staff/logout", logout)
