"""The staff dashboard in-process: login, sessions, figures, CSV, no patient data by default.

A SQLite file with Rasa's ``events`` table stands in for the tracker store; the end-to-end tests
(tests/e2e/test_clinic.py) fill a real one through the real servers.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.web.app import VENDOR_FILES, WebConfig, create_app
from bot.web.staff.pages import COOKIE, StaffConfig, period
from bot.web.staff.auth import Sessions, Throttle, hash_password, verify_password

PASSWORD = "correct horse battery staple"
NOW = datetime.now(timezone.utc).timestamp()
SECRET_WORDS = "my zebra knee jo@example.com"


def user(text: str, channel: str = "socketio", at: float = NOW) -> Dict[str, Any]:
    return {"event": "user", "timestamp": at, "text": text, "input_channel": channel,
            "parse_data": {"intent": {"name": "x"}}}


def bot(kind: str, answer_id: Optional[str] = None, at: float = NOW, **extra: Any) -> Dict[str, Any]:
    return {"event": "bot", "timestamp": at, "text": "reply", "data": {},
            "metadata": {"bme": {"kind": kind, "answer_id": answer_id, **extra}}}


CONVERSATIONS = {
    "web-1": [user("what is it?"), bot("answer", "what_is/overview"),
              user("/feedback_helpful"), bot("feedback", feedback={"rating": "helpful",
                                                                    "answer_id": "what_is/overview"}),
              user(SECRET_WORDS), bot("fallback")],
    "+15551234567": [user("is it serious", "twilio"), bot("answer", "serious/general+duration/general"),
                     user("/feedback_not_helpful", "twilio"),
                     bot("feedback", feedback={"rating": "not_helpful",
                                               "answer_id": "serious/general+duration/general"}),
                     user("I have a fever and a hot red leg", "twilio"), bot("urgent", "urgent/infection")],
    "old": [user("book me a taxi", "telegram", at=NOW - 90 * 86400),
            bot("out_of_scope", at=NOW - 90 * 86400)],
}


def make_store(path: Path) -> Dict[str, Any]:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT,"
                       " timestamp REAL, intent_name TEXT, action_name TEXT, data TEXT)")
    for sender, events in CONVERSATIONS.items():
        for event in events:
            connection.execute("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES "
                               "(?, ?, ?, ?)", (sender, event["event"], event["timestamp"],
                                                json.dumps(event)))
    connection.commit()
    connection.close()
    return {"type": "x", "dialect": "sqlite", "db": str(path)}


def vendor_dir(path: Path) -> Path:
    for name in VENDOR_FILES.values():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text("//")
    return path


@pytest.fixture
def staff(tmp_path: Path) -> StaffConfig:
    return StaffConfig(password_hash=hash_password(PASSWORD, iterations=1000), show_text=False,
                       store=make_store(tmp_path / "events.db"), sessions=Sessions(600))


async def client_for(staff: StaffConfig, tmp_path: Path) -> TestClient:
    config = WebConfig(rasa_port=5999, node_modules=vendor_dir(tmp_path / "nm"))
    return TestClient(TestServer(create_app(config, staff)))


async def login(client: TestClient, password: str = PASSWORD) -> Any:
    return await client.post("/staff/login", data={"password": password}, allow_redirects=False)


async def test_no_login_no_page_and_no_figures(staff: StaffConfig, tmp_path: Path) -> None:
    async with await client_for(staff, tmp_path) as client:
        page = await client.get("/staff", allow_redirects=False)
        assert page.status == 303 and page.headers["Location"] == "/staff/login"
        csv = await client.get("/staff/export.csv")
        assert csv.status == 401 and "what_is" not in await csv.text()
        client.session.cookie_jar.update_cookies({COOKIE: "made-up"})
        assert (await client.get("/staff", allow_redirects=False)).status == 303


async def test_wrong_password_is_refused_then_throttled(staff: StaffConfig, tmp_path: Path) -> None:
    async with await client_for(staff, tmp_path) as client:
        for _ in range(5):
            assert (await login(client, "guess")).status == 401
        assert (await login(client)).status == 429  # even the right one, for a while
        assert (await client.get("/staff", allow_redirects=False)).status == 303


async def test_dashboard_figures_without_patient_data(staff: StaffConfig, tmp_path: Path) -> None:
    async with await client_for(staff, tmp_path) as client:
        response = await login(client)
        assert response.status == 303
        cookie = response.cookies[COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/staff"
        page = await client.get("/staff")
        text = await page.text()
        assert page.status == 200 and "script-src 'none'" in page.headers["Content-Security-Policy"]
        assert "<th scope=\"row\">socketio</th><td>1</td><td>3</td>" in text
        assert "<th scope=\"row\">twilio</th><td>1</td><td>3</td>" in text
        assert "telegram" not in text  # 90 days ago: outside the default 30 days
        assert "infection" in text and "serious/general" in text
        for secret in ("web-1", "15551234567", SECRET_WORDS, "jo@example.com", "fever"):
            assert secret not in text
        csv = await (await client.get("/staff/export.csv")).text()
        assert "feedback,what_is/overview,helpful,1" in csv
        assert "feedback,serious/general+duration/general,not_helpful,1" in csv
        assert "unanswered,fallback,,1" in csv and "urgent,infection,,1" in csv
        assert "web-1" not in csv and "zebra" not in csv
        older = await (await client.get("/staff?from=2000-01-01")).text()
        assert "telegram" in older
        await client.post("/staff/logout")
        assert (await client.get("/staff", allow_redirects=False)).status == 303


async def test_text_on_shows_only_redacted_words(staff: StaffConfig, tmp_path: Path) -> None:
    staff.show_text = True
    async with await client_for(staff, tmp_path) as client:
        await login(client)
        text = await (await client.get("/staff")).text()
        assert "my zebra knee [email]" in text and "jo@example.com" not in text


async def test_dashboard_is_off_without_a_password_hash(staff: StaffConfig, tmp_path: Path) -> None:
    staff.password_hash = None
    async with await client_for(staff, tmp_path) as client:
        page = await client.get("/staff/login")
        assert page.status == 503 and "make staff-password" in await page.text()
        assert (await login(client, "")).status == 503


def test_password_hash_and_sessions() -> None:
    stored = hash_password("s3cret-enough!", iterations=1000)
    assert stored.startswith("pbkdf2_sha256$1000$") and "s3cret" not in stored
    assert verify_password("s3cret-enough!", stored) and not verify_password("s3cret", stored)
    assert not verify_password("x", None) and not verify_password("x", "garbage")
    clock: List[float] = [0.0]
    sessions = Sessions(60, clock=lambda: clock[0])
    token = sessions.start()
    assert sessions.valid(token) and not sessions.valid("other") and not sessions.valid(None)
    clock[0] = 61
    assert not sessions.valid(token)
    throttle = Throttle(clock=lambda: clock[0])
    for _ in range(5):
        throttle.failed("1.2.3.4")
    assert throttle.blocked("1.2.3.4") and not throttle.blocked("5.6.7.8")
    clock[0] += 301
    assert not throttle.blocked("1.2.3.4")


def test_period_defaults_and_bad_dates() -> None:
    today = datetime(2026, 12, 6).date()
    assert period({}, today)[:2] == (datetime(2026, 11, 7).date(), today)
    assert period({"from": "2026-12-01", "to": "2026-12-02"}, today)[2] is None
    assert "2026-12-31" in str(period({"from": "yesterday"}, today)[2])
    assert "after the end" in str(period({"from": "2026-12-05", "to": "2026-12-01"}, today)[2])
