"""Choosing the urgency thresholds (bench.urgency_cv): the figures from out-of-fold readings."""

from __future__ import annotations

from bench.urgency_cv import figures
from bot.engine.urgency import Settings, UrgentByModel
from bot.engine.urgency_training import Story
from bot.engine.safety import RedFlag

SETTINGS = Settings({"emergency": 0.7, "crisis": 0.6, "overdose": 0.65}, 0.5)


EMERGENCY, CRISIS = RedFlag("fall", "emergency"), RedFlag("self_harm", "crisis")
PAST_CRISIS = RedFlag("self_harm", "crisis", "settled")


def reading(kind: str, score: float) -> UrgentByModel:
    return UrgentByModel(kind, score, score, score, "")


def test_figures_count_alarms_per_kind_of_story() -> None:
    readings = [
        (Story("a", "emergency", "x"), None, reading("emergency", 0.72), True),  # model: raised
        (Story("b", "emergency", "x"), EMERGENCY, reading("emergency", 0.3), True),  # set aside
        (Story("c", "crisis", "x"), None, reading("crisis", 0.62), True),  # crisis threshold 0.6
        (Story("d", "calm", "x"), CRISIS, None, True),  # a rule's crisis stands
        (Story("e", "calm", "x"), None, reading("emergency", 0.69), True),  # just under
        (Story("f", "calm", "x"), EMERGENCY, None, False),  # too short to read: the rule stands
        (Story("g", "calm", "x"), PAST_CRISIS, reading("crisis", 0.3), True),  # settled, set aside
        (Story("h", "crisis", "x"), PAST_CRISIS, reading("crisis", 0.8), True),  # the model: urgent
    ]
    row = figures(readings, SETTINGS)
    assert row["emergency"] == [1, 2] and row["crisis"] == [2, 2] and row["overdose"] == [0, 0]
    assert row["calm"] == [2, 4]
    assert row["thresholds"] == dict(SETTINGS.thresholds) and row["sets_aside_below"] == 0.5
