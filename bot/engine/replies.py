"""What the assistant says for a turn: pure functions from (intent, context) to a :class:`Reply`.

The one answer action (``actions/actions.py``) reads the tracker and calls :func:`reply_for`;
everything it sends comes from here, and all wording comes from the content files
(``knowledge.yml`` for medical text, ``replies.yml`` for the rest, ``red_flags.yml`` for urgent care).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple


from bot import reply_kinds as kinds
from bot.engine.knowledge import (CONTENT_DIR, GENERAL, ContentError, KnowledgeBase, content_file,
                                  load_knowledge, load_yaml)
from bot.engine.reading import (Clause, find_ask, fold, load_lexicon, presses_for_dose,
                                read_message)
from bot.engine.safety import is_settled_story, read_flag_value, safety_check_note, urgent_message
from bot.engine.answer_model import complete
from bot.engine.retrieval import NearestByClause, built_retriever, load_settings
from bot.engine.scope import COMPARE
from bot.engine.selection import Selection, State, select
from bot.engine.urgency import built_urgency, judge

REPLIES_FILE = CONTENT_DIR / "replies.yml"
TOPIC_PREFIX = "ask_"
EMERGENCY = "emergency"
FALLBACK = "nlu_fallback"
INFORM = "inform"
OUT_OF_SCOPE = "out_of_scope"
PERSONAL_ADVICE = "ask_personal_advice"
TALK_TO_PERSON = "talk_to_person"
SMALL_TALK = ("greet", "goodbye", "thanks", "affirm", "deny", "bot_challenge")
MAX_SUGGESTIONS = 3
# Words that make a message about bone marrow edema even when the model calls it out of scope.
DOMAIN_WORDS = ("bone", "marrow", "edema", "oedema", "lesion", "mri", "scan", "bruise")
# The intent classifier alone escalates only this sure (a warning-sign rule always does): on the
# development urgency stories, with the rules switched off, it found 19 of 81 urgent stories at
# this confidence and 1 of 82 others; at 0.5, 34 and 6.
CLASSIFIER_ESCALATES = 0.9
WORRY_WORDS = ("worr", "scared", "afraid", "anxious", "nervous", "fear", "concern", "wonder")


@dataclass(frozen=True)
class Button:
    """A quick reply: what the user sees and the payload sent back when pressed."""

    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """One bot turn. ``answer_id`` and ``facts`` trace medical answers back to the article."""

    text: str
    buttons: Tuple[Button, ...] = ()
    answer_id: Optional[str] = None  # the answer ids joined by "+", e.g. "term/bone_bruise+duration/injury"
    facts: Tuple[str, ...] = field(default=())
    ask: Optional[str] = None  # the kind of question answered, for follow-ups ("and the hip?")
    context: Optional[str] = None  # the context the answer was given in
    name: Optional[str] = None  # the replies.yml name of a non-medical reply ("fallback", ...)
    why: Tuple[str, ...] = field(default=())  # what chose each answer unit (selection's audit)

    @property
    def answer_ids(self) -> Tuple[str, ...]:
        return tuple(self.answer_id.split("+")) if self.answer_id else ()


@dataclass(frozen=True)
class ConversationReplies:
    """The non-medical replies of replies.yml, the feedback buttons' titles by intent, and the
    care team's card (its parts by setting, and ``no_settings``)."""

    disclaimer: str
    replies: Mapping[str, Tuple[str, Tuple[str, ...]]]
    feedback_question: str = ""
    feedback_buttons: Mapping[str, str] = field(default_factory=dict)
    feedback_reasons: Mapping[str, str] = field(default_factory=dict)
    refers_to_clinician: FrozenSet[str] = frozenset()  # replies marked `refers_to_clinician: true`
    care_team: Mapping[str, str] = field(default_factory=dict)
    summary_page: Mapping[str, str] = field(default_factory=dict)  # the take-home page's words

    def get(self, name: str) -> Tuple[str, Tuple[str, ...]]:
        return self.replies[name]


def _squash(text: str) -> str:
    return " ".join(str(text).split())


