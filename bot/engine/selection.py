"""Choosing the answer units that answer a message, question by question.

A pure function of what :mod:`bot.engine.reading` read, the NLU's topic for the message, and what the
conversation knows (the patient's context, the last kind of question and the last units given).
Wording comes only from the content files; this module only picks ids.

Two mechanisms choose, each explainable to a clinician. The reading rules of
``bot/content/questions.yml`` handle structure: several questions, follow-ups, a length of time
compared with the article's, settled stories, the patient's context, and the words of terms and
reports. The nearest reviewed example question (:mod:`bot.engine.retrieval`, learned from
``bot/content/unit_examples.yml``) adds what the rules missed, for each clause: "is there anything
I can eat" is nearest to the diet answer's examples though no rule names food. Each choice says
why (:attr:`Selection.why`). Deterministic and offline; the rules take well under a millisecond,
the nearest example one pass of the sentence model for the message's clauses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Set, Tuple

from bot.engine.knowledge import GENERAL, KnowledgeBase
from bot.engine.reading import NO_ASK, Clause, Lexicon, Reading, is_yes_no
from bot.engine.retrieval import Hit, Settings
from bot.engine.scope import COMPARE, NOT_BME, NOT_BME_SUBJECT, keep_to_bme, tells_bme

BODY_PREFIX = "body/"  # the units that say what the article says of a body part
CAUSE_PREFIX = "cause/"  # the units that say what the article says of a cause
MAX_UNITS = 4
MAX_UNITS_PER_QUESTION = 3  # one when the message asks several questions
LONG_MONTHS = 12.5  # beyond the article's "4 to 12 months": the long-lasting unit answers


@dataclass(frozen=True)
class State:
    """What the conversation knows before this message (kept in slots between turns)."""

    context: str = GENERAL  # the patient's context as of this message (its entities included)
    last_context: str = GENERAL  # the context the last answer was given in
    last_ask: Optional[str] = None
    last_units: Tuple[str, ...] = ()
    body_part: Optional[str] = None  # the body part the patient named last (slot ``body_part``)


@dataclass(frozen=True)
class Selection:
    """The units that answer a message, in the order asked, and the state for the next turn."""

    units: Tuple[str, ...]
    ask: Optional[str] = None  # the last kind of question answered
    context: str = GENERAL
    comparison: Optional[str] = None  # the sentence of duration/compare, filled in
    comparison_facts: Tuple[str, ...] = field(default=())
    # the units that answer a yes/no question first: only these may open with "Yes" or "No"
    yes_no: Tuple[str, ...] = field(default=())
    why: Tuple[str, ...] = field(default=())  # for each unit, what chose it (for the audit)
    # the units added for what the story tells, not asked (a cause it names, the note on reading
    # one's own report): they follow the answers, and a cause gives way to an answer asked
    told: Tuple[str, ...] = field(default=())


def _context_of(clause: Clause, kb: KnowledgeBase, lexicon: Lexicon, default: str) -> str:
    denied = "no_injury" in clause.subjects  # "I never hurt my knee" is no injury
    found = [kb.causes[s].context if s in kb.causes else
             GENERAL if denied else lexicon.subject_context.get(s, GENERAL) for s in clause.subjects]
    specific = [c for c in found if c != GENERAL]
    return specific[-1] if specific else default


# Kinds whose overview is no answer to a bare question after a story: "what does it mean?" and
# "can I still train?" and "what caused it?" are answered by what the story names (the term,
# the activity, the cause).
_OWN_ANSWER_KINDS = (None, NO_ASK, "what_is", "decision", "causes")
_POINTS_BACK = re.compile(r"\b(that|this|those|these)\b")  # "is that really necessary"
_IF_CONTEXT = ("what if", "and if", "but if", "if ", "what about", "and for", "how about", "and with")


def _ask_of(kb: KnowledgeBase, lexicon: Lexicon, units: List[str]) -> Optional[str]:
    """The kind of question the first unit answers (for follow-ups after a question that named
    no kind: "can a bone tumour be behind it" -> causes)."""
    topic = kb.units[units[0]].topic if units and units[0] in kb.units else None
    return next((a.id for a in lexicon.asks if topic and a.topic == topic), None)


def overview(kb: KnowledgeBase, lexicon: Lexicon, ask: Optional[str], context: str) -> List[str]:
    """The broad answer to a kind of question in the patient's context."""
    kind = next((a for a in lexicon.asks if a.id == ask), None)
    if kind is None:
        return []
    if kind.unit:
        return [kind.unit]
    return [kb.answer(kind.topic, context).answer_id] if kind.topic and kind.topic in kb.topics else []


