"""The answer model's cross-validation (bench.answer_cv): stable folds, one parse per text."""

from __future__ import annotations

import asyncio
from typing import Dict, List

from bench.answer_cv import cached, fold_of


def test_a_case_keeps_its_fold_and_the_folds_are_all_used() -> None:
    ids = [f"answers_{n % 7}/case-{n}" for n in range(200)]
    folds = [fold_of(i, 5) for i in ids]
    assert folds == [fold_of(i, 5) for i in ids] and set(folds) == set(range(5))


def test_each_text_is_parsed_once() -> None:
    asked: List[str] = []

    async def parse(text: str) -> Dict:
        asked.append(text)
        return {"text": text}

    once = cached(parse)
    got = [asyncio.run(once(t)) for t in ("a", "b", "a", "a")]
    assert asked == ["a", "b"] and [g["text"] for g in got] == ["a", "b", "a", "a"]
