"""The entity ruler's patterns on the built spaCy pipeline: phrase -> (label, id)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import pytest
import spacy
from spacy.language import Language

from bot.nlu.build import LABELS, build_pipeline, main


@pytest.fixture(scope="module")
def nlp() -> Language:
    return build_pipeline()


def ents(nlp: Language, text: str) -> List[Tuple[str, str]]:
    return [(ent.label_, ent.ent_id_) for ent in nlp(text).ents]


@pytest.mark.parametrize("text, expected", [
    # body parts, plural and capitalised
    ("my Knees hurt", [("BODY_PART", "knee")]),
    ("pain in my lower back", [("BODY_PART", "spine")]),
    ("my back hurts", [("BODY_PART", "spine")]),
    ("can it come back once it has healed", []),  # "come back" is not the spine
    ("both ankles", [("BODY_PART", "ankle")]),
    ("a stress fracture in the heel", [("CAUSE", "stress_fracture"), ("BODY_PART", "foot")]),
    # bones and regions of a radiology report, by the region the article names
    ("edema in the navicular and medial cuneiform", [("BODY_PART", "foot"), ("BODY_PART", "foot")]),
    ("2nd metatarsal stress reaction", [("BODY_PART", "foot"), ("CAUSE", "stress_fracture")]),
    ("talar dome lesion", [("BODY_PART", "ankle")]),
    ("lateral tibial plateau", [("BODY_PART", "knee")]),
    ("medial femoral condyle", [("BODY_PART", "knee")]),
    ("the femoral head", [("BODY_PART", "hip")]),
    # the article's dislocation is of the hip; a kneecap's or an ankle's is that body part
    ("after a transient lateral patellar dislocation", [("BODY_PART", "knee")]),
    ("she dislocated her kneecap", [("BODY_PART", "knee")]),
    ("a dislocated hip", [("CAUSE", "hip_dislocation")]),
    ("humeral head edema after a shoulder dislocation", [("CAUSE", "injury")]),
    ("STIR hyperintensity L3 vertebral body", [("BODY_PART", "spine"), ("BODY_PART", "spine")]),
    ("sacral insufficiency", [("BODY_PART", "spine")]),
    ("the tibia", []),  # the shin: not a region the article names
    # causes, lay words and misspellings
    ("I have knee osteoarthritus", [("BODY_PART", "knee"), ("CAUSE", "osteoarthritis")]),
    ("it's just wear and tear", [("CAUSE", "osteoarthritis")]),
    ("what about with OA", [("CAUSE", "osteoarthritis")]),
    ("she tore her ACL", [("CAUSE", "acl_tear")]),
    ("anterior cruciate ligament rupture", [("CAUSE", "acl_tear")]),
    ("a vertebral compression fracture", [("CAUSE", "vertebral_compression_fracture")]),
    ("they found a bone tumour", [("CAUSE", "tumor")]),
    ("I dislocated my hip", [("CAUSE", "hip_dislocation")]),
    ("avascular necrosis", [("CAUSE", "osteonecrosis")]),
    ("after a sports injury", [("CAUSE", "injury")]),
    ("from repetitive impact", [("CAUSE", "overuse")]),
    ("I broke my ankle", [("CAUSE", "fracture"), ("BODY_PART", "ankle")]),
    # treatments
    ("will physio help", [("TREATMENT", "physical_therapy")]),
    ("a cortisone shot", [("TREATMENT", "steroid_injection")]),
    ("do I need an operation", [("TREATMENT", "surgery")]),
    ("are NSAIDs ok", [("TREATMENT", "nsaids")]),
    # nothing to find
    ("what is bone marrow edema", []),
    ("take a break", []),
])
def test_phrases_get_labels_and_ids(nlp: Language, text: str, expected: List[Tuple[str, str]]) -> None:
    assert ents(nlp, text) == expected


def test_lookup_lemmatizer_is_loaded(nlp: Language) -> None:
    assert [t.lemma_ for t in nlp("knees were broken")] == ["knee", "be", "break"]


def test_only_known_labels(nlp: Language) -> None:
    assert set(nlp.get_pipe("entity_ruler").labels) == set(LABELS)  # type: ignore[attr-defined]


def test_disk_round_trip_as_rasa_loads_it(tmp_path: Path) -> None:
    assert main([str(tmp_path / "pipeline")]) == 0
    loaded = spacy.load(tmp_path / "pipeline")
    assert loaded.pipe_names == ["lemmatizer", "entity_ruler"]
    assert ents(loaded, "torn ACL in the knee") == [("CAUSE", "acl_tear"), ("BODY_PART", "knee")]


def test_unknown_label_in_patterns_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "patterns.jsonl"
    bad.write_text('{"label": "DRUG", "pattern": "ibuprofen"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown labels \\['DRUG'\\]"):
        build_pipeline(bad)