def _by_rules(lexicon: Lexicon, clause: Clause, ask: Optional[str], context: str,
              limit: int = MAX_UNITS_PER_QUESTION) -> Tuple[List[str], bool]:
    """Units for the clause's subjects, by the first rule that fits each; and whether one of
    those rules wants the overview too."""
    units: List[str] = []
    plain: List[bool] = []
    covered: Set[str] = set()
    for rule in lexicon.rules:
        if rule.about in clause.subjects and rule.about not in covered and \
                rule.fits(ask, context, clause.inherited):
            covered.update((rule.about, *rule.covers))
            if rule.unit not in units:
                units.append(rule.unit)
                plain.append(not rule.with_overview)
    # the overview too only where nothing but a term was found ("how long does a bone bruise take")
    return units[:limit], bool(units) and not any(plain)


def _duration_units(kb: KnowledgeBase, reading: Reading, context: str,
                    units: List[str]) -> Tuple[List[str], Optional[str], Tuple[str, ...]]:
    """A length of time the patient gave, set against the article's numbers, then the unit for
    that case (4 to 12 months, or longer)."""
    if reading.months is None or context == "osteoarthritis" or not kb.comparisons:
        return units, None, ()
    if reading.months < 1 / 30 * 2:  # "a day" or so: not a length of time to compare
        return units, None, ()
    comparison = next(c for c in kb.comparisons if reading.months < c.below_months)
    main = "duration/long" if reading.months >= LONG_MONTHS else kb.answer("duration", "injury").answer_id
    overviews = {"duration/long", *(a.answer_id for a in kb.topics["duration"].answers.values())}
    rest = [u for u in units if u not in overviews]
    text = comparison.text.format(time=reading.time_words).capitalize()
    return [COMPARE, main, *rest], text, comparison.facts


def _for_clause(kb: KnowledgeBase, lexicon: Lexicon, clause: Clause, ask: Optional[str],
                context: str, state: State, limit: int, given: List[str]) -> List[str]:
    if clause.why_alone and state.last_units:
        last = kb.units.get(state.last_units[-1])
        return [last.why] if last is not None and last.why else \
            overview(kb, lexicon, "causes", context)
    units, with_overview = _by_rules(lexicon, clause, ask, context, limit + len(given))
    if ask == "causes" and units and all(u in given for u in units):
        # "does it happen in the hip and what causes it there": the why of what was just said
        whys = [why for u in units if u in kb.units for why in [kb.units[u].why] if why]
        if whys and whys[0] not in given:
            return whys[:1]
    if units and all(u in given for u in units) and not with_overview and not clause.inherited:
        return []  # answered already by an earlier question of the message
    units = [u for u in units if u not in given][:limit]
    if clause.inherited and ask not in (None, NO_ASK, "where") and units and \
            all(u.startswith(BODY_PREFIX) for u in units):
        # a body part told in the story narrows the answer, never replaces it: "I twisted my
        # ankle ... what causes it?" gets the causes, then what the article says of the ankle
        return [*(u for u in overview(kb, lexicon, ask, context) if u not in given), *units][:2]
    if clause.inherited and ask not in _OWN_ANSWER_KINDS:
        # "should I be worried?" after a story: the question's own answer in the story's context
        # first, then at most what the story's words add ("... and how long can it last?")
        return [*(u for u in overview(kb, lexicon, ask, context) if u not in given),
                *units][:2 if limit > 1 else 1]
    if not units or (with_overview and ask not in (None, "what_is")):
        units += [u for u in overview(kb, lexicon, ask, context) if u not in units]
    return units


