"""Privacy settings of the dialogue: sessions expire and carry nothing over."""

from __future__ import annotations

from pathlib import Path

from rasa.shared.core.domain import Domain

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))


def test_sessions_expire_after_thirty_minutes_without_carrying_slots_over() -> None:
    assert DOMAIN.session_config.session_expiration_time == 30
    assert DOMAIN.session_config.carry_over_slots is False


def test_context_slots_never_steer_the_dialogue_only_the_answer_text() -> None:
    ours = {"cause", "body_part", "treatment", "answer_id"}
    assert {s.name for s in DOMAIN.slots} >= ours
    assert [s.name for s in DOMAIN.slots if s.name in ours and s.influence_conversation] == []
