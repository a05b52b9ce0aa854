"""Build the project's spaCy pipeline from code and data.

No pretrained spaCy model can be installed here, so the pipeline is made at set-up:
blank English, a lookup lemmatizer (tables from spacy-lookups-data) and an entity ruler whose
patterns are kept as JSONL data beside this file. Rasa's ``SpacyNLP`` loads the result from its
folder (``model: build/spacy_pipeline`` in config.yml) and ``SpacyEntityExtractor`` reports the
ruler's labels.

Usage::

    python -m bot.nlu.build [OUTPUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional, Sequence

import spacy
import srsly
from spacy.language import Language

PATTERNS_FILE = Path(__file__).parent / "patterns.jsonl"
DEFAULT_OUTPUT = Path("build/spacy_pipeline")
PIPELINE_NAME = "bme_patterns"
LABELS = ("BODY_PART", "CAUSE", "TREATMENT")


def build_pipeline(patterns_file: Path = PATTERNS_FILE) -> Language:
    """A blank English pipeline with the lookup lemmatizer and the project's entity ruler."""
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler", config={"validate": True, "overwrite_ents": True})
    patterns = list(srsly.read_jsonl(patterns_file))
    bad = sorted({p.get("label") for p in patterns} - set(LABELS))
    if bad:
        raise ValueError(f"{patterns_file}: unknown labels {bad}; use one of {', '.join(LABELS)}")
    nlp.initialize()  # loads the lemma lookup table from spacy-lookups-data
    ruler.add_patterns(patterns)  # type: ignore[attr-defined]
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["description"] = "Bone marrow edema assistant: lemmatizer and entity ruler"
    return nlp


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    output = Path(args[0]) if args else DEFAULT_OUTPUT
    print(f"Building spaCy pipeline from {PATTERNS_FILE} -> {output}")
    nlp = build_pipeline()
    output.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    ruler: Any = nlp.get_pipe("entity_ruler")
    print(f"Built {nlp.meta['name']} with {len(ruler)} patterns")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