#: The part of replies.yml's ``care_team:`` said when the clinic set none of its details.
CARE_TEAM_NO_SETTINGS = "no_settings"


def _care_team(path: Path, raw: Any) -> Dict[str, str]:
    """The card's parts by setting: each holds its own ``{placeholder}`` (``{phone}`` in ``phone``)
    and no other; ``no_settings`` holds none."""
    parts = {str(k): _squash(v) for k, v in (raw or {}).items()}
    if not parts.get(CARE_TEAM_NO_SETTINGS):
        raise ContentError(f"{path}: care_team: add `{CARE_TEAM_NO_SETTINGS}:`, what to say when "
                           "the clinic set no contact details")
    for part, template in parts.items():
        fill = {} if part == CARE_TEAM_NO_SETTINGS else {part: ""}
        try:
            template.format(**fill)
            ok = not fill or f"{{{part}}}" in template
        except (KeyError, IndexError, ValueError):
            ok = False
        if not ok:
            wanted = f"{{{part}}} and no other {{placeholder}}" if fill else "no {placeholder}"
            raise ContentError(f"{path}: care_team.{part}: the text must hold {wanted}")
    return parts


def load_replies(path: Optional[Path] = None) -> ConversationReplies:
    """replies.yml in the language in use (unless ``path`` is given), loaded once, checking that
    every button names a topic."""
    return _load_replies(path or content_file(REPLIES_FILE.name))


@lru_cache(maxsize=None)
def _load_replies(path: Path) -> ConversationReplies:
    with open(path, encoding="utf-8") as handle:
        raw: Dict[str, Any] = load_yaml(handle)
    topics = load_knowledge().topics
    replies = {}
    refers = set()
    for name, body in (raw.get("replies") or {}).items():
        if body.get("refers_to_clinician", False) not in (True, False):
            raise ContentError(f"{path}: replies.{name}.refers_to_clinician: must be true or false")
        if body.get("refers_to_clinician"):
            refers.add(name)
        buttons = tuple(body.get("buttons") or ())
        unknown = [b for b in buttons if b not in topics]
        if unknown:
            raise ContentError(f"{path}: replies.{name}.buttons: unknown topics {unknown}; "
                               f"use ids from knowledge.yml: {sorted(topics)}")
        replies[name] = (_squash(body["text"]), buttons)
    feedback = raw.get("feedback") or {}
    titles = {**(feedback.get("buttons") or {}), **(feedback.get("reasons") or {})}
    without_reply = sorted(set(titles) - set(replies))
    if without_reply:
        raise ContentError(f"{path}: feedback: {without_reply} have no reply under `replies:`; "
                           "add one for each feedback button and reason")
    return ConversationReplies(_squash(raw["disclaimer"]), replies,
                               _squash(feedback.get("question", "")),
                               dict(feedback.get("buttons") or {}),
                               dict(feedback.get("reasons") or {}),
                               frozenset(refers), _care_team(path, raw.get("care_team")),
                               {str(k): _squash(v) for k, v in (raw.get("summary_page") or {}).items()})


# The kind of each reply of replies.yml that is not small talk, by its name.
_KIND_BY_NAME = {"fallback": kinds.FALLBACK, "out_of_scope": kinds.OUT_OF_SCOPE,
                 PERSONAL_ADVICE: kinds.DECLINED, "context_noted": kinds.CONTEXT,
                 "context_unknown": kinds.CONTEXT, TALK_TO_PERSON: kinds.CARE_TEAM,
                 "take_home": kinds.TAKE_HOME, "take_home_empty": kinds.TAKE_HOME}


def reply_kind(reply: Reply) -> str:
    """What kind of reply this is (one of :data:`bot.reply_kinds.KINDS`), for the channels, the
    staff dashboard and the metrics."""
    if reply.answer_id and reply.answer_id.startswith("urgent/"):
        return kinds.URGENT
    if reply.answer_id:
        return kinds.ANSWER
    if reply.name and reply.name.startswith("feedback_"):
        return kinds.FEEDBACK
    return _KIND_BY_NAME.get(reply.name or "", kinds.SMALL_TALK)


