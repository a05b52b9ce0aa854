"""The load generator's pure parts: percentiles, result figures, and the reply checks."""

from __future__ import annotations

import asyncio
import math

import pytest

from bench.loadgen import LoadResult, Turn, default_script, percentile, reply_problem, run_load
from bot.clinic.care_team import with_care_team
from bot.settings import care_team
from bot.engine.replies import disclaimer, reply_for

SENDER = "load-test-0-0"


@pytest.mark.parametrize("values, q, expected", [
    ([5.0], 50, 5.0),                      # one value is every percentile
    ([1.0, 2.0, 3.0, 4.0], 0, 1.0),        # the minimum
    ([1.0, 2.0, 3.0, 4.0], 100, 4.0),      # the maximum
    ([1.0, 2.0, 3.0, 4.0], 50, 2.5),       # between the two middle values
    ([4.0, 1.0, 3.0, 2.0], 50, 2.5),       # order does not matter
    (list(map(float, range(1, 101))), 95, 95.05),  # linear interpolation, as NumPy does
])
def test_percentile(values, q, expected) -> None:
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_of_nothing_is_nan_and_bad_q_is_refused() -> None:
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_result_figures() -> None:
    result = LoadResult(conversations=2, sent=12, errors=2, misrouted=1,
                        latencies_ms=[float(x) for x in range(1, 11)], duration_s=2.0)
    assert result.answered == 10
    assert result.throughput == 5.0  # answered messages per second
    assert result.p50 == pytest.approx(5.5)
    assert result.p99 == pytest.approx(9.91)
    summary = result.summary()
    assert summary["throughput_msg_s"] == 5.0 and summary["errors"] == 2
    assert summary["misrouted"] == 1 and summary["p95_ms"] == pytest.approx(9.6, abs=0.05)


def test_empty_result_has_no_throughput() -> None:
    assert LoadResult(conversations=1).throughput == 0.0


def test_problems_kept_are_bounded() -> None:
    result = LoadResult(conversations=1)
    for i in range(20):
        result.note(f"problem {i}")
    assert result.problems == [f"problem {i}" for i in range(5)]


def _messages(*texts: str, recipient: str = SENDER) -> list:
    return [{"recipient_id": recipient, "text": text} for text in texts]


SERIOUS = Turn("/ask_serious", reply_for("ask_serious").text)


def test_expected_reply_after_the_disclaimer_on_the_first_turn_passes() -> None:
    assert reply_problem(SENDER, SERIOUS, True, _messages(disclaimer(), SERIOUS.expect),
                         disclaimer()) is None


def test_expected_reply_later_in_the_conversation_passes() -> None:
    assert reply_problem(SENDER, SERIOUS, False, _messages(SERIOUS.expect), disclaimer()) is None


@pytest.mark.parametrize("messages, first, why", [
    (_messages(reply_for("ask_serious").text, recipient="someone-else"), False, "addressed to"),
    (_messages(reply_for("ask_duration").text), False, "unexpected reply"),
    (_messages(disclaimer(), reply_for("ask_serious").text), False, "conversation lost"),
    ([], False, "empty"),
    ({"error": "boom"}, False, "malformed"),
    ([{"recipient_id": SENDER, "image": "x.png"}], False, "no text"),
])
def test_wrong_replies_are_flagged(messages, first, why) -> None:
    problem = reply_problem(SENDER, SERIOUS, first, messages, disclaimer())
    assert problem is not None and why in problem


def test_free_text_turns_are_checked_for_routing_only() -> None:
    turn = Turn("what is it?")
    assert reply_problem(SENDER, turn, False, _messages("any answer"), disclaimer()) is None
    assert reply_problem(SENDER, turn, False, _messages("x", recipient="other"), disclaimer())


def test_default_script_mixes_checked_buttons_and_free_text() -> None:
    script = default_script()
    buttons = [t for t in script if t.message.startswith("/")]
    assert buttons and all(t.expect for t in buttons)
    assert any(t.expect is None and not t.message.startswith("/") for t in script)
    serious = reply_for("ask_serious")  # names a doctor: the care team's card follows
    assert Turn("/ask_serious", with_care_team(serious, "ask_serious", care_team()).text) in script


def test_unreachable_server_counts_errors_and_stops_in_time() -> None:
    # Port 9 on loopback: nothing listens, every request fails at once; the run still ends.
    result = asyncio.run(run_load("http://127.0.0.1:9", 2, 0.3, timeout_s=1.0, max_messages=50))
    assert result.sent > 0 and result.errors == result.sent and result.misrouted == 0
    assert result.latencies_ms == [] and result.duration_s < 5


def test_invalid_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        asyncio.run(run_load("http://127.0.0.1:9", 0, 1.0))


def test_the_spanish_script_is_the_same_conversation_in_spanish() -> None:
    from bench.loadgen import default_script, spanish_script

    spanish, english = spanish_script(), default_script()
    assert len(spanish) == len(english) and all(t.language == "es" for t in spanish)
    assert [t.message for t in spanish if t.message.startswith("/")] == \
        [t.message for t in english if t.message.startswith("/")]
    serious = spanish[0].expect or ""
    assert serious.startswith("Depende") and "médico" in serious
