"""End to end: the real Rasa and action servers, over the REST webhook."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest

from bot.clinic.care_team import with_care_team
from bot.deploy.chat import send
from bot.settings import care_team
from bot.engine.knowledge import Answer, load_knowledge
from bot.engine.replies import Reply, disclaimer
from bot.engine.safety import urgent_message

pytestmark = pytest.mark.slow
KB = load_knowledge()


def shown(answer: Answer) -> str:
    """An article answer as sent: the care team's card follows one that names a doctor."""
    return with_care_team(Reply(answer.full_text, answer_id=answer.answer_id), None, care_team()).text


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def test_server_answers_health_check(assistant) -> None:
    with urllib.request.urlopen(f"{assistant.url}/", timeout=5) as response:
        assert response.status == 200
        assert b"Hello from Rasa" in response.read()


def test_first_message_gets_the_disclaimer_then_the_answer(assistant, post_rest) -> None:
    status, messages = post_rest(assistant.url, json.dumps(
        {"sender": new_sender(), "message": "what is bone marrow edema?"}).encode())
    assert status == 200
    assert [m["text"] for m in messages] == [disclaimer(), shown(KB.answer("what_is"))]
    assert [b["payload"] for b in messages[1]["buttons"]] == [
        *(f"/ask_{t}" for t in KB.topics["what_is"].next), "/feedback_helpful", "/feedback_not_helpful"]


def test_button_payload_answers_that_topic(assistant) -> None:
    sender = new_sender()
    send(assistant.url, sender, "hello")
    messages = send(assistant.url, sender, "/ask_treatment")
    assert [m["text"] for m in messages] == [shown(KB.answer("treatment"))]


@pytest.mark.parametrize("text, kind", [
    ("my dad fell and can't get up", "emergency"),
    ("I want to kill myself", "crisis"),
    ("I took too many pills", "overdose"),
])
def test_red_flags_get_the_urgent_message_only(assistant, text: str, kind: str) -> None:
    sender = new_sender()
    send(assistant.url, sender, "hi")
    messages = send(assistant.url, sender, text)
    assert messages == [{"recipient_id": sender, "text": urgent_message(kind)}]


def test_context_carries_across_turns(assistant) -> None:
    sender = new_sender()
    send(assistant.url, sender, "I tore my ACL skiing")
    messages = send(assistant.url, sender, "how long does it last?")
    assert [m["text"] for m in messages] == [shown(KB.answer("duration", "injury"))]


def test_gibberish_gets_did_you_mean_buttons(assistant) -> None:
    sender = new_sender()
    send(assistant.url, sender, "hi")
    messages = send(assistant.url, sender, "qwzx plorb vint")
    assert len(messages) == 1
    assert messages[0]["text"].startswith(("Sorry, I'm not sure I understood", "Sorry, I can only"))
    assert messages[0]["buttons"]


def test_invalid_json_is_rejected_without_a_server_error(assistant, post_rest) -> None:
    status, _ = post_rest(assistant.url, b"{not json")
    assert 400 <= status < 500


def test_a_typed_payload_cannot_carry_a_warning_sign_past_the_check(assistant) -> None:
    sender = new_sender()
    send(assistant.url, sender, "hi")
    messages = send(assistant.url, sender, '/ask_serious{"CAUSE": "I want to kill myself"}')
    assert [m["text"] for m in messages] == [urgent_message("crisis")]