def _story_causes(kb: KnowledgeBase, lexicon: Lexicon, reading: Reading,
                  units: List[str]) -> List[str]:
    """What the article says about a cause the patient's story names ("scans show the ACL is
    torn ... is she right?"), after the answers to its questions: the story is why they ask."""
    if reading.words < lexicon.story_words or not reading.questions or len(units) >= MAX_UNITS - 1:
        return []
    named = [s for c in reading.clauses if not c.is_question for s in c.subjects if s in kb.causes]
    found: List[str] = []
    for cause in dict.fromkeys(named):
        clause = Clause(cause, False, "causes", (cause,), False, False)
        found += [u for u in _by_rules(lexicon, clause, "causes", GENERAL)[0]
                  if u.startswith(CAUSE_PREFIX) and u not in units and u not in found]
    return found[:1]


def _in_place(kb: KnowledgeBase, clause: Clause, before: Tuple[Clause, ...],
              state: State) -> Clause:
    """The clause with "there" made the body part named last: earlier in this message ("does it
    happen in the hip and what causes it there"), else in the conversation."""
    told_parts = [s for c in before for s in c.subjects if s in kb.body_parts]
    place = told_parts[-1] if told_parts else state.body_part
    if place and clause.subjects and set(clause.subjects) <= {"place_pronoun"}:
        return replace(clause, subjects=(place,), inherited=not told_parts)
    return clause


def _leans_on_last(clause: Clause, ask: Optional[str]) -> bool:
    """A question with no kind of its own that names something, starts like a follow-up ("and
    ...", "which of those") or is "why?": it takes the last question's kind."""
    return ask is None and (clause.follow_up or bool(clause.subjects) or clause.why_alone)


def _from_last_answer(kb: KnowledgeBase, lexicon: Lexicon, clause: Clause, ask: Optional[str],
                      context: str, state: State,
                      only_clause: bool) -> Optional[Tuple[List[str], Optional[str]]]:
    """(units, kind) for a question answered from the last answer rather than from its own words
    ("what else?", "and for arthritis?", "from what?", "is that common?"); None otherwise."""
    if not state.last_ask:
        return None
    if clause.text.startswith(("what else", "anything else")) and \
            (ask in (None, state.last_ask) or clause.weak_ask):
        # "what else is there apart from that": the rest of the last kind's answer
        return overview(kb, lexicon, state.last_ask, context), state.last_ask
    if context not in (GENERAL, state.last_context) and clause.text.startswith(_IF_CONTEXT) and \
            not _by_rules(lexicon, clause, state.last_ask, context)[0]:
        # "what if the cause is osteoarthritis", "and for arthritis?": the last question again
        return overview(kb, lexicon, state.last_ask, context), state.last_ask
    if ask == "causes" and not clause.subjects and state.last_units and \
            (clause.follow_up or only_clause):
        # "from what?" after "can you get it in the ankle?": the why of the last answer
        last = kb.units.get(state.last_units[-1])
        if last is not None and last.why and last.why not in state.last_units:
            return [last.why], ask
    follow_up = _leans_on_last(clause, ask)
    if follow_up and not clause.subjects and not clause.why_alone:
        # "is that common?", "does it make the bone break?": about what was just said
        specific = [u for u in state.last_units if u in kb.units and not kb.is_overview(u)]
        if specific:
            return specific[:1], state.last_ask
    if follow_up and context not in (state.last_context, GENERAL) and \
            not _by_rules(lexicon, clause, state.last_ask, context)[0]:
        # "and for arthritis?": the last question again, in the new context
        return overview(kb, lexicon, state.last_ask, context), state.last_ask
    return None


PLAIN_WORDS = 5  # a broad question this short, with a kind and nothing named, is plain


def _nearest(nearest: Sequence[Sequence[Hit]], position: int, settings: Optional[Settings],
             fell_back: bool) -> Optional[Hit]:
    """The answer a question's nearest reviewed example adds, if the settings let it: where the
    rules fell back on an overview, any answer retrieval may add; else only a decline of a part
    the article does not cover ("any vitamins that help?" beside the treatment asked)."""
    if settings is None or position >= len(nearest):
        return None
    return settings.answer(nearest[position]) if fell_back else \
        settings.decline(nearest[position])


def _why(units: Sequence[str], hits: Sequence[Hit], rules: Dict[str, str]) -> Tuple[str, ...]:
    """Why each unit was chosen, for the audit: the reviewed example it was nearest to, or the
    reading rule (bot/content/questions.yml) that chose it, by the kind of question, what it
    named and the context (labels, never the patient's words)."""
    by_key = {h.key: h for h in hits}
    return tuple(f"{u}: nearest example \"{by_key[u].example}\" ({by_key[u].score:.2f})"
                 if u in by_key else f"{u}: reading rules, {rules.get(u, 'told in the story')}"
                 for u in units)


