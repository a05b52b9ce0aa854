"""The answer model (bot.engine.answer_model): what it adds to the rules' choice, and saving."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, List

import numpy as np
import pytest

from bot.engine.answer_model import (AnswerModel, Settings, complete, learned, load_settings,
                                     trying)
from bot.engine.answer_training import Labelled, train
from bot.engine.linear_models import Embeddings, TrainingSettings
from bot.engine.reading import Reading
from bot.engine.selection import MAX_UNITS, Selection
from bot.engine.knowledge import load_knowledge

Encode = Callable[[List[str]], np.ndarray]
KB = load_knowledge()
SETTINGS = Settings(TrainingSettings(1.0, 1), threshold=0.5, most_added=2, min_words=6)


def test_a_sure_answer_the_rules_missed_follows_theirs_and_says_why() -> None:
    units, why = learned(["duration/injury"], "injury",
                         (("decision/return_to_sport", 0.8), ("term/bone_bruise", 0.3)), KB,
                         SETTINGS, MAX_UNITS)
    assert units == ["duration/injury", "decision/return_to_sport"]
    assert why == {"decision/return_to_sport": "decision/return_to_sport: answer model 0.80"}


def test_the_rules_answer_is_never_removed() -> None:
    overview = KB.answer("treatment", "injury").answer_id
    units, _ = learned([overview], "injury", (("treatment/physio", 0.9),), KB, SETTINGS, MAX_UNITS)
    assert units == [overview, "treatment/physio"]


def test_an_overview_comes_in_the_patients_context_and_only_for_a_kind_not_answered() -> None:
    units, _ = learned(["cause/fracture"], "osteoarthritis", (("topic/serious", 0.9),), KB,
                       SETTINGS, MAX_UNITS)
    assert units == ["cause/fracture", KB.answer("serious", "osteoarthritis").answer_id]
    asked = KB.answer("serious", "injury").answer_id
    assert learned([asked], "injury", (("topic/serious", 0.9),), KB, SETTINGS, MAX_UNITS)[0] == \
        [asked]


@pytest.mark.parametrize("scores, most, added", [
    ((("decision/surgery", 0.49),), MAX_UNITS, []),                        # below the threshold
    ((("decision/surgery", 0.9), ("decision/medicine", 0.8), ("term/bone_bruise", 0.7)),
     MAX_UNITS, ["decision/surgery", "decision/medicine"]),                 # most_added
    ((("decision/surgery", 0.9),), 1, []),                                  # no room
    ((("a/reply_not_an_answer", 0.9),), MAX_UNITS, []),                     # unknown keys skipped
])
def test_what_is_added_is_bounded(scores: tuple, most: int, added: list) -> None:
    units, _ = learned(["cause/fracture"], "injury", scores, KB, SETTINGS, most)
    assert units[1:] == added


def test_short_messages_are_left_to_the_rules_and_numbers_stay_off_what_is_not_bme() -> None:
    selection = Selection(("not_bme/other",), why=("not_bme/other: reading rules",))
    reading = Reading((), None, "")
    sure = (("topic/duration", 0.95), ("decision/activity", 0.9))
    with trying(lambda text: sure, SETTINGS):
        assert complete(selection, reading, "how long will it last", KB) == selection
        done = complete(selection, reading, "my skin bruise, how long will it last then", KB)
    assert done.units == ("not_bme/other", "decision/activity")  # no duration for a skin bruise
    assert done.why[1] == "decision/activity: answer model 0.90"


def test_a_cause_the_story_names_gives_way_to_an_answer_asked() -> None:
    told = ("cause/acl_tear", "decision/my_results")
    selection = Selection(("term/bone_bruise", "treatment/severe", *told), told=told,
                          why=("term/bone_bruise: reading rules",))
    reading = Reading((), None, "")
    sure = (("decision/return_to_sport", 0.9),)
    text = "mri shows a torn acl and a bone bruise, how do we fix it and when can she play"
    with trying(lambda text: sure, SETTINGS):
        done = complete(selection, reading, text, KB)
    # the answers asked first, then the report note; the cause told in the story made room
    assert done.units == ("term/bone_bruise", "treatment/severe", "decision/return_to_sport",
                          "decision/my_results")
    with trying(lambda text: (), SETTINGS):  # nothing added: the rules' choice stays whole
        assert complete(selection, reading, text, KB) == selection


def test_the_settings_are_read_and_checked(tmp_path: Path) -> None:
    assert 0 < load_settings().threshold <= 1 and load_settings().most_added >= 1
    bad = tmp_path / "examples.yml"
    bad.write_text("model:\n  regularisation: 1\n  min_count: 1\n  threshold: 3\n"
                   "  most_added: 1\n  min_words: 6\n")
    from bot.engine.knowledge import ContentError
    with pytest.raises(ContentError, match="threshold"):
        load_settings(bad)


def test_a_trained_model_scores_what_it_learned_saves_and_loads(
        tmp_path: Path, keyword_encoder: Encode) -> None:
    items = [Labelled("a", "he slumped over", ("term/bone_bruise",)),
             Labelled("b", "the pills please", ("decision/medicine",)),
             Labelled("c", "slumped again today", ("term/bone_bruise",)),
             Labelled("d", "which pills", ("decision/medicine",))]
    embed = Embeddings(keyword_encoder)
    linear, keys = train(items, TrainingSettings(10.0, 1), embed)
    model = AnswerModel(linear, keys, embed)
    assert model.scores("slumped on the sofa")[0][0] == "term/bone_bruise"
    assert model.scores("the pills")[0][0] == "decision/medicine"
    path = model.save(tmp_path / "answers.npz", "abc")
    loaded = AnswerModel.load(path, "abc", keyword_encoder)
    assert loaded.scores("slumped") == model.scores("slumped")
    with pytest.raises(RuntimeError, match="run `make setup`"):
        AnswerModel.load(path, "other", keyword_encoder)
    with pytest.raises(RuntimeError, match="is missing: run `make setup`"):
        AnswerModel.load(tmp_path / "none.npz", "abc", keyword_encoder)


def test_training_is_deterministic(keyword_encoder: Encode) -> None:
    items = [Labelled("a", "he slumped", ("x",)), Labelled("b", "pills", ("y",))]
    first, _ = train(items, TrainingSettings(1.0, 1), Embeddings(keyword_encoder))
    again, _ = train(items, TrainingSettings(1.0, 1), Embeddings(keyword_encoder))
    assert np.array_equal(first.weights, again.weights)


def test_no_duration_beside_the_comparison_of_the_patients_own_time() -> None:
    units, _ = learned(["duration/compare", "duration/injury"], "injury",
                       (("duration/long", 0.9), ("decision/activity", 0.8)), KB, SETTINGS, MAX_UNITS)
    assert units == ["duration/compare", "duration/injury", "decision/activity"]


def test_no_second_region_beside_the_one_the_rules_read() -> None:
    units, _ = learned(["body/spine"], "general", (("body/other", 0.9),), KB, SETTINGS, MAX_UNITS)
    assert units == ["body/spine"]



def test_no_second_answer_of_how_long() -> None:
    # "could bone cancer be the reason? and how long does it last?": the duration overview is
    # chosen, and "it can last a long time" would only say part of it again
    units, _ = learned(["cause/bone_tumor", "duration/general"], "general",
                       (("duration/long", 0.9), ("not_covered/diet", 0.8)), KB, SETTINGS, MAX_UNITS)
    assert units == ["cause/bone_tumor", "duration/general", "not_covered/diet"]
    units, _ = learned(["cause/bone_tumor"], "general", (("duration/long", 0.9),), KB, SETTINGS,
                       MAX_UNITS)
    assert units == ["cause/bone_tumor", "duration/long"]


def test_a_message_of_several_questions_is_read_question_by_question_too() -> None:
    from dataclasses import replace

    from bot.engine.answer_model import best_of
    from bot.engine.reading import read_message

    text = "my son tore his acl and has a bone bruise. can he play this season? can surgery wait?"
    reading = read_message(text)
    assert len(reading.questions) == 2

    def score(said: str) -> tuple:  # the whole message leans to surgery; one question to sport
        return (("decision/return_to_sport", 0.8),) if "play" in said and "surgery" not in said \
            else (("decision/surgery", 0.7),)

    selection = Selection(("term/bone_bruise",), why=("term/bone_bruise: reading rules",))
    with trying(score, SETTINGS):
        whole = complete(selection, reading, text, KB)
    with trying(score, replace(SETTINGS, each_question=True)):
        each = complete(selection, reading, text, KB)
    assert whole.units == ("term/bone_bruise", "decision/surgery")
    assert each.units == ("term/bone_bruise", "decision/return_to_sport", "decision/surgery")
    assert best_of((("a", 0.2), ("b", 0.5)), (("a", 0.6),)) == (("a", 0.6), ("b", 0.5))
