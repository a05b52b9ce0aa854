"""The reply for each kind of turn, per topic and per context, without any server."""

from __future__ import annotations

from typing import Optional

import pytest

from bot.engine.knowledge import load_knowledge
from bot.engine.safety import safety_check_note
from bot.engine.replies import context_for, did_you_mean, disclaimer, reply_for, topic_of

KB = load_knowledge()


@pytest.mark.parametrize("topic", sorted(KB.topics))
def test_each_topic_intent_gets_its_general_answer_with_next_buttons(topic: str) -> None:
    reply = reply_for(f"ask_{topic}")
    assert reply.answer_id == KB.answer(topic).answer_id
    assert reply.text == KB.answer(topic).full_text
    assert [b.payload for b in reply.buttons] == [f"/ask_{t}" for t in KB.topics[topic].next]


@pytest.mark.parametrize("intent, cause, expected", [
    # the user's context picks the answer where the article distinguishes
    ("ask_serious", "osteoarthritis", "serious/osteoarthritis"),
    ("ask_serious", "acl_tear", "serious/injury"),
    ("ask_duration", "stress_fracture", "duration/injury"),
    ("ask_duration", "osteoarthritis", "duration/osteoarthritis"),
    ("ask_treatment", "overuse", "treatment/injury"),
    ("ask_treatment", "osteoarthritis", "treatment/osteoarthritis"),
    # a bone tumour: the article gives no separate outlook, so the general answer
    ("ask_serious", "tumor", "serious/general"),
    # topics the article does not split by context stay general
    ("ask_what_is", "osteoarthritis", "what_is/overview"),
    ("ask_duration", None, "duration/general"),
])
def test_context_answers(intent: str, cause: Optional[str], expected: str) -> None:
    assert reply_for(intent, cause=cause).answer_id == expected


def test_osteoarthritis_outlook_gives_the_article_months() -> None:
    assert "15 to 30 months" in reply_for("ask_serious", cause="osteoarthritis").text


def test_injury_duration_gives_the_article_figures() -> None:
    text = reply_for("ask_duration", cause="fracture").text
    assert "4 to 12 months" in text and "15 percent" in text and "two years" in text


def test_red_flag_beats_any_intent_and_has_no_buttons() -> None:
    reply = reply_for("ask_treatment", cause="osteoarthritis", red_flag="crisis")
    assert "988" in reply.text and reply.buttons == () and reply.answer_id == "urgent/crisis"


def test_a_guessed_emergency_without_a_rule_is_answered_with_what_to_do_now() -> None:
    # a rule decides escalation; the classifier's guess alone adds the safety check to the answer
    reply = reply_for("emergency", text="my legs feel completely dead after the long run, no pain")
    assert reply.answer_id != "urgent/emergency" and reply.text.endswith(safety_check_note())
    assert "911" in reply.text
    assert reply_for("emergency").text.endswith(safety_check_note())


def test_inform_acknowledges_context_without_medical_claims() -> None:
    reply = reply_for("inform", cause="osteoarthritis", body_part="knee")
    assert reply.text.startswith("Thanks for telling me. I'll keep that in mind.")
    assert "osteoarthritis" not in reply.text and "knee" not in reply.text  # no labels shown
    assert reply.facts == () and reply.buttons


def test_inform_without_recognised_context() -> None:
    assert reply_for("inform").text == "Thanks for telling me. What would you like to know?"


@pytest.mark.parametrize("intent", ["ask_personal_advice", "out_of_scope", "some_new_intent"])
def test_declines_say_what_it_can_help_with(intent: str) -> None:
    reply = reply_for(intent)
    assert "can't" in reply.text and len(reply.buttons) == 4 and reply.answer_id is None