def _rule(ask: Optional[str], clause: Clause, context: str) -> str:
    """The reading rule behind a clause's units, in labels: "asks duration about knee (injury)"."""
    about = ", ".join(clause.subjects) or "nothing named"
    return f"asks {ask or 'no kind'} about {about} ({context})"


def _plain(clause: Clause) -> bool:
    """A short broad question ("is it serious?", "how is it treated"): its overview answers it,
    with nothing for the nearest example to add."""
    return clause.ask not in (None, NO_ASK) and not clause.weak_ask and not clause.subjects and \
        len(clause.text.split()) <= PLAIN_WORDS


def _with_nearest(kb: KnowledgeBase, found: List[str], hit: Optional[Hit],
                  units: List[str]) -> List[str]:
    """A question's units with what its nearest example adds instead of the overview the rules
    fell back on ("is there anything I can eat to help it heal": the diet answer, not the
    treatment overview)."""
    if hit is None or hit.key in found or hit.key in units:
        return found
    specific = [u for u in found if u == COMPARE or not kb.is_overview(u)]
    if any(u.split("/")[0] == hit.key.split("/")[0] for u in specific):
        return found  # the rules chose an answer of its kind already ("can I keep running?")
    return [*specific, hit.key]


def _first_if_yes_no(clause: Clause, found: Sequence[str], units: Sequence[str]) -> List[str]:
    """The first new unit answering ``clause`` when it is a yes/no question that names what the
    unit is about: the one unit that may open with "Yes" or "No" ("will my knee look bruised?" is
    not answered "Yes, the knee is among the most common places"; "is it essential?" after a story
    of a stress fracture is not answered "Yes, the article names stress fractures")."""
    first = next((u for u in found if u not in units), None)
    return [first] if first is not None and is_yes_no(clause.text) and not clause.inherited else []


