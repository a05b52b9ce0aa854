"""Redaction, the "delete my chat" command and text-free storage (bot/clinic/privacy.py)."""

from __future__ import annotations

import pytest

from bot.clinic.privacy import DELETE_PAYLOAD, is_delete_request, pseudonym, redact, text_free

# (what a patient might write, what must never be stored)
HIDDEN = [
    ("my email is jo.bloggs+mri@example.co.uk can you send it", "jo.bloggs+mri@example.co.uk"),
    ("call me on 07700 900123 pls", "07700 900123"),
    ("my number is +44 20 7946 0958", "20 7946 0958"),
    ("(555) 123-4567 is my cell", "123-4567"),
    ("DOB 12/03/1980, MRI left knee", "12/03/1980"),
    ("born 3-7-62 and my knee hurts", "3-7-62"),
    ("date of birth: 1980-03-12", "1980-03-12"),
    ("I was born on 12th March 1980", "March 1980"),
    ("born March 12, 1980", "1980"),
    ("I was born in 1975, is it because of my age", "1975"),
    ("MRN: 00482913 bone marrow edema in the femur", "00482913"),
    ("my record number is AB-55123, what does it mean", "AB-55123"),
    ("NHS number 485 777 3456 - is it serious?", "485 777 3456"),
    ("patient ID X7731 says marrow lesion", "X7731"),
    ("Accession #4455123. FINDINGS: bone marrow edema", "4455123"),
    ("ref 99812341 on my letter", "99812341"),
]
# Ordinary questions: nothing to hide, nothing changed.
KEPT = [
    "it's been 8 months and my knee still hurts",
    "I did physio for 6 weeks",
    "is grade 3 bad?",
    "T2 hyperintense signal in the medial femoral condyle",
    "how long does it last, 2 or 3 years?",
    "I'm 45 and a runner, should I stop running?",
    "scan on monday said bone bruise",
    "what is it?",
]


@pytest.mark.parametrize("text,secret", HIDDEN)
def test_identifiers_are_redacted(text: str, secret: str) -> None:
    redacted = redact(text)
    assert secret not in redacted
    assert "[" in redacted


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_messages_are_unchanged(text: str) -> None:
    assert redact(text) == text


def test_redaction_names_what_it_hid() -> None:
    assert redact("mail me at a@b.com or ring 0161 496 0000") == "mail me at [email] or ring [phone]"
    assert redact("DOB 01/02/1990") == "DOB [date]"
    assert redact("MRN 1234567") == "[record number]"


@pytest.mark.parametrize("text", [DELETE_PAYLOAD, "delete my chat", "Delete my conversation.",
                                  "please erase my messages", "forget me", "clear chat",
                                  "  DELETE MY DATA  ", "wipe my chat history now"])
def test_delete_requests(text: str) -> None:
    assert is_delete_request(text)


@pytest.mark.parametrize("text", ["can the doctor delete my chat history later?", "delete",
                                  "I forget my questions", "will my chat be deleted",
                                  "/delete_my_chat{\"x\": 1}", "my chat"])
def test_not_delete_requests(text: str) -> None:
    assert not is_delete_request(text)


def test_text_free_keeps_intents_entities_and_channel_not_words() -> None:
    user = {"event": "user", "timestamp": 1.0, "text": "my knee, jo@x.com",
            "metadata": {"note": "x"}, "input_channel": "rest", "message_id": "m1",
            "parse_data": {"text": "my knee, jo@x.com", "intent": {"name": "inform"},
                           "intent_ranking": [{"name": "inform", "confidence": 0.9}],
                           "entities": [{"entity": "BODY_PART", "value": "knee", "start": 3,
                                         "end": 7, "extractor": "EntityRuler"}]}}
    stored = text_free(user)
    assert stored["text"] is None and "text" not in stored["parse_data"]
    assert stored["parse_data"]["intent"] == {"name": "inform"}
    assert stored["parse_data"]["entities"] == [
        {"entity": "BODY_PART", "value": "knee", "extractor": "EntityRuler"}]
    assert stored["input_channel"] == "rest" and stored["metadata"] == {}
    assert "jo@x.com" not in repr(stored)
    bot = {"event": "bot", "text": "Bone marrow edema is ...", "data": {"buttons": [{"title": "A",
           "payload": "/ask_serious"}]}, "metadata": {"bme": {"kind": "answer"}}}
    stored_bot = text_free(bot)
    assert stored_bot["text"] is None and stored_bot["data"] == bot["data"]
    assert stored_bot["metadata"] == {"bme": {"kind": "answer"}}
    slot = {"event": "slot", "name": "answer_id", "value": "term/lesion"}
    assert text_free(slot) == slot


def test_pseudonym_is_stable_keyed_and_hides_the_number() -> None:
    first = pseudonym("auth-token", "+15551234567", "twilio")
    assert first == pseudonym("auth-token", "+15551234567", "twilio")
    assert first.startswith("twilio-") and "5551234567" not in first
    assert first != pseudonym("another-token", "+15551234567", "twilio")
    assert first != pseudonym("auth-token", "+15551234568", "twilio")
