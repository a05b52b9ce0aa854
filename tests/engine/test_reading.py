"""Reading a message into questions (bot/engine/reading.py) and choosing units (bot/engine/selection.py),
without the NLU model: entities are given as the entity ruler would give them."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import pytest

from bot.engine.answer_model import load_settings as load_answer_settings, trying
from bot.engine.knowledge import ContentError, load_knowledge
from bot.engine.reading import (fold, load_lexicon, parse_lexicon, presses_for_dose, read_message,
                                time_mentioned)
from bot.engine.replies import reply_for, slots_after, state_from_slots
from bot.engine.selection import State

KB = load_knowledge()


def entity(text: str, phrase: str, label: str, value: str) -> Dict[str, Any]:
    start = text.lower().index(phrase)
    return {"entity": label, "value": value, "start": start, "end": start + len(phrase)}


@pytest.mark.parametrize("text, asks", [
    # two and three questions in one message, joined or not
    ("what does it mean and will it heal by itself?", ["what_is", "duration"]),
    ("is it serious, how long does it last and can it be treated", ["serious", "duration", "treatment"]),
    ("what are the symptoms how serious is it", ["symptoms", "serious"]),
    # "what is the treatment" asks about treatment: "what is" only counts alone
    ("What is the treatment for bone marrow edema?", ["treatment"]),
    # a story with the question last and no question mark
    ("I twisted my knee at netball 3 weeks ago and the MRI showed edema. how long will it take to heal",
     ["duration"]),
    ("my doctor said it was a bone bruise so i was wondering if it will heal", ["duration"]),
    # "normal treatment" asks about treatment, "bad arthritis" is not "how bad is it"
    ("what is the normal treatment", ["treatment"]),
    ("I have bad arthritis in my hip. does it go away", ["duration"]),
    ("nobody can tell me when it will end", ["duration"]),
    # a misspelt kind
    ("what simptoms does it cause", ["symptoms"]),
    # "can they see it on ..." asks how it is found, not for a decision
    ("can they spot it on an x-ray", ["how_found"]),
])
def test_questions_are_found_in_order(text: str, asks: List[str]) -> None:
    assert [c.ask for c in read_message(text).questions] == asks


def test_a_statement_with_is_in_it_is_not_a_question() -> None:
    reading = read_message("Both knees have arthritis and the left one is worse. The pain is there "
                           "most nights. What can be done for it")
    assert [c.ask for c in reading.questions] == ["treatment"]


def test_the_last_sentence_with_a_kind_is_a_question_without_its_mark() -> None:
    reading = read_message("we tried rest for weeks and now want another way to treat it")
    assert [c.ask for c in reading.questions] == ["treatment"]


def test_a_question_after_a_comma_is_found() -> None:
    assert read_message("rest or physio, which one works best").questions != ()


def test_a_cause_told_as_absent_is_not_a_subject_of_the_story() -> None:
    text = "The xray showed no fracture and the ligament is fine. The scan showed a broken bone before."
    ents = [entity(text, "fracture", "CAUSE", "fracture")]
    assert "fracture" not in read_message(text, ents).clauses[0].subjects
    later = text.lower().index("broken bone")
    ents = [{"entity": "CAUSE", "value": "fracture", "start": later, "end": later + 11}]
    assert "fracture" in read_message(text, ents).clauses[1].subjects
    # in a question, it is what they ask about
    question = "is it not a tumour?"
    assert "tumor" in read_message(question, [entity(question, "tumour", "CAUSE", "tumor")]).questions[0].subjects


def test_each_thing_of_a_list_told_as_absent_is_absent() -> None:
    text = "no ligament damage or fracture but the inside of my ankle still hurts"
    assert "fracture" not in read_message(text, [entity(text, "fracture", "CAUSE", "fracture")]).clauses[0].subjects
    text = "there was a sprain or fracture, they could not tell"
    assert "fracture" in read_message(text, [entity(text, "fracture", "CAUSE", "fracture")]).clauses[0].subjects


def test_a_sentence_that_starts_like_a_question_but_tells_is_not_one() -> None:
    reading = read_message("was told the scan shows edema in my knee. did physio for six weeks. "
                           "is resting good for it")
    assert [c.text for c in reading.questions] == ["is resting good for it"]


def test_a_term_told_as_absent_is_not_a_subject() -> None:
    reading = read_message("the report says no ligament tear and no cysts. what now")
    assert not {"acl_tear", "cysts"} & set(reading.clauses[0].subjects)


def test_words_that_only_look_like_an_entity_are_not_one() -> None:
    text = "she is fine but I worry it will affect the rest of her life"
    assert "rest" not in read_message(text, [entity(text, "rest", "TREATMENT", "rest")]).clauses[0].subjects


def test_patterns_with_groups_must_be_a_list() -> None:
    with pytest.raises(ContentError, match="YAML list"):
        parse_lexicon({"question_starts": "how (long|much)|what"})


def test_a_question_mark_before_a_word_does_not_end_a_sentence() -> None:
    reading = read_message("Edema of the femoral head, ?early necrosis. Old dislocation.")
    assert reading.questions == ()


def test_a_story_without_a_question_has_no_question_clause() -> None:
    reading = read_message("I fell off my bike in June and the scan showed bone marrow edema in my hip.")
    assert reading.questions == ()


def test_entities_are_placed_in_the_clause_that_names_them() -> None:
    text = "I have knee arthritis. And is an ACL tear a cause?"
    ents = [entity(text, "knee", "BODY_PART", "knee"), entity(text, "arthritis", "CAUSE", "osteoarthritis"),
            entity(text, "acl tear", "CAUSE", "acl_tear")]
    question = read_message(text, ents).questions[-1]
    assert question.subjects == ("acl_tear",)


def test_a_question_without_subjects_takes_those_of_the_story_but_not_its_scan() -> None:
    reading = read_message("The MRI says bone bruise. How long does it take?")
    assert reading.questions[0].subjects == ("bone_bruise",)


@pytest.mark.parametrize("text, months", [
    ("my scan was 9 months after I twisted my ankle", 9.0),
    ("it has been six weeks", 6 * 7 / 30),
    ("still there after 2 yrs", 24.0),
    ("I am 45 years old and hurt it 3 months ago", 3.0),  # an age is not a length of time
    ("no time given", None),
    # still to come, how often, or a plan given: not how long the patient has had it
    ("surgery is in 2 days and im nervous", None),
    ("can i still run the race in five weeks", None),
    ("i run 3 times a week", None),
    ("the ortho says crutches for 6 weeks", None),
    ("pt twice a week for 4 weeks, hurt it 2 months ago", 2.0),
    ("i've been on crutches for 6 weeks and it still hurts", 6 * 7 / 30),
    ("it hurt for 3 months before the mri", 3.0),
])
def test_lengths_of_time_in_months(text: str, months: Optional[float]) -> None:
    found, _ = time_mentioned(fold(text))
    assert found == pytest.approx(months) if months is not None else found is None


@pytest.mark.parametrize("text", ["i dont remember hurting it", "I don't remember hurting it"])
def test_apostrophes_are_optional_in_patterns(text: str) -> None:
    assert "no_injury" in read_message(text + ". why do i have it?").questions[0].subjects


def test_fold_keeps_offsets() -> None:
    assert len(fold("I\u2019M HERE")) == len("I\u2019M HERE") and fold("I\u2019M") == "i'm"


def test_bad_lexicon_names_the_rule_to_fix() -> None:
    with pytest.raises(ContentError, match=r"rules\[0\]: needs `about:`"):
        parse_lexicon({"asks": {"duration": {"cues": ["how long"]}}, "rules": [{"unit": "x"}]})
    with pytest.raises(ContentError, match="subjects.broken: bad pattern"):
        parse_lexicon({"subjects": {"broken": ["(unclosed"]}})


def test_every_rule_names_a_unit_and_every_ask_a_topic_or_unit() -> None:
    lexicon = load_lexicon()
    assert [r.unit for r in lexicon.rules if r.unit not in KB.units] == []
    assert [a.id for a in lexicon.asks if (a.topic not in KB.topics) and (a.unit not in KB.units)] == []


def conversation(turns: List[Tuple[str, Optional[str], List[Dict[str, Any]]]]) -> List[str]:
    """Play (text, intent, entities) turns as the answer action does, with the reading rules alone
    (what the answer model adds is tested in test_answer_model.py); the answer ids of each."""
    slots: Dict[str, Any] = {}
    ids = []
    with trying(lambda text: (), load_answer_settings()):
        for text, intent, ents in turns:
            slots.update({"cause": e["value"] for e in ents if e["entity"] == "CAUSE"})
            reply = reply_for(intent, cause=slots.get("cause"), text=text, entities=ents,
                              state=state_from_slots(slots))
            slots.update(slots_after(reply))
            ids.append(reply.answer_id or "")
    return ids


SKI_STORY = ("I was skiing last month and twisted my knee badly. The MRI shows a torn ACL and fluid "
             "in the bone. How long will it take to settle")


@pytest.mark.parametrize("turns, expected", [
    # the question asked, not the topic's paragraph
    ([("could bone cancer be the reason for bone marrow edema?", "ask_causes", [])], ["cause/bone_tumor"]),
    ([("is it true that old people get it in the spine?", "nlu_fallback", [])], ["cause/spine_compression"]),
    ([("what does it mean and will it heal by itself?", "ask_what_is", [])],
     ["what_is/overview+duration/self_heal"]),
    # numbers compared with the article's own
    ([("my scan was 9 months after I twisted my ankle and it's still there. should it be gone by now?",
       "ask_personal_advice", [])], ["duration/compare+duration/injury"]),
    # follow-ups against the last answer
    ([("what causes it", "ask_causes", []), ("which of those is most likely in a runner?", "nlu_fallback", [])],
     ["causes/overview", "cause/stress_fracture"]),
    ([("how is it treated", "ask_treatment", []), ("what happens if it's really bad?", "ask_serious", [])],
     ["treatment/general", "treatment/severe"]),
    ([("how is it treated", "ask_treatment", []),
      ("and for arthritis?", "inform", [entity("and for arthritis?", "arthritis", "CAUSE", "osteoarthritis")])],
     ["treatment/general", "treatment/osteoarthritis"]),
    # bounded personal questions and what the article does not cover
    ([("can I keep running?", "ask_personal_advice", [])], ["decision/activity"]),
    ([("how do I prevent it coming back", "ask_treatment", [])], ["not_covered/prevention"]),
    # words the article does not use
    ([("The report says bone bruise. What is a bone bruise?", "ask_what_is", [])], ["term/bone_bruise"]),
    # a later question with its own kind is answered for that kind, not for the earlier subject
    ([("what causes it in older peoples backs and is it serious", "ask_causes", [])],
     ["cause/spine_compression+serious/general"]),
    # "is that common?" leans on the last specific answer
    ([("do they treat it with steroids", "ask_treatment", []), ("is that common?", "affirm", [])],
     ["treatment/severe", "treatment/severe"]),
    # a new context told as a statement re-answers the last question in it
    ([("how is it treated", "ask_treatment", []),
      ("I had a fall and broke my ankle", "inform", [entity("I had a fall and broke my ankle", "broke", "CAUSE", "fracture")])],
     ["treatment/general", "treatment/injury"]),
    # a statement cut by "but" is not a question ("but is walking fine now")
    ([("he was limping but is walking fine now. will it go away by itself", "ask_duration", [])],
     ["duration/self_heal"]),
    # a statement that answers the last question in its own topic ("I'm a runner" -> the cause)
    ([("what causes it", "ask_causes", []), ("i do a lot of marathon training", "inform", [])],
     ["causes/overview", "cause/stress_fracture"]),
    # ... but a statement of context is not a question about what it names
    ([("is it serious", "ask_serious", []),
      ("my mum has arthritis in her knee", "inform",
       [entity("my mum has arthritis in her knee", "arthritis", "CAUSE", "osteoarthritis"),
        entity("my mum has arthritis in her knee", "knee", "BODY_PART", "knee")])],
     ["serious/general", "serious/osteoarthritis"]),
    # a length of time told after "how long": set against the article's numbers
    ([("how long does it last", "ask_duration", []), ("well mine is 10 months now", "goodbye", [])],
     ["duration/general", "duration/compare+duration/injury"]),
    # a short follow-up the model calls out of scope is still a follow-up
    ([("does arthritis get worse with it", "ask_osteoarthritis",
       [entity("does arthritis get worse with it", "arthritis", "CAUSE", "osteoarthritis")]),
      ("how quick", "out_of_scope", [])],
     ["oa/worse", "duration/osteoarthritis"]),
    # prevention wins over the "can I ..." of a decision, wherever its cue is
    ([("how can I stop this happening again", "ask_personal_advice", [])], ["not_covered/prevention"]),
    # where in the body, then a body part
    ([("which joints does it usually affect", "ask_injury", []), ("and the ankle?", "inform", [entity("and the ankle?", "ankle", "BODY_PART", "ankle")])],
     ["injury/overview", "body/ankle"]),
    # a report line in quotes is a sentence of its own: pasted, so "only your doctor can say"
    ([('it says "marrow oedema of the medial femoral condyle" what is a bone bruise', "ask_what_is", [])],
     ["term/bone_bruise+decision/my_results"]),
    # a long story with a question also gets what the article says about the cause it names
    ([(SKI_STORY, "ask_duration", [entity(SKI_STORY, "torn acl", "CAUSE", "acl_tear")])],
     ["duration/injury+cause/acl_tear"]),
    # a story without a question that says it worries: is it serious, in the story's context
    ([("I have had osteoarthritis in my knee for years and now the scan shows marrow edema too, "
       "I am so anxious about ending up unable to walk", "ask_osteoarthritis",
       [entity("I have had osteoarthritis", "osteoarthritis", "CAUSE", "osteoarthritis")])],
     ["serious/osteoarthritis+cause/osteoarthritis"]),
    # a bare question after a story: its own answer in the story's context first
    ([("My hip has had arthritis for a long time and I got a scan last week that showed edema. "
       "Should I be concerned", "ask_serious",
       [entity("My hip has had arthritis", "arthritis", "CAUSE", "osteoarthritis")])],
     ["serious/osteoarthritis+cause/osteoarthritis"]),
    # "will he be ok to play" asks about going back to sport
    ([("will my son be ok to play on saturday", "ask_serious", [])], ["decision/return_to_sport"]),
    # "where from?" after a body part: the why of that answer; "there" is the part just named
    ([("does it show up in the spine", "ask_injury", [entity("does it show up in the spine", "spine", "BODY_PART", "spine")]),
      ("from what?", "ask_causes", [])],
     ["body/spine", "cause/spine_compression"]),
    ([("can the ankle get it and what causes it there", "ask_causes",
       [entity("can the ankle get it and what causes it there", "ankle", "BODY_PART", "ankle")])],
     ["body/ankle+cause/stress_fracture"]),
    # "is that the same for everyone" leans on the last answer, it does not ask what it is
    ([("how long does it take after an injury", "ask_duration",
       [entity("how long does it take after an injury", "injury", "CAUSE", "injury")]),
      ("is that the same for all people", "nlu_fallback", [])],
     ["duration/injury", "duration/injury"]),
    # "how much?" after a medicine answer asks for a dose: never given
    ([("what can i take for the pain", "ask_personal_advice", []), ("how much though", "nlu_fallback", [])],
     ["decision/medicine", "decision/medicine"]),
    # "what can they do then?" after "still there after a year": when treatment is not helping
    ([("how long does it last", "ask_duration", []),
      ("what if it has not gone after 14 months", "ask_duration", []),
      ("what can they do then", "ask_treatment", [])],
     ["duration/general", "duration/compare+duration/long", "treatment/not_helping"]),
    # "and if it doesn't?" after "does it heal by itself"
    ([("will it heal on its own", "ask_duration", []), ("and if it doesn't?", "nlu_fallback", [])],
     ["duration/self_heal", "treatment/not_helping"]),
    # "I got it from running" tells, it does not ask what causes it
    ([("how do they treat it", "ask_treatment", []), ("i got it from too much running", "inform", [])],
     ["treatment/general", "treatment/injury"]),
    # two bare questions the model calls out of scope are still answered
    ([("what are the symptoms what is the treatment", "out_of_scope", [])],
     ["symptoms/overview+treatment/general"]),
    # "is that really necessary" points back to the story when what it names answers nothing
    ([("my doctor wants to refer me for another scan. is that really necessary with arthritis",
       "ask_personal_advice",
       [entity("my doctor wants to refer me for another scan. is that really necessary with arthritis",
               "arthritis", "CAUSE", "osteoarthritis")])],
     ["decision/need_mri"]),
    # a sentence said twice: "there" is the part named before the second one too
    ([("what causes it there? my hip hurts. what causes it there?", "ask_causes",
       [entity("what causes it there? my hip hurts. what causes it there?", "hip", "BODY_PART", "hip")])],
     ["causes/overview+body/hip"]),
    # small talk and bare statements keep their own replies
    ([("hello", "greet", [])], [""]),
])
def test_conversations_get_the_units_they_ask_for(turns: List[Any], expected: List[str]) -> None:
    assert conversation(turns) == expected


def test_every_reply_records_its_facts() -> None:
    reply = reply_for("ask_causes", text="could bone cancer cause it? how long does it last?",
                      state=State())
    assert reply.answer_ids == ("cause/bone_tumor", "duration/general")
    assert set(reply.facts) == set(KB.unit("cause/bone_tumor").facts) | set(KB.unit("duration/general").facts)


@pytest.mark.parametrize("text, intent, first, also", [
    # something that is not bone marrow edema, told before a question about bone marrow edema
    ("I have a big purple bruise on my thigh from the table. Is that bone marrow edema?",
     "ask_what_is", None, "not_bme/other"),
    # bookings and paperwork: the front desk, first
    ("how do I book the follow up MRI my consultant mentioned?", "ask_how_found",
     "not_covered/admin", None),
    ("can you send me a copy of my mri report for work", "ask_personal_advice",
     "not_covered/admin", None),
])
def test_the_story_and_the_front_desk_get_their_answers(text: str, intent: str, first: str,
                                                        also: str) -> None:
    ids = reply_for(intent, text=text, state=State()).answer_ids
    assert (first is None or ids[0] == first) and (also is None or also in ids), ids
    assert "duration/compare" not in ids


@pytest.mark.parametrize("text, last, pressed", [
    ("just give me a number please, roughly", ("decision/medicine",), True),
    ("what would you take if you were me", ("decision/medicine", "treatment/nsaids"), True),
    ("ill take 3 then, thats fine right?", ("decision/medicine",), True),
    ("i wont tell anyone", ("decision/medicine",), True),
    ("is 800mg ok", ("decision/medicine",), True),
    ("ok and how long will it last please", ("decision/medicine",), False),  # another question
    ("just give me a number please", ("duration/injury",), False),  # not after the dose decline
    ("thanks, that helps", ("decision/medicine",), False),
])
def test_pressing_for_a_dose_right_after_the_decline(text: str, last: Tuple[str, ...],
                                                     pressed: bool) -> None:
    assert presses_for_dose(load_lexicon(), text, last) is pressed


def test_pressure_for_a_dose_gets_the_decline_again_whatever_the_intent() -> None:
    turns = [("can i take ibuprofen for my knee", "ask_personal_advice", []),
             ("just give me a number, roughly", "nlu_fallback", []),
             ("i'll take 3 then, that's fine right?", "affirm", []),
             ("i won't tell anyone", "deny", [])]
    assert conversation(turns)[1:] == ["decision/medicine"] * 3