def topic_button(kb: KnowledgeBase, topic: str) -> Button:
    """The button that asks about ``topic`` (payload ``/ask_<topic>``)."""
    return Button(kb.topics[topic].title, f"/{TOPIC_PREFIX}{topic}")


def topic_of(intent: Optional[str]) -> Optional[str]:
    """``ask_serious`` -> ``serious``; ``None`` for intents that are not topic questions."""
    if intent and intent.startswith(TOPIC_PREFIX):
        topic = intent[len(TOPIC_PREFIX):]
        return topic if topic in load_knowledge().topics else None
    return None


def context_for(cause: Optional[str]) -> str:
    """The answer context a recognised cause puts the conversation in (``general`` if none)."""
    causes = load_knowledge().causes
    return causes[cause].context if cause is not None and cause in causes else GENERAL


def disclaimer() -> str:
    """The short notice that starts every conversation."""
    return load_replies().disclaimer


def _named(name: str, **fill: str) -> Reply:
    kb = load_knowledge()
    text, buttons = load_replies().get(name)
    return Reply(text.format(**fill), tuple(topic_button(kb, t) for t in buttons), name=name)


def topic_answer(topic: str, cause: Optional[str] = None) -> Reply:
    """The article answer for ``topic``, for the user's context where the article distinguishes."""
    kb = load_knowledge()
    answer = kb.answer(topic, context_for(cause))
    buttons = tuple(topic_button(kb, t) for t in kb.topics[topic].next)
    return Reply(answer.full_text, buttons, answer.answer_id, answer.facts,
                 nlu_ask(TOPIC_PREFIX + topic), answer.context)


def context_noted(cause: Optional[str], body_part: Optional[str]) -> Reply:
    """Acknowledge what the user told us about themselves, without any medical statement and
    without repeating what was read from it (the cause and body part are kept in slots)."""
    kb = load_knowledge()
    known = (cause is not None and cause in kb.causes) or \
        (body_part is not None and body_part in kb.body_parts)
    return _named("context_noted" if known else "context_unknown")


def did_you_mean(ranking: Sequence[Mapping[str, Any]]) -> Reply:
    """Fallback for a message the model is unsure about: offer the likeliest topics as buttons,
    never a confident answer."""
    kb = load_knowledge()
    text, defaults = load_replies().get("fallback")
    guesses = [topic_of(str(item.get("name"))) for item in ranking]
    topics = list(dict.fromkeys(t for t in guesses if t))[:MAX_SUGGESTIONS] or list(defaults)
    return Reply(text, tuple(topic_button(kb, t) for t in topics), name="fallback")


def urgent_reply(red_flag_kind: Optional[str]) -> Reply:
    """The fixed urgent-care message; no buttons, so nothing distracts from it."""
    return Reply(urgent_message(red_flag_kind or EMERGENCY), answer_id=f"urgent/{red_flag_kind or EMERGENCY}")


def nlu_ask(intent: Optional[str]) -> Optional[str]:
    """The kind of question (questions.yml ``asks``) that the NLU model's intent stands for."""
    if intent == PERSONAL_ADVICE:
        return "decision"
    topic = topic_of(intent)
    return next((a.id for a in load_lexicon().asks if topic and a.topic == topic), None)


_OPENER = re.compile(r"^(?:Yes|No)(?:[,.]\s+|\s+(?=[A-Z]))")


def without_yes_no(text: str) -> str:
    """``text`` without an opening "Yes," or "No.": said where it answers no yes/no question."""
    rest = _OPENER.sub("", text, count=1)
    return rest[:1].upper() + rest[1:] if rest != text else text


def compose(selection: Selection) -> Reply:
    """One reply of the selected units, in order, with the facts of each."""
    kb = load_knowledge()
    texts: List[str] = []
    facts: List[str] = []
    for unit_id in selection.units:
        if unit_id == COMPARE:
            texts.append(selection.comparison or "")
            facts += selection.comparison_facts
            continue
        unit = kb.unit(unit_id)
        texts.append(unit.full_text if unit_id in selection.yes_no else without_yes_no(unit.full_text))
        facts += unit.facts
    last = [u for u in selection.units if u != COMPARE][-1]
    buttons = tuple(topic_button(kb, t) for t in kb.topics[kb.unit(last).topic].next)
    return Reply("\n\n".join(texts), buttons, "+".join(selection.units),
                 tuple(dict.fromkeys(facts)), selection.ask, selection.context, why=selection.why)