def test_fallback_offers_the_likeliest_topics_never_an_answer() -> None:
    ranking = [{"name": "nlu_fallback"}, {"name": "ask_duration"}, {"name": "greet"},
               {"name": "ask_serious"}, {"name": "ask_treatment"}, {"name": "ask_causes"}]
    reply = reply_for("nlu_fallback", ranking=ranking)
    assert reply.text.startswith("Sorry, I'm not sure I understood")
    assert [b.payload for b in reply.buttons] == ["/ask_duration", "/ask_serious", "/ask_treatment"]
    assert reply.answer_id is None


def test_fallback_without_topic_guesses_offers_the_main_topics() -> None:
    assert [b.payload for b in did_you_mean([{"name": "greet"}]).buttons] == [
        "/ask_what_is", "/ask_serious", "/ask_treatment", "/ask_duration"]


@pytest.mark.parametrize("intent, topic", [
    ("ask_serious", "serious"), ("ask_nothing", None), ("greet", None), (None, None)])
def test_topic_of(intent: Optional[str], topic: Optional[str]) -> None:
    assert topic_of(intent) == topic


def test_context_for_unknown_cause_is_general() -> None:
    assert context_for("nonsense") == "general" and context_for(None) == "general"


def test_disclaimer_says_not_a_diagnosis() -> None:
    text = disclaimer()
    assert "not a doctor" in text and "can't diagnose" in text and "emergency" in text


def test_a_guessed_emergency_in_a_settled_story_is_answered_not_escalated(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.engine.replies.built_urgency", lambda: None)  # the classifier's guess
    story = ("In March I couldn't get out of bed for two days with my hip, it settled after rest "
             "and it's fine now. Does rest usually sort it out?")
    assert reply_for("emergency", text=story).answer_id != "urgent/emergency"
    assert safety_check_note() not in reply_for("emergency", text=story).text
    # the same guess with something going on now gets what to do if it is a warning sign
    assert reply_for("emergency", text="I can't get out of bed today, my hip").text.endswith(
        safety_check_note())
    # and a rule's match always does, whatever the story
    assert reply_for("ask_duration", red_flag="crisis", text=story).answer_id == "urgent/crisis"


def test_a_question_about_the_edema_keeps_the_articles_numbers_beside_something_else() -> None:
    # the meniscus is not bone marrow edema, but "the edema" the report found is
    reply = reply_for("ask_duration", text="twisted my knee at work, report says bone marrow edema "
                      "and a torn meniscus. how long does the edema take to go, and will the "
                      "meniscus heal on its own")
    assert {"duration/injury", "not_bme/other"} <= set(reply.answer_ids)
    skin = reply_for("ask_duration", text="i have a purple skin bruise on my shin after a fall. "
                     "how long does the bruise take to go")
    assert "not_bme/other" in skin.answer_ids and \
        not any(a.startswith("duration/") for a in skin.answer_ids)


def test_the_report_note_and_a_plan_given_never_take_the_place_of_an_answer_asked() -> None:
    # "crutches for 6 weeks" is a plan, "surgery is in 2 days" still to come: neither is compared
    # with the article's months; the note on reading one's own report comes only if there is room
    story = ("my husband is 45, plays tennis. no injury at all. mri shows a big patch of bone "
             "marrow edema in the inner femoral condyle and the ortho says crutches for 6 weeks. "
             "how can you get this with no injury and will it really go away on its own")
    ids = reply_for("ask_injury", text=story).answer_ids
    assert {"cause/no_injury", "duration/self_heal"} <= set(ids) and "duration/compare" not in ids
    soon = reply_for("ask_injury", text="mri says acl ruptured and bone bruises on the femur. "
                     "surgery is in 2 days. does it just heal by itself")
    assert "duration/compare" not in soon.answer_ids


def test_a_skin_bruise_the_patient_calls_bone_marrow_edema_gets_no_article_numbers() -> None:
    reply = reply_for("ask_duration", text="I have a dark bruise on my shin from walking into the "
                      "coffee table, its been 3 weeks. Is this bone marrow edema and how long will "
                      "it last?")
    assert "not_bme/other" in reply.answer_ids
    assert not any(a.startswith("duration/") for a in reply.answer_ids)
