"""The care team's contact card (bot/clinic/care_team.py), its settings and the content flags behind it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, Optional

import pytest
import yaml

from bot.clinic.care_team import contact_card, gets_card, refers_to_clinician, with_care_team
from bot.settings import CareTeam, SettingsError, care_team
from bot.clinic.feedback import feedback_reply, with_feedback
from bot.engine.knowledge import KNOWLEDGE_FILE, ContentError, load_knowledge, parse_units, load_yaml
from bot.clinic.readability import MAX_GRADE, reading_grade
from bot.engine.replies import (REPLIES_FILE, Reply, load_replies, reply_for, reply_kind, topic_answer,
                         urgent_reply)
from bot.engine.safety import load_red_flags
from bot.engine.selection import State

FULL = CareTeam("Knee clinic, St Mary's", "+44 20 7946 0000", "Monday to Friday, 8 am to 5 pm",
                "https://portal.stmarys.example/knee")
NO_SETTINGS = "Please call the clinic that ordered your scan."
# A mention of the patient's own clinician: "doctor", "nurse" or "clinician" as one word (plural
# "doctors" speak of doctors in general: "Doctors still use this name a lot").
CLINICIAN = re.compile(r"\b(doctor|nurse|clinician)\b", re.IGNORECASE)
URGENT_KINDS = sorted(load_red_flags().messages)
# Answers that name a doctor but send no one to them (knowledge.yml sets `refers_to_clinician: false`)
NOT_A_REFERRAL = {"sources/overview": ("sources", "general")}  # "You or your doctor can look them up."


# The card ----------------------------------------------------------------------------------------

def test_full_card_names_every_detail_in_order() -> None:
    assert contact_card(FULL) == (
        "Your care team: Knee clinic, St Mary's. Phone: +44 20 7946 0000. "
        "Open: Monday to Friday, 8 am to 5 pm. Online: https://portal.stmarys.example/knee")
    assert reading_grade(contact_card(FULL)) <= MAX_GRADE


@pytest.mark.parametrize("team, card", [
    (CareTeam("Knee clinic", phone="0161 496 0000"), "Your care team: Knee clinic. Phone: 0161 496 0000."),
    (CareTeam("Knee clinic", portal="https://portal.example"),
     "Your care team: Knee clinic. Online: https://portal.example"),
    (CareTeam("Knee clinic", phone="111", hours="every day"),
     "Your care team: Knee clinic. Phone: 111. Open: every day."),
], ids=["phone only", "portal only", "phone and hours"])
def test_a_detail_not_set_is_left_out(team: CareTeam, card: str) -> None:
    assert contact_card(team) == card


def test_without_settings_the_card_says_to_call_the_clinic_that_ordered_the_scan() -> None:
    assert contact_card(CareTeam()) == NO_SETTINGS
    assert contact_card(care_team({})) == NO_SETTINGS


def test_every_setting_has_its_part_in_replies_yml() -> None:
    assert set(load_replies().care_team) == {"name", "phone", "hours", "portal", "no_settings"}


def test_a_part_naming_another_setting_is_a_content_error(tmp_path: Path) -> None:
    raw = load_yaml(REPLIES_FILE.read_text(encoding="utf-8"))
    raw["care_team"]["phone"] = "Phone: {phone}, or {fax}."
    bad = tmp_path / "replies.yml"
    bad.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ContentError, match=r"care_team\.phone: the text must hold \{phone\}"):
        load_replies(bad)


# The settings ------------------------------------------------------------------------------------

def test_settings_from_the_environment() -> None:
    env = {"BME_CARE_TEAM_NAME": "  Knee   clinic ", "BME_CARE_TEAM_PHONE": "(0161) 496-0000",
           "BME_CARE_TEAM_HOURS": "9 am to 5 pm", "BME_CARE_TEAM_PORTAL": "https://portal.example"}
    assert care_team(env) == CareTeam("Knee clinic", "(0161) 496-0000", "9 am to 5 pm",
                                      "https://portal.example")
    assert care_team({}) == CareTeam() and care_team({"BME_CARE_TEAM_HOURS": " "}) == CareTeam()


@pytest.mark.parametrize("env, message", [
    ({"BME_CARE_TEAM_NAME": "Clinic", "BME_CARE_TEAM_PHONE": "call reception"},
     "BME_CARE_TEAM_PHONE must be a phone number"),
    ({"BME_CARE_TEAM_NAME": "Clinic", "BME_CARE_TEAM_PHONE": "12"}, "3 to 15 digits"),
    ({"BME_CARE_TEAM_NAME": "Clinic", "BME_CARE_TEAM_PHONE": "0161+496"}, "BME_CARE_TEAM_PHONE"),
    ({"BME_CARE_TEAM_NAME": "Clinic", "BME_CARE_TEAM_PORTAL": "http://portal.example"},
     "BME_CARE_TEAM_PORTAL must be an https:// link"),
    ({"BME_CARE_TEAM_NAME": "Clinic", "BME_CARE_TEAM_PORTAL": "portal.example"},
     "BME_CARE_TEAM_PORTAL must be an https:// link"),
    ({"BME_CARE_TEAM_PHONE": "0161 496 0000"}, "BME_CARE_TEAM_PHONE set without BME_CARE_TEAM_NAME"),
    ({"BME_CARE_TEAM_NAME": "Clinic", "BME_CARE_TEAM_HOURS": "9 to 5"},
     "BME_CARE_TEAM_NAME is set without BME_CARE_TEAM_PHONE or BME_CARE_TEAM_PORTAL"),
    ({"BME_CARE_TEAM_NAME": "C" * 81, "BME_CARE_TEAM_PHONE": "111"},
     "BME_CARE_TEAM_NAME must be at most 80 characters"),
])
def test_bad_settings_are_refused_naming_the_setting(env: Dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        care_team(env)


# Which replies get it ----------------------------------------------------------------------------

def test_an_answer_is_flagged_exactly_when_it_sends_the_patient_to_a_clinician() -> None:
    answers = load_knowledge().all_answers()
    expected = {a.answer_id for a in answers if CLINICIAN.search(a.text)} - set(NOT_A_REFERRAL)
    assert {a.answer_id for a in answers if a.refers_to_clinician} == expected
    assert len(expected) > 20 and "what_is/overview" not in expected  # "Doctors still use this name"


def test_an_answer_that_names_a_doctor_without_a_referral_says_so_in_the_content() -> None:
    raw = load_yaml(KNOWLEDGE_FILE.read_text(encoding="utf-8"))
    for answer_id, (topic, context) in NOT_A_REFERRAL.items():
        body = raw["topics"][topic]["answers"][context]
        assert body.get("id", f"{topic}/{context}") == answer_id
        assert CLINICIAN.search(body["text"]) and body["refers_to_clinician"] is False


def test_a_conversation_reply_is_flagged_exactly_when_it_sends_the_patient_to_a_clinician() -> None:
    replies = load_replies()
    mentions = {name for name, (text, _) in replies.replies.items() if CLINICIAN.search(text)}
    assert replies.refers_to_clinician == mentions
    assert {"goodbye", "bot_challenge", "ask_personal_advice", "talk_to_person"} <= mentions


def test_a_flag_that_is_not_true_or_false_is_a_content_error() -> None:
    kb = load_knowledge()
    raw: Dict[str, Any] = {"units": {"x/y": {"topic": "what_is", "facts": ["S1.F1"], "text": "Hi.",
                                             "refers_to_clinician": "yes"}}}
    with pytest.raises(ContentError, match="refers_to_clinician"):
        parse_units(raw, kb)


@pytest.mark.parametrize("intent, text, card", [
    ("ask_serious", "", True),            # "Your own doctor knows your case ..."
    ("ask_treatment", "", True),
    ("ask_what_is", "", False),           # "Doctors still use this name": doctors in general
    ("ask_duration", "", False),
    ("goodbye", "", True),
    ("bot_challenge", "", True),
    ("ask_personal_advice", "", True),
    ("talk_to_person", "", True),
    ("greet", "", False),
    ("thanks", "", False),
    ("out_of_scope", "", False),
    ("nlu_fallback", "", False),
    ("ask_causes", "could a bone tumor cause it? and how long does it last?", True),  # one unit names a doctor
])
def test_which_replies_get_the_card(intent: str, text: str, card: bool) -> None:
    reply = reply_for(intent, text=text)
    assert gets_card(reply, intent) is card
    shown = with_care_team(reply, intent, FULL)
    assert shown.text == (f"{reply.text}\n{contact_card(FULL)}" if card else reply.text)
    assert (shown.buttons, shown.answer_id, shown.facts, reply_kind(shown)) == (
        reply.buttons, reply.answer_id, reply.facts, reply_kind(reply))


@pytest.mark.parametrize("rating, card", [
    ("feedback_worried", True), ("feedback_not_answered", True),
    ("feedback_helpful", False), ("feedback_not_helpful", False), ("feedback_too_hard", False),
])
def test_feedback_thanks_get_it_when_they_name_a_doctor(rating: str, card: bool) -> None:
    reply = feedback_reply(rating, ("serious/general",))
    assert gets_card(reply, rating) is card
    assert with_care_team(reply, rating, CareTeam()).buttons == reply.buttons


def test_talk_to_person_gets_the_card_even_when_answered_from_the_article() -> None:
    reply = topic_answer("duration")  # names no doctor
    assert not refers_to_clinician(reply)
    assert with_care_team(reply, "talk_to_person", CareTeam()).text.endswith(f"\n{NO_SETTINGS}")


@pytest.mark.parametrize("state", [None, State("general", "general", "serious", ("serious/general",))],
                         ids=["first message", "after an answer"])
def test_asking_for_a_person_is_not_read_as_a_question_about_a_decision(state: Optional[State]) -> None:
    # "can I ...?" is how patients ask about decisions ("can I keep running?")
    reply = reply_for("talk_to_person", text="can I talk to a real person?", state=state)
    assert reply.name == "talk_to_person" and reply.answer_id is None


def test_a_question_about_the_condition_is_still_answered_and_gets_the_card() -> None:
    text = "what is bone marrow edema? and can I talk to a nurse?"
    reply = with_care_team(reply_for("talk_to_person", text=text), "talk_to_person", CareTeam())
    assert reply.answer_ids[0] == "what_is/overview" and reply.text.endswith(f"\n{NO_SETTINGS}")


def test_the_reply_to_talk_to_person_is_the_care_team_kind() -> None:
    reply = with_care_team(reply_for("talk_to_person"), "talk_to_person", FULL)
    assert reply_kind(reply) == "care_team" and reply.buttons == ()
    assert reply.text.endswith(contact_card(FULL)) and "person" not in contact_card(FULL)


def test_feedback_buttons_stay_last_after_the_card() -> None:
    reply = with_feedback(with_care_team(reply_for("ask_serious"), "ask_serious", FULL))
    assert [b.payload for b in reply.buttons][-2:] == ["/feedback_helpful", "/feedback_not_helpful"]
    assert reply.text.endswith(contact_card(FULL))


@pytest.mark.parametrize("kind", URGENT_KINDS)
@pytest.mark.parametrize("intent", ["emergency", "talk_to_person", None])
@pytest.mark.parametrize("team", [FULL, CareTeam()], ids=["set", "unset"])
def test_never_with_an_urgent_message(kind: str, intent: Optional[str], team: CareTeam) -> None:
    urgent = urgent_reply(kind)
    assert reply_kind(urgent) == "urgent"
    assert not refers_to_clinician(urgent) and not gets_card(urgent, intent)
    assert with_care_team(urgent, intent, team) == urgent
    # even one that names an answer unit flagged for a doctor
    assert not gets_card(Reply(urgent.text, answer_id=f"urgent/{kind}+serious/general"), intent)
