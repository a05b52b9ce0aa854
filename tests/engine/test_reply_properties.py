"""What no reply may do, over many phrasings, through the trained model as a patient's message
goes (NLU entities, the red-flag guard, then the engine): claim the article lacks a region it
names, open with "Yes" or "No" where nobody asked a yes/no question, or apply the article's
numbers to something that is not bone marrow edema."""

from __future__ import annotations

import asyncio
import itertools
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest

from bench.evaluation import load_agent
from bot.engine.replies import Reply, reply_for

NAMED_REGIONS = ["knee", "hip", "spine", "ankle", "foot", "lower back", "heel", "navicular",
                 "medial cuneiform", "2nd metatarsal", "talus", "talar dome", "calcaneus",
                 "lateral tibial plateau", "medial femoral condyle", "patella", "femoral head",
                 "acetabulum", "L4 vertebral body", "T12", "sacrum"]
REGION_TEMPLATES = ["can you get it in the {x}?", "MRI says bone marrow edema in the {x}. what does that mean",
                    "is edema in my {x} serious", "how long does it last in the {x}",
                    "my mum has it in her {x}, how is it treated", "does it happen in the {x}"]
WH_QUESTIONS = ["what are the symptoms if it's in my knee", "how is it found in the hip",
                "why does it happen in the spine", "what causes it in runners",
                "how long does a bone bruise take to heal", "where in the body does it happen",
                "which treatments help for the knee", "when will it go away",
                "what does bone marrow lesion mean", "how do they see it on a scan",
                "what happens if it is in my ankle", "how serious is it in the hip",
                "what is the link with osteoarthritis in the knee", "why is my foot still sore",
                "tell me about the treatment for a stress fracture", "what tests show it",
                "explain what subchondral means on my report", "how bad is a torn ACL with it"]
NOT_BME = ["a bruise on the skin of my shin", "a hard lump on my knee", "shin splints",
           "a meniscus tear", "achilles tendinitis", "gout in my big toe", "plantar fasciitis",
           "a purple mark on my thigh"]
NOT_BME_TEMPLATES = ["I've had {x} for {n}. How long does it usually last?",
                     "{x} for {n} now, is that normal?"]
ARTICLE_NUMBERS = re.compile(r"4 to 12 months|15 to 30 months|15 percent|two years")


@pytest.fixture(scope="module")
def reply_to(trained_model: Path):
    agent = load_agent(trained_model)

    def reply(text: str) -> Reply:
        parsed: Dict[str, Any] = asyncio.run(agent.parse_message(text))
        entities: List[Dict[str, Any]] = parsed.get("entities") or []
        red = [e.get("value") for e in entities if e.get("entity") == "red_flag"]
        causes = [e.get("value") for e in entities if e.get("entity") == "CAUSE"]
        return reply_for(parsed["intent"]["name"], cause=causes[-1] if causes else None,
                         red_flag=red[-1] if red else None, text=text, entities=entities,
                         ranking=parsed.get("intent_ranking") or [])
    return reply


@pytest.mark.slow
def test_no_reply_says_the_article_lacks_a_region_it_names(reply_to) -> None:
    wrong = [(t.format(x=x), r.answer_id) for x, t in itertools.product(NAMED_REGIONS, REGION_TEMPLATES)
             for r in [reply_to(t.format(x=x))] if "does not talk about that part of the body" in r.text]
    assert wrong == []


@pytest.mark.slow
def test_no_yes_or_no_before_a_question_that_is_not_yes_no(reply_to) -> None:
    opened = [(q, r.answer_id) for q in WH_QUESTIONS for r in [reply_to(q)]
              if re.search(r"(?m)^(Yes|No)\b", r.text)]
    assert opened == []


@pytest.mark.slow
def test_yes_stays_where_a_yes_no_question_asked_it(reply_to) -> None:
    assert reply_to("can a stress fracture cause bone marrow edema?").text.startswith("Yes")


@pytest.mark.slow
def test_no_article_number_for_what_is_not_bone_marrow_edema(reply_to) -> None:
    applied = [(t.format(x=x, n=n), r.answer_id)
               for x, t, n in itertools.product(NOT_BME, NOT_BME_TEMPLATES, ["3 weeks", "9 months"])
               for r in [reply_to(t.format(x=x, n=n))] if ARTICLE_NUMBERS.search(r.text)]
    assert applied == []


@pytest.mark.slow
def test_something_else_told_beside_the_edema_found_does_not_replace_the_answer(reply_to) -> None:
    # "for months they said tendinitis, now the MRI says bone marrow edema": the question is about it
    wrong = [(text, r.answer_id) for x in NOT_BME
             for text in [f"for months they said it was {x}, now the MRI says bone marrow edema. "
                          "how long does it usually last"]
             for r in [reply_to(text)] if "not_bme/other" in r.answer_id]
    assert wrong == []


BROAD = {"what_is": "what is it?", "how_found": "how is it found?", "serious": "is it serious?",
         "causes": "what causes it?", "osteoarthritis": "what is the link with arthritis?",
         "injury": "what does it mean after an injury?", "symptoms": "what are the symptoms?",
         "treatment": "how is it treated?", "duration": "how long does it last?",
         "sources": "where does your information come from?"}
CONTEXTS = {"general": "My MRI showed bone marrow edema.",
            "osteoarthritis": "I have osteoarthritis and my MRI showed bone marrow edema.",
            "injury": "I twisted my ankle playing football and my MRI showed bone marrow edema."}


@pytest.mark.slow
def test_a_broad_question_gets_its_topics_overview_in_the_patients_context(reply_to) -> None:
    from bot.engine.knowledge import load_knowledge

    kb = load_knowledge()
    wrong = []
    for (topic, question), (context, told) in itertools.product(BROAD.items(), CONTEXTS.items()):
        expected = kb.answer(topic, context).answer_id
        got = reply_to(f"{told} {question}").answer_ids
        if expected not in got:
            wrong.append((topic, context, expected, got))
    assert wrong == []