def select(reading: Reading, kb: KnowledgeBase, lexicon: Lexicon, state: State,
           nlu_ask: Optional[str] = None, nearest: Sequence[Sequence[Hit]] = (),
           settings: Optional[Settings] = None) -> Selection:
    """The units that answer each question of ``reading``, in order (at most :data:`MAX_UNITS`).

    Args:
        reading: the message, read by :func:`bot.engine.reading.read_message`.
        state: the conversation so far.
        nlu_ask: the kind of question the NLU model found for the whole message (its topic), used
            for a lone question whose words name no kind.
        nearest: for each clause of ``reading``, the answers its nearest reviewed examples name
            (:mod:`bot.engine.retrieval`); with ``settings``, they add what the rules missed.
    """
    questions = reading.questions
    units: List[str] = []
    ask_answered, context = state.last_ask, state.context
    comparison: Optional[str] = None
    comparison_facts: Tuple[str, ...] = ()
    yes_no: List[str] = []
    hits: List[Hit] = []
    rules: Dict[str, str] = {}  # unit -> the reading rule that chose it (for the audit)
    persisting = any({"persisting", "long_persisting"} & set(c.subjects) for c in reading.clauses)
    for position, clause in enumerate(reading.clauses):
        if not clause.is_question:
            continue
        before = reading.clauses[:position]  # (by position: a message may repeat a sentence)
        clause = _in_place(kb, clause, before, state)
        ask = clause.ask
        if clause.weak_ask and clause.follow_up and not clause.subjects and state.last_ask:
            ask = None  # "is that the same for everyone?": about the last answer, not "what is"
        context = _context_of(clause, kb, lexicon, state.context)
        if clause.context_only and state.last_ask:
            # the last question again, in the context just given: what the patient told answers
            # it where a rule says so ("I'm a runner" after "what causes it"), else the overview
            ask = state.last_ask
            kind = next(a for a in lexicon.asks if a.id == ask)
            found = [u for u in _by_rules(lexicon, clause, ask, context)[0]
                     if u in kb.units and kb.units[u].topic == kind.topic and kind.topic] \
                or overview(kb, lexicon, ask, context)
            if ask == "duration":
                found, comparison, comparison_facts = _duration_units(kb, reading, context, found)
            yes_no += _first_if_yes_no(clause, found, units)
            units += [u for u in found if u not in units]
            ask_answered = ask
            continue
        if ask == "treatment" and not clause.subjects and \
                {"duration/long", COMPARE} & set(state.last_units):
            # "what can they do then?" after "it's still there after a year": not helping
            clause = replace(clause, subjects=("not_helping",), inherited=False)
        leaning = _from_last_answer(kb, lexicon, clause, ask, context, state,
                                    len(reading.clauses) == 1)
        if leaning is not None:
            yes_no += _first_if_yes_no(clause, leaning[0], units)
            units += [u for u in leaning[0] if u not in units]
            ask_answered = leaning[1]
            continue
        if state.last_ask is not None and _leans_on_last(clause, ask):
            ask = state.last_ask  # a follow-up: the last kind of question, about what it names
        elif ask is None and len(questions) == 1 and not _by_rules(lexicon, clause, None, context)[0]:
            ask = nlu_ask  # the words name no kind and nothing specific: the model's topic
        told = [x for c in before if not c.is_question for x in c.subjects
                if x not in lexicon.not_inherited]
        if told and clause.subjects and not clause.inherited and ask not in (None, NO_ASK) and \
                _POINTS_BACK.search(clause.text) and not _by_rules(lexicon, clause, ask, context)[0]:
            # "GP wants to send me for an MRI. is that really necessary if it's arthritis?": what
            # the question names answers nothing of its kind, so it is about the story told
            clause = replace(clause, subjects=tuple(dict.fromkeys((*clause.subjects, *told))),
                             inherited=True)
        if clause.inherited and NOT_BME_SUBJECT in clause.subjects and tells_bme(reading):
            # "they said tendinitis for months, now the MRI says edema. how long does it last"
            clause = replace(clause, subjects=tuple(s for s in clause.subjects
                                                    if s != NOT_BME_SUBJECT))
        limit = 1 if len(questions) > 1 else MAX_UNITS_PER_QUESTION
        found = _for_clause(kb, lexicon, clause, ask if ask != NO_ASK else None, context, state,
                            limit, units)
        if comparison is None and (ask == "duration" or "duration/long" in found or (
                persisting and ask in (None, "serious", "decision", "what_is", "causes"))):
            # a length of time told with "still there" asks whether that is long
            found, comparison, comparison_facts = _duration_units(kb, reading, context, found)
        # the nearest example: any answer where the rules fell back on an overview or found
        # nothing, else only a decline beside theirs; one pass of the sentence model a question
        fell_back = all(u != COMPARE and kb.is_overview(u) for u in found)
        hit = None if _plain(clause) else _nearest(nearest, position, settings, fell_back)
        if hit is not None and not fell_back and hit.key not in found + units:
            found = [*found, hit.key]  # a decline beside what the rules chose
        hits += [hit] if hit else []
        found = _with_nearest(kb, found, hit, units)
        yes_no += _first_if_yes_no(clause, found, units)
        for unit in found:
            rules.setdefault(unit, _rule(ask if ask != NO_ASK else None, clause, context))
        units += [u for u in found if u not in units]
        ask_answered = ask or _ask_of(kb, lexicon, found) or ask_answered
    asked = list(units)
    units += _story_causes(kb, lexicon, reading, units)
    if NOT_BME not in units and any(NOT_BME_SUBJECT in c.subjects for c in reading.clauses) and \
            not tells_bme(reading):
        units.append(NOT_BME)  # told in the story ("a purple bruise on my thigh"), asked about after
    units = keep_to_bme(kb, reading, units)
    pasted = any(s in lexicon.report_subjects for c in reading.clauses if not c.is_question
                 for s in c.subjects)
    if pasted and units and lexicon.report_unit and "term/report_wording" not in units and \
            len(asked) < MAX_UNITS:
        # "what does my report mean": after the answers, never in place of one asked
        units = units[:MAX_UNITS - 1] + [lexicon.report_unit]
    chosen = tuple(dict.fromkeys(units[:MAX_UNITS]))
    rules.setdefault(NOT_BME, "something that is not bone marrow edema told")
    if lexicon.report_unit:
        rules.setdefault(lexicon.report_unit, "report words pasted")
    return Selection(chosen, ask_answered, context, comparison, comparison_facts, tuple(yes_no),
                     _why(chosen, hits, rules), tuple(u for u in chosen if u not in asked))