def _worry(clauses: Sequence[Clause], intent: Optional[str]) -> Optional[str]:
    """The kind of question a story without a question mark asks: that of its last sentence
    (patients put the question last), else of a sentence that says they worry ("is it
    serious" if that sentence names no kind: "I'm so anxious about it"), else the model's
    topic, else "is it serious"."""
    lexicon = load_lexicon()
    last = find_ask(lexicon, clauses[-1].text) if clauses else None
    worried = [find_ask(lexicon, c.text) or "serious" for c in clauses
               if any(w in c.text for w in WORRY_WORDS)]
    return last or next(iter(worried), None) or nlu_ask(intent) or "serious"


def answer_message(text: str, entities: Sequence[Mapping[str, Any]], intent: Optional[str],
                   state: State) -> Optional[Reply]:
    """The reply made of answer units for what ``text`` asks, or ``None`` when the message asks
    nothing the units answer (small talk, a bare statement of context, something unclear)."""
    lexicon = load_lexicon()
    reading = read_message(text, entities, lexicon)
    named = any(c.subjects for c in reading.clauses) or any(w in text.lower() for w in DOMAIN_WORDS)
    on_topic = named or bool(state.last_ask and any(q.ask or q.follow_up for q in reading.questions)) \
        or len([q for q in reading.questions if q.ask and not q.weak_ask]) > 1  # "symptoms? treatment?"
    if (intent == OUT_OF_SCOPE and not on_topic) or (intent == TALK_TO_PERSON and not named):
        return None  # "can I talk to a real person?" is not a question about a decision
    told = tuple(s for c in reading.clauses for s in c.subjects)
    causes, by_words = load_knowledge().causes, lexicon.subject_context
    new_context = [causes[s].context if s in causes else by_words[s] for s in told
                   if s in causes or s in by_words]
    if not reading.questions and state.last_ask and (
            (new_context and new_context[-1] not in (GENERAL, state.last_context))
            or (reading.months is not None and state.last_ask == "duration")):
        # "I broke my ankle" after "how is it treated?": the last question, in the new context;
        # "it's been 8 months" after "how long does it last?": that time against the article's
        told_as_follow_up = Clause(fold(text), True, None, told, True, False, context_only=True)
        reading = type(reading)((told_as_follow_up,), reading.months, reading.time_words)
    if not reading.questions:
        long_story = len(text.split()) >= lexicon.story_words
        if not long_story or intent in SMALL_TALK or (intent == INFORM and not on_topic):
            return None
        story = Clause(fold(text), True, _worry(reading.clauses, intent), told, False, False)
        reading = type(reading)(reading.clauses + (story,), reading.months, reading.time_words)
    retriever = built_retriever()
    nearest = NearestByClause(retriever, [c.text for c in reading.clauses]) if retriever else ()
    selection = select(reading, load_knowledge(), lexicon, state, nlu_ask(intent), nearest,
                       load_settings())
    selection = complete(selection, reading, text, load_knowledge())
    return compose(selection) if selection.units else None


