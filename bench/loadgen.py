"""Load generator for the REST channel: many simulated patients at once, every reply checked.

Used by ``make bench`` (:mod:`bench`) and by tests that need traffic against real servers. Each
simulated conversation is one patient after another: a fresh sender id per patient, a short script
of turns (button payloads and free text), then the next patient, until the time is up. Only
loopback servers are meant as targets; a run is bounded in time (``duration_s``) and optionally in
count (``max_messages``), and every request has its own timeout.

A reply is *misrouted* when it is not the reply this sender should get: a message addressed to
another recipient, no text at all, the start-of-conversation disclaimer in the middle of a
conversation (the server lost the conversation, e.g. a worker without a shared tracker store), or,
for a turn with an expected text, any other text. Free-text turns are checked for routing only, so
that models of different quality can be compared on the same script.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence

import aiohttp

REST_PATH = "/webhooks/rest/webhook"
REQUEST_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Turn:
    """One user message of the script, with the exact reply text expected (``None``: any text)."""

    message: str
    expect: Optional[str] = None
    language: str = "en"  # sent as the message's metadata, as the widget does


def default_script() -> List[Turn]:
    """A short patient conversation: buttons first (their answers do not depend on the model), then
    free text as patients type it, including context and a thank-you."""
    from bot.clinic.care_team import with_care_team
    from bot.settings import care_team
    from bot.engine.replies import reply_for

    def answer(intent: str) -> str:  # as sent: with the care team's card after one naming a doctor
        return with_care_team(reply_for(intent), intent, care_team()).text

    return [
        Turn("/ask_serious", answer("ask_serious")),
        Turn("/ask_duration", answer("ask_duration")),
        Turn("what does bone marrow edema on my knee MRI mean?"),
        Turn("/ask_treatment", answer("ask_treatment")),
        Turn("I have osteoarthritis in my knee"),
        Turn("how long will it take to get better"),
        Turn("is it serious?"),
        Turn("/ask_sources", answer("ask_sources")),
        Turn("thanks a lot"),
    ]


def spanish_script() -> List[Turn]:
    """The same conversation in Spanish (each message names the language in its metadata): the
    Spanish path's cost, beside the English."""
    from bot.clinic.care_team import with_care_team
    from bot.engine.knowledge import speaking
    from bot.engine.turn import take_turn
    from bot.settings import care_team

    def answer(intent: str) -> str:
        with speaking("es"):
            reply = take_turn(intent, {}, text=f"/{intent}", metadata={"language": "es"}).reply
            return with_care_team(reply, intent, care_team()).text

    return [
        Turn("/ask_serious", answer("ask_serious"), "es"),
        Turn("/ask_duration", answer("ask_duration"), "es"),
        Turn("que quiere decir edema oseo en la resonancia de mi rodilla", None, "es"),
        Turn("/ask_treatment", answer("ask_treatment"), "es"),
        Turn("tengo artrosis en la rodilla", None, "es"),
        Turn("cuanto tarda en mejorar", None, "es"),
        Turn("es grave?", None, "es"),
        Turn("/ask_sources", answer("ask_sources"), "es"),
        Turn("muchas gracias", None, "es"),
    ]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation between ranks (NumPy's default);
    ``nan`` for no values."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be between 0 and 100, got {q}")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class LoadResult:
    """What a load run measured.

    ``sent`` counts requests sent; ``errors`` those without an HTTP 200 answer (status, timeout,
    refused connection); ``misrouted`` answered ones whose reply was not this sender's (see the
    module docstring). ``latencies_ms`` has one entry per request that got an HTTP answer.
    """

    conversations: int
    sent: int = 0
    errors: int = 0
    misrouted: int = 0
    latencies_ms: List[float] = field(default_factory=list)
    duration_s: float = 0.0
    patients: int = 0
    problems: List[str] = field(default_factory=list)  # the first few, for the report

    @property
    def answered(self) -> int:
        return self.sent - self.errors

    @property
    def throughput(self) -> float:
        """Answered messages per second over the whole run."""
        return self.answered / self.duration_s if self.duration_s > 0 else 0.0

    def percentile(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    def summary(self) -> dict:
        """The figures as a JSON-friendly dict (milliseconds and messages per second)."""
        return {"conversations": self.conversations, "sent": self.sent, "errors": self.errors,
                "misrouted": self.misrouted, "patients": self.patients,
                "duration_s": round(self.duration_s, 2),
                "throughput_msg_s": round(self.throughput, 1),
                "p50_ms": round(self.p50, 1), "p95_ms": round(self.p95, 1),
                "p99_ms": round(self.p99, 1), "problems": self.problems}

    def note(self, problem: str) -> None:
        if len(self.problems) < 5:
            self.problems.append(problem)


def reply_problem(sender: str, turn: Turn, first_turn: bool, messages: Any,
                  disclaimer: Optional[str]) -> Optional[str]:
    """Why ``messages`` (the JSON answer of the REST channel) is not the reply ``sender`` should
    get for ``turn``, or ``None`` when it is. ``disclaimer`` is the text that starts every
    conversation (``None``: not checked)."""
    if not isinstance(messages, list) or not messages:
        return f"{turn.message!r}: empty or malformed reply {messages!r:.80}"
    wrong = [m.get("recipient_id") for m in messages
             if not isinstance(m, dict) or m.get("recipient_id") != sender]
    if wrong:
        return f"{turn.message!r}: reply addressed to {wrong[0]!r}, not {sender!r}"
    texts = [m.get("text") for m in messages if m.get("text")]
    if disclaimer is not None:
        if first_turn and texts[:1] == [disclaimer]:
            texts = texts[1:]
        elif not first_turn and disclaimer in texts:
            return f"{turn.message!r}: disclaimer mid-conversation (conversation lost)"
    if not texts:
        return f"{turn.message!r}: no text in reply"
    if turn.expect is not None and texts != [turn.expect]:
        return f"{turn.message!r}: unexpected reply {texts[0]!r:.80}"
    return None


async def _conversation(session: aiohttp.ClientSession, url: str, index: int, run_id: str,
                        script: Sequence[Turn], deadline: float, think_time_s: float,
                        budget: "itertools.count[int]", max_messages: Optional[int],
                        disclaimer: Optional[str], check: bool, result: LoadResult) -> None:
    for patient in itertools.count():
        sender = f"load-{run_id}-{index}-{patient}"
        result.patients += 1
        for number, turn in enumerate(script):
            if time.monotonic() >= deadline or (
                    max_messages is not None and next(budget) >= max_messages):
                return
            result.sent += 1
            started = time.perf_counter()
            try:
                body_out = {"sender": sender, "message": turn.message,
                            "metadata": {"language": turn.language}}
                async with session.post(url, json=body_out) as r:
                    body = await r.json(content_type=None) if r.status == 200 else None
                    status = r.status
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
                result.errors += 1
                result.note(f"{turn.message!r}: {type(error).__name__} {error}")
                continue
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            if status != 200:
                result.errors += 1
                result.note(f"{turn.message!r}: HTTP {status}")
                continue
            problem = reply_problem(sender, turn if check else Turn(turn.message), number == 0,
                                    body, disclaimer if check else None)
            if problem:
                result.misrouted += 1
                result.note(problem)
            if think_time_s:
                await asyncio.sleep(think_time_s)


async def run_load(url: str, conversations: int, duration_s: float, *,
                   think_time_s: float = 0.0, script: Optional[Sequence[Turn]] = None,
                   check: bool = True, max_messages: Optional[int] = None,
                   timeout_s: float = REQUEST_TIMEOUT_S) -> LoadResult:
    """Run ``conversations`` simulated conversations at once against the Rasa server at ``url``
    (``http://127.0.0.1:5005``) for ``duration_s`` seconds.

    Args:
        think_time_s: pause after each reply before the next message of that conversation.
        script: the turns of one patient (default :func:`default_script`).
        check: check reply contents (expected texts, disclaimer); routing is always checked.
        max_messages: stop after this many messages in all, even before the time is up.
        timeout_s: timeout of each request; a request that times out counts as an error.
    """
    if conversations < 1 or duration_s <= 0:
        raise ValueError("need at least one conversation and a positive duration")
    from bot.engine.knowledge import speaking
    from bot.engine.replies import disclaimer

    turns = list(script) if script is not None else default_script()
    with speaking(turns[0].language if turns else "en"):
        opening = disclaimer()
    result = LoadResult(conversations)
    run_id = uuid.uuid4().hex[:8]
    connector = aiohttp.TCPConnector(limit=conversations)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.monotonic()
        deadline = started + duration_s
        budget = itertools.count()
        await asyncio.gather(*(
            _conversation(session, url.rstrip("/") + REST_PATH, i, run_id, turns, deadline,
                          think_time_s, budget, max_messages, opening if check else None,
                          check, result)
            for i in range(conversations)))
        result.duration_s = time.monotonic() - started
    return result
