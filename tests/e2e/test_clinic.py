"""The clinic's side on the real servers: feedback in the dashboard's figures, the dashboard's
login, "delete my chat" in SQLite and PostgreSQL, redaction and text-free storage.

Each check reads the tracker store itself (SQLite file or PostgreSQL database), not what the
assistant says about it.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List

import psycopg2
import pytest

from bot.web.staff.figures import summarize
from bot.settings import tracker_store
from bot.engine.replies import load_replies
from bot.stores.stored_events import read_messages

DELETED = load_replies().get("chat_deleted")[0]
IDENTIFIERS = ["jo.bloggs@example.com", "07700 900123", "12/03/1980", "MRN 5561234"]
REDACTION_MESSAGE = ("I'm jo.bloggs@example.com, call 07700 900123, DOB 12/03/1980, MRN 5561234. "
                     "My MRI says bone marrow edema, is it serious?")


def say(url: str, sender: str, text: str) -> List[Dict[str, Any]]:
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", headers={
        "Content-Type": "application/json"}, data=json.dumps({"sender": sender,
                                                               "message": text}).encode())
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        return json.loads(response.read())


def sqlite_rows(db: Path, sender: str) -> List[str]:
    with contextlib.closing(sqlite3.connect(db)) as connection:
        return [row[0] for row in connection.execute(
            "SELECT data FROM events WHERE sender_id = ?", (sender,))]


def postgres_rows(url: str, sender: str) -> List[str]:
    with contextlib.closing(psycopg2.connect(url)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT data FROM events WHERE sender_id = %s", (sender,))
        return [row[0] for row in cursor.fetchall()]


def new_sender() -> str:
    return f"clinic-{uuid.uuid4().hex[:10]}"


def test_feedback_lands_in_the_dashboard_without_ids_or_text(assistant, staff_get) -> None:
    sender = new_sender()
    answer = say(assistant.url, sender, "what does bone marrow lesion mean")[-1]
    payloads = [b["payload"] for b in answer["buttons"]]
    assert payloads[-2:] == ["/feedback_helpful", "/feedback_not_helpful"]
    say(assistant.url, sender, "/feedback_not_helpful")
    say(assistant.url, sender, "/feedback_too_hard")
    stored = [json.loads(r) for r in sqlite_rows(assistant.db_path, sender)]
    rated = [e["metadata"]["bme"]["feedback"] for e in stored
             if e.get("event") == "bot" and (e.get("metadata") or {}).get("bme", {}).get("feedback")]
    answer_id = rated[0]["answer_id"]
    assert [r["rating"] for r in rated] == ["not_helpful", "too_hard"]
    assert all(r["answer_id"] == answer_id for r in rated)  # the reason rates the same answer
    status, csv = staff_get(assistant.web_url, "/staff/export.csv?from=2000-01-01")
    assert status == 200
    assert f"feedback,{answer_id},not_helpful," in csv and f"feedback,{answer_id},too_hard," in csv
    status, page = staff_get(assistant.web_url, "/staff?from=2000-01-01")
    assert status == 200 and "Feedback on answers" in page
    for secret in (sender, "lesion mean"):
        assert secret not in csv and secret not in page


def test_the_dashboard_refuses_without_login(assistant, staff_get) -> None:
    for path, refused in (("/staff", 303), ("/staff/export.csv", 401)):
        request = urllib.request.Request(f"{assistant.web_url}{path}")
        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as error:
            opener.open(request, timeout=30)
        assert error.value.code == refused
        assert "feedback" not in error.value.read().decode("utf-8", "replace")
    status, page = staff_get(assistant.web_url, "/staff", password="not the password")
    assert status == 401 and "Staff login" in page and "Feedback on answers" not in page


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_identifiers_are_never_stored(assistant) -> None:
    sender = new_sender()
    replies = say(assistant.url, sender, REDACTION_MESSAGE)
    assert replies  # answered as usual
    stored = "\n".join(sqlite_rows(assistant.db_path, sender))
    assert "bone marrow edema" in stored.lower() and "[email]" in stored
    for identifier in IDENTIFIERS:
        assert identifier not in stored


def test_delete_my_chat_leaves_no_row_in_sqlite(assistant) -> None:
    sender = new_sender()
    say(assistant.url, sender, "is it serious?")
    assert sqlite_rows(assistant.db_path, sender)
    assert [m["text"] for m in say(assistant.url, sender, "delete my chat")] == [DELETED]
    assert sqlite_rows(assistant.db_path, sender) == []
    # a new message starts a new conversation: the disclaimer again, nothing carried over
    again = say(assistant.url, sender, "/greet")
    assert again[0]["text"].startswith("Hi, I'm a computer program")


def test_delete_my_chat_leaves_no_row_in_postgresql(
        trained_model: Path, running_servers: Callable[..., Any], temporary_database: Any,
        tmp_path: Path) -> None:
    with temporary_database("bme_delete") as url, \
            running_servers(trained_model, tmp_path, {"BME_DATABASE_URL": url}) as servers:
        sender, other = new_sender(), new_sender()
        say(servers.url, sender, "how long does it last")
        say(servers.url, other, "what is it")
        assert postgres_rows(url, sender)
        assert [m["text"] for m in say(servers.url, sender, "/delete_my_chat")] == [DELETED]
        assert postgres_rows(url, sender) == []
        assert postgres_rows(url, other)  # nobody else's chat
        # the dashboard's read-only query works on PostgreSQL too, and counts what is left
        store = tracker_store({"BME_DATABASE_URL": url})
        figures = summarize(read_messages(store, 0, time.time() + 60))
        assert figures.answers["what_is/overview"] == 1 and sum(figures.answers.values()) == 1
        assert figures.messages == {"rest": 1}


def test_text_free_setting_stores_no_words(
        trained_model: Path, running_servers: Callable[..., Any], tmp_path: Path) -> None:
    with running_servers(trained_model, tmp_path, {"BME_STORE_TEXT": "0"}) as servers:
        sender = new_sender()
        first = say(servers.url, sender, "my knee scan from skiing says bone bruise, how long?")
        follow = say(servers.url, sender, "and is it serious")  # the conversation still works
        assert first and follow
        rows = [json.loads(r) for r in sqlite_rows(servers.db_path, sender)]
        users = [e for e in rows if e["event"] == "user"]
        assert len(users) == 2 and all(e["text"] is None for e in users)
        assert all(e["parse_data"]["intent"]["name"] for e in users)
        assert not any("skiing" in json.dumps(e) or "Bone" in json.dumps(e) for e in rows)
        assert any(e["event"] == "slot" and e["name"] == "answer_id" and e["value"] for e in rows)