def reply_for(
    intent: Optional[str],
    *,
    cause: Optional[str] = None,
    body_part: Optional[str] = None,
    red_flag: Optional[str] = None,
    ranking: Sequence[Mapping[str, Any]] = (),
    text: str = "",
    entities: Sequence[Mapping[str, Any]] = (),
    state: Optional[State] = None,
) -> Reply:
    """The reply to one user turn.

    Args:
        intent: the intent name after the NLU pipeline (including the red-flag guard).
        cause: the cause id kept for this conversation (slot ``cause``), if any.
        body_part: the body-part id kept for this conversation (slot ``body_part``), if any.
        red_flag: the red-flag guard's finding in this message, if any: the urgent message kind,
            marked when told as a settled past (:func:`bot.engine.safety.read_flag_value`).
        ranking: the intent ranking of this message, used to suggest topics on fallback.
        text: the message itself; with it, the reply answers its questions unit by unit.
        entities: the NLU entities of the message (with character offsets).
        state: the conversation so far (last question, context); by default a new one.
    """
    rule_kind, rule_told = read_flag_value(red_flag)
    guessed = intent == EMERGENCY and not rule_kind and not (text and is_settled_story(text))
    sure = guessed and _confidence(ranking, EMERGENCY) >= CLASSIFIER_ESCALATES
    urgency = judge(text if intent not in SMALL_TALK else "",
                    rule_kind or (EMERGENCY if sure else None), built_urgency(),
                    rule_told=rule_told)
    if urgency.kind:
        return replace(urgent_reply(urgency.kind), why=urgency.why)
    reply = _reply_to(intent, cause, body_part, ranking, text, entities, state)
    if guessed or urgency.set_aside:
        # A warning sign was guessed (by the classifier, not sure) or found by a rule that the
        # urgency model set aside: the message is answered, with what to do if a warning sign is
        # happening now.
        note = safety_check_note(urgency.set_aside_kind)
        reply = replace(reply, text=f"{reply.text}\n\n{note}",
                        why=reply.why + urgency.why)
    return reply


def _confidence(ranking: Sequence[Mapping[str, Any]], intent: str) -> float:
    return next((float(r.get("confidence") or 0.0) for r in ranking if r.get("name") == intent), 0.0)


def _reply_to(intent: Optional[str], cause: Optional[str], body_part: Optional[str],
              ranking: Sequence[Mapping[str, Any]], text: str,
              entities: Sequence[Mapping[str, Any]], state: Optional[State]) -> Reply:
    """The reply to a turn with no warning sign."""
    lexicon = load_lexicon()
    if state is not None and lexicon.dose_decline and \
            presses_for_dose(lexicon, text, state.last_units):
        return compose(Selection((lexicon.dose_decline,), "decision", state.context, why=(
            f"{lexicon.dose_decline}: pressed for a dose right after the dose decline",)))
    if text.strip():
        answered = answer_message(text, entities, intent,
                                  state or State(context_for(cause), context_for(cause)))
        if answered is not None:
            return answered
    topic = topic_of(intent)
    if topic:
        return topic_answer(topic, cause)
    if intent == EMERGENCY:
        return did_you_mean(ranking)
    if intent == INFORM:
        return context_noted(cause, body_part)
    if intent == FALLBACK or intent is None:
        return did_you_mean(ranking)
    if intent in load_replies().replies:
        return _named(intent)
    return _named("out_of_scope")


# The slots that carry a conversation from one turn to the next (domain.yml declares them).
SLOT_ANSWER_ID, SLOT_FACTS, SLOT_LAST_ASK, SLOT_LAST_CONTEXT = "answer_id", "facts", "last_ask", "last_context"


def state_from_slots(slots: Mapping[str, Any]) -> State:
    """The conversation's :class:`State` from the tracker's slots (after this message's entities
    were mapped, so ``cause`` already holds a cause named in this message)."""
    last_id = slots.get(SLOT_ANSWER_ID) or ""
    last_context = slots.get(SLOT_LAST_CONTEXT) or GENERAL
    # a context found from the patient's words ("hurt his knee at football") lasts like a cause
    context = context_for(slots.get("cause")) if slots.get("cause") else last_context
    return State(context, last_context, slots.get(SLOT_LAST_ASK),
                 tuple(u for u in last_id.split("+") if u), slots.get("body_part"))


def slots_after(reply: Reply) -> Dict[str, Any]:
    """The slots an answer leaves for the next turn: what was said (ids and facts, for audit and
    follow-ups), the kind of question and the context it was given in."""
    if reply_kind(reply) == "feedback":  # the rated answer stays the last one
        return {}
    slots: Dict[str, Any] = {SLOT_ANSWER_ID: reply.answer_id, SLOT_FACTS: list(reply.facts) or None}
    if reply.ask is not None:
        slots.update({SLOT_LAST_ASK: reply.ask, SLOT_LAST_CONTEXT: reply.context or GENERAL})
    return slots
