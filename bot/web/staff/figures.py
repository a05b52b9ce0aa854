"""The staff dashboard's figures, from the stored messages of a period: pure functions.

Everything is counted from what the answer action stores with each bot message (its kind and
answer ids: :data:`bot.reply_kinds.KIND_KEY`) and from the channel of each patient message. No
conversation id ever leaves this module. Patients' words appear only when the clinic switched
text on, and then redacted again (:func:`bot.clinic.privacy.redact`) in case they were stored before
redaction existed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from bot.engine.knowledge import load_knowledge
from bot.clinic.privacy import redact
from bot.reply_kinds import ANSWER, FEEDBACK, KIND_KEY, UNANSWERED, URGENT
from bot.stores.stored_events import StoredEvent

RATINGS = ("helpful", "not_helpful", "too_hard", "not_answered", "worried")
_WORD = re.compile(r"[a-z']+")
_STOP = frozenset("a an and are be can do does i if in is it its it's me my of on or the this to "
                  "what when how why will with you your".split())
SIMILAR = 0.5


@dataclass(frozen=True)
class Group:
    """Unanswered messages that look alike: one example (redacted) and how many."""

    example: str
    count: int


@dataclass
class Summary:
    """The figures of one period."""

    conversations: Counter = field(default_factory=Counter)  # by channel
    messages: Counter = field(default_factory=Counter)  # patient messages by channel
    topics: Counter = field(default_factory=Counter)  # answers given, by knowledge.yml topic
    answers: Counter = field(default_factory=Counter)  # by answer id
    unanswered: Counter = field(default_factory=Counter)  # by kind (UNANSWERED)
    unanswered_groups: List[Group] = field(default_factory=list)  # only when text is shown
    urgent: Counter = field(default_factory=Counter)  # by urgent-care message kind
    feedback: Dict[str, Counter] = field(default_factory=dict)  # answer id -> rating counts
    # by the conversation's language ("en", "es"): conversations, answers, unanswered, feedback
    languages: Dict[str, Counter] = field(default_factory=dict)

    @property
    def feedback_total(self) -> Counter:
        total: Counter = Counter()
        for counts in self.feedback.values():
            total.update(counts)
        return total


def about(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """What the answer action said a bot message is (``{}`` for messages it did not send)."""
    value = (event.get("metadata") or {}).get(KIND_KEY)
    return value if isinstance(value, Mapping) else {}


def _words(text: str) -> frozenset:
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP)


def group_alike(texts: Iterable[str], similar: float = SIMILAR) -> List[Group]:
    """Group messages whose words overlap by at least ``similar`` (Jaccard), largest first; each
    group shows its first message as the example."""
    groups: List[Tuple[frozenset, str, int]] = []
    for text in texts:
        words = _words(text)
        for index, (seen, example, count) in enumerate(groups):
            union = words | seen
            if union and len(words & seen) / len(union) >= similar:
                groups[index] = (seen, example, count + 1)
                break
        else:
            groups.append((words, text, 1))
    return [Group(example, count) for _, example, count in
            sorted(groups, key=lambda g: -g[2])]


def _topic(answer_id: str) -> Optional[str]:
    unit = load_knowledge().units.get(answer_id)
    return unit.topic if unit is not None else None


def summarize(events: Sequence[StoredEvent], show_text: bool = False) -> Summary:
    """The figures of the given messages (those of one period, ordered by conversation).

    Args:
        events: the stored user and bot messages (:func:`bot.stores.stored_events.read_messages`).
        show_text: whether to group unanswered messages by their (redacted) words.
    """
    summary = Summary()
    channel_of: Dict[str, str] = {}
    last_text: Dict[str, str] = {}
    unanswered_texts: List[str] = []
    feedback: Dict[str, Counter] = defaultdict(Counter)
    languages: Dict[str, Counter] = defaultdict(Counter)
    language_of: Dict[str, str] = {}
    for event in events:
        data = event.data
        if data.get("event") == "user":
            channel = str(data.get("input_channel") or "unknown")
            channel_of.setdefault(event.sender_id, channel)
            summary.messages[channel] += 1
            last_text[event.sender_id] = str(data.get("text") or "")
            continue
        what = about(data)
        kind = what.get("kind")
        answer_id = str(what.get("answer_id") or "")
        language = str(what.get("language") or language_of.get(event.sender_id) or "en")
        language_of[event.sender_id] = language
        for counted, kinds in (("answers", (ANSWER,)), ("unanswered", UNANSWERED),
                               ("feedback", (FEEDBACK,))):
            if kind in kinds:
                languages[counted][language] += 1
        if kind == ANSWER:
            for unit in answer_id.split("+"):
                summary.answers[unit] += 1
                topic = _topic(unit)
                if topic:
                    summary.topics[topic] += 1
        elif kind == URGENT:
            summary.urgent[answer_id.split("/", 1)[-1] or "emergency"] += 1
        elif kind in UNANSWERED:
            summary.unanswered[str(kind)] += 1
            if show_text and last_text.get(event.sender_id):
                unanswered_texts.append(redact(last_text[event.sender_id]))
        elif kind == FEEDBACK:
            record = what.get("feedback") or {}
            rated = str(record.get("answer_id") or "unknown")
            if record.get("rating") in RATINGS:
                feedback[rated][str(record["rating"])] += 1
    summary.conversations = Counter(channel_of.values())
    languages["conversations"] = Counter(language_of.get(sender, "en") for sender in channel_of)
    summary.languages = dict(languages)
    summary.feedback = dict(feedback)
    summary.unanswered_groups = group_alike(unanswered_texts) if show_text else []
    return summary


def csv_rows(summary: Summary, needing_review: Sequence[Tuple[str, str, Any]] = ()
             ) -> List[Tuple[str, str, str, int]]:
    """The figures as rows of (section, item, detail, count) for the CSV export; no text of any
    patient message, even when text is shown on the page."""
    rows: List[Tuple[str, str, str, int]] = []
    for section, counts in (("conversations", summary.conversations),
                            ("messages", summary.messages), ("topics", summary.topics),
                            ("answers", summary.answers), ("unanswered", summary.unanswered),
                            ("urgent", summary.urgent)):
        rows += [(section, str(key), "", int(count)) for key, count in counts.most_common()]
    for answer_id, counts in sorted(summary.feedback.items()):
        rows += [("feedback", answer_id, rating, int(counts[rating]))
                 for rating in RATINGS if counts[rating]]
    rows += [("language", language, counted, int(count))
             for counted, counts in sorted(summary.languages.items())
             for language, count in sorted(counts.items())]
    rows += [("review", answer_id, str(state), 1) for answer_id, state, _ in needing_review]
    return rows
