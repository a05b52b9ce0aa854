"""A turn in Spanish: the same safety net, the same reviewed answers, read by the Spanish model.

The Spanish content lives in ``bot/content/es/`` with the same ids and fact ids as the English:
``answer_units.yml`` and ``knowledge.yml`` (the answers), ``replies.yml`` (everything else),
``red_flags.yml`` (the Spanish warning-sign rules, read by the same settled-story logic as the
English, with the English file's phone numbers), ``unit_examples.yml`` (the Spanish model's
examples) and ``vocabulary.yml``. Every Spanish text is pending review by a qualified medical
translator (``bot/content/es/reviews.yml``).

:func:`spanish_reply` answers one message: a warning sign in either language's rules gets the
Spanish urgent message; a button's payload its topic; otherwise each question of the message
(split at sentence ends and at "y cómo", "también"...) is read by the Spanish model
(:mod:`bot.engine.spanish_model`) and the answers it is sure of are given in the order asked, in
the patient's context (injury, osteoarthritis) where the article tells them apart. Pure apart
from the cached content and model.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from typing import List, Optional, Sequence, Tuple

from bot.engine.answer_model import best_of
from bot.engine.knowledge import CONTENT_DIR, GENERAL, KnowledgeBase, load_knowledge
from bot.engine.language import fold, load_vocabulary
from bot.engine.replies import Button, Reply, load_replies, urgent_reply
from bot.engine.retrieval import TOPIC_KEY
from bot.engine.safety import (NEVER_SETTLED, RedFlagRules, load_red_flags, normalise,
                               read_flag_value, safety_check_note)
from bot.engine.scope import COMPARE
from bot.engine.selection import BODY_PREFIX, LONG_MONTHS, State
from bot.engine.spanish_model import REPLY_KEY, Scores, built_spanish_model

ES_DIR = CONTENT_DIR / "es"
PART_THRESHOLD = 0.1  # a question's best answer is given when the model gives it at least this
SECOND_THRESHOLD = 0.3  # a second answer for one question only this sure (5-fold CV on the development cases)
MAX_UNITS = 3
FALLBACK = "fallback"
STANDING = "standing"  # the red_flags.yml message said under every Spanish answer and decline
WITH_STANDING_LINE = ("fallback", "out_of_scope", "ask_personal_advice", "context_noted",
                      "context_unknown", "talk_to_person")


ES_RED_FLAGS = ES_DIR / "red_flags.yml"


def spanish_red_flags() -> RedFlagRules:
    """The Spanish rules (with the English file's phone numbers: one place to change them)."""
    return load_red_flags(ES_RED_FLAGS)


def fold_for_rules(text: str) -> str:
    return normalise(fold(text))


def questions_of(text: str) -> List[str]:
    """The questions of a message: its sentences, cut again at the words that start a new one."""
    splits = [fold(str(s)) for s in load_vocabulary().raw.get("splits") or ()]
    pattern = re.compile(r"\b(?=(?:" + "|".join(re.escape(s) for s in splits) + r")\b)") \
        if splits else None
    parts: List[str] = []
    folded = with_regions(text)
    for found in re.finditer(r"[^.?!;\n]+([.?!;\n]*)", folded):
        sentence, asked = found.group(0).rstrip(".?!;\n "), "?" in found.group(1)
        pieces = pattern.split(sentence) if pattern else [sentence]
        parts += [re.sub(r"^y\s+", "", p.strip(" ,")) + ("?" if asked else "")
                  for p in pieces if len(p.split()) >= 2]
    return parts


def read_each(texts: Sequence[str]) -> List[Scores]:
    """The model's scores for each question, and for its last clause when it has several ("mi
    mamá tiene artrosis y ..., ¿es grave?": the question is at the end); the best of the two."""
    model = built_spanish_model()
    if model is None:
        return []
    tails = [t.rsplit(",", 1)[-1].strip() for t in texts]
    found = model.scores([*texts, *tails])
    return [best_of(found[i], found[len(texts) + i])
            if tails[i] != texts[i] and len(tails[i].split()) >= 2 else found[i]
            for i in range(len(texts))]


def with_regions(text: str) -> str:
    """A folded message with its report words read as the regions the article names
    (``vocabulary.yml`` ``regions:``): "cóndilo femoral" -> "rodilla"."""
    folded = fold(text)
    for region, names in _regions():
        folded = names.sub(region, folded)
    return folded


@lru_cache(maxsize=1)
def _regions() -> Tuple[Tuple[str, "re.Pattern[str]"], ...]:
    found = []
    for region, names in (load_vocabulary().raw.get("regions") or {}).items():
        ordered = sorted((fold(str(n)) for n in names), key=len, reverse=True)
        found.append((fold(str(region)), re.compile(r"\b(?:" + "|".join(map(re.escape, ordered))
                                                    + r")\b")))
    return tuple(found)


def context_of(text: str, default: str = GENERAL) -> str:
    """The patient's context told in ``text`` (``vocabulary.yml`` ``context:``), else ``default``."""
    found = set(re.findall(r"[a-z0-9]+", fold(text)))
    for context, listed in (load_vocabulary().raw.get("context") or {}).items():
        if found & {fold(str(w)) for w in listed}:
            return str(context)
    return default


def is_yes_no(question: str) -> bool:
    """Whether a (folded) question asks yes or no: it starts with a verb ("puedo", "es") and
    holds no question word ("qué", "cuánto")."""
    listed = load_vocabulary().raw.get("questions") or {}
    padded = f" {question} "
    if any(f" {fold(str(w))} " in padded for w in listed.get("words") or ()):
        return False
    return any(question.startswith(fold(str(s)) + " ") for s in listed.get("yes_no_starts") or ())


Chosen = Tuple[str, bool, float]  # a key, whether its question asks yes or no, its probability


def asks(question: str) -> bool:
    """Whether a (folded) part of a message asks something: a question word or a yes/no start."""
    listed = load_vocabulary().raw.get("questions") or {}
    padded = f" {question} "
    return question.endswith("?") or is_yes_no(question) or \
        any(f" {fold(str(w))} " in padded for w in listed.get("words") or ())


def choose(scores: Sequence[Scores], questions: Sequence[str]) -> List[Chosen]:
    """The keys to answer, in the order asked; reply keys (``reply/greet``) only when no answer
    was found. A body part narrows an answer and never replaces it: what the article says of a
    region is given only when a part asks about it first ("¿es común en la rodilla?"), not for
    a part that only tells where ("tengo edema en el tobillo") nor beside another answer."""
    chosen: List[Chosen] = []
    for question, found in zip(questions, scores):
        for n, (key, probability) in enumerate(found[:2]):
            region = key.startswith(BODY_PREFIX)
            if probability < (PART_THRESHOLD if n == 0 else SECOND_THRESHOLD) or \
                    key in (c[0] for c in chosen) or (region and (n > 0 or not asks(question))):
                continue
            chosen.append((key, is_yes_no(question), probability))
    answers = [c for c in chosen if not c[0].startswith(REPLY_KEY)]
    return answers[:MAX_UNITS] if answers else chosen[:1]


def _buttons(kb: KnowledgeBase, topics: Sequence[str]) -> Tuple[Button, ...]:
    return tuple(Button(kb.topics[t].title, f"/ask_{t}") for t in topics if t in kb.topics)


def named_reply(name: str) -> Reply:
    kb, replies = load_knowledge(), load_replies()
    text, buttons = replies.get(name if name in replies.replies else FALLBACK)
    return Reply(text, _buttons(kb, buttons), name=name if name in replies.replies else FALLBACK)


def compose(keys: Sequence[Chosen], context: str) -> Reply:
    """One reply of the chosen answers, in order, with their facts and the last one's buttons."""
    kb = load_knowledge()
    ids: List[str] = []
    texts: List[str] = []
    facts: List[str] = []
    for key, yes_no, _ in keys:
        answer = kb.answer(key[len(TOPIC_KEY):], context) if key.startswith(TOPIC_KEY) \
            else kb.unit(key)
        ids.append(answer.answer_id)
        texts.append(answer.full_text if yes_no else without_yes_no_es(answer.full_text))
        facts += answer.facts
    topic = kb.units[ids[-1]].topic
    return Reply("\n\n".join(texts), _buttons(kb, kb.topics[topic].next), "+".join(ids),
                 tuple(dict.fromkeys(facts)), ask=kb.units[ids[0]].topic, context=context,
                 why=tuple(f"{a}: Spanish model {p:.2f}" for a, (_, _, p) in zip(ids, keys)))


_OPENER = re.compile(r"^(?:Sí|No)[,.]\s+")


def without_yes_no_es(text: str) -> str:
    """``text`` without an opening "Sí," or "No.", where no yes/no question was asked."""
    rest = _OPENER.sub("", text, count=1)
    return rest[:1].upper() + rest[1:] if rest != text else text


def spanish_warning(text: str) -> Optional[str]:
    """The urgent message kind a warning sign told in Spanish, going on now, calls for."""
    found = spanish_red_flags().check(fold_for_rules(text)) if text else None
    return found.message if found is not None and not found.settled else None


def spanish_reply(text: str, intent: Optional[str], state: State,
                  red_flag: Optional[str] = None) -> Reply:
    """The Spanish reply to one message (``red_flag``: the English guard's finding, if any)."""
    found = spanish_red_flags().check(fold_for_rules(text))
    english_kind, english_told = read_flag_value(red_flag)
    if found is not None and not found.settled:
        return urgent_reply(found.message)
    if english_kind and not (english_told == "settled" and english_kind in NEVER_SETTLED):
        return urgent_reply(english_kind)
    reply = _answer(text, intent, state)
    # a crisis or overdose told only as a settled past: answered, with help; any other answer
    # or decline: the standing line on what to do in an emergency (the Spanish rules miss some)
    if found is None and not (reply.answer_id or reply.name in WITH_STANDING_LINE):
        return reply  # a greeting, thanks, the language switch: the disclaimer said it
    note = safety_check_note(found.message) if found is not None else \
        spanish_red_flags().messages[STANDING]
    return replace(reply, text=f"{reply.text}\n\n{note}")


def region_answer(text: str) -> Optional[str]:
    """What the article says of the region a text names (``vocabulary.yml``), if it names one."""
    vocabulary = load_vocabulary().raw
    found = f" {with_regions(text)} "
    for word, answer in (vocabulary.get("region_answers") or {}).items():
        if f" {fold(str(word))} " in found or f" {fold(str(word))}?" in found:
            return str(answer)
    others = [fold(str(w)) for w in vocabulary.get("other_regions") or ()]
    return "body/other" if any(re.search(rf"\b{re.escape(w)}\b", found) for w in others) else None


def follow_up(text: str, state: State) -> Optional[Chosen]:
    """A short "¿y en la cadera?" or "¿y con artrosis?" after an answer: the same question for
    that region (what the article says of it) or in that context (the last topic's answer)."""
    folded = fold(text)
    if not state.last_units or len(folded.split()) > 6 or not re.match(r"^(y|e|pero)\b", folded):
        return None
    region = region_answer(text)
    if region:
        return (region, False, 1.0)
    context = context_of(text, "")
    last = load_knowledge().units.get(state.last_units[-1])
    if context and last is not None and last.topic in load_knowledge().topics:
        return (TOPIC_KEY + last.topic, False, 1.0)
    return None


def months_told(text: str) -> Optional[Tuple[float, str]]:
    """The longest length of time a message tells, in months, with its words ("9 meses")."""
    table = load_vocabulary().raw.get("time") or {}
    numbers, units = table.get("numbers") or {}, table.get("units") or {}
    pattern = (r"\b(?:(\d+(?:[.,]\d+)?|" + "|".join(map(re.escape, numbers)) + r")\s+)?(" +
               "|".join(map(re.escape, units)) + r")\b(\s+y\s+medio)?")
    found = []
    for match in re.finditer(pattern, fold(text)):
        amount, unit, half = match.groups()
        if amount is None and not half:  # "el mes pasado" tells no length; "año y medio" does
            continue
        value = 1.0 if amount is None else float(amount.replace(",", ".")) if amount[0].isdigit() \
            else float(numbers[amount])
        found.append(((value + (0.5 if half else 0.0)) * float(units[unit]), match.group(0)))
    return max(found) if found else None


def with_comparison(keys: List[Chosen], text: str, context: str) -> Tuple[List[Chosen], str, Tuple[str, ...]]:
    """Where a duration is asked and the patient told how long it has been (after an injury or
    with no context), the sentence that sets their time against the article's 4 to 12 months,
    then the answer for that case (longer than 12 months: what the article says of long cases)."""
    told = months_told(text)
    about_time = [k for k in keys if k[0] in ("topic/duration", "duration/general", "duration/injury",
                                              "duration/long")]
    kb = load_knowledge()
    if told is None or not about_time or context == "osteoarthritis" or told[0] < 0.07:
        return keys, "", ()
    comparison = next(c for c in kb.comparisons if told[0] < c.below_months)
    main = "duration/long" if told[0] >= LONG_MONTHS else "duration/injury"
    rest = [k for k in keys if k not in about_time and k[0] != main]
    sentence = comparison.text.format(time=told[1])
    return [(main, False, about_time[0][2]), *rest], sentence[:1].upper() + sentence[1:], \
        comparison.facts


def _answer(text: str, intent: Optional[str], state: State) -> Reply:
    context = context_of(text, state.context)
    if text.startswith("/") and intent:  # a button's payload ("/ask_serious", "/greet")
        topic = intent[len("ask_"):] if intent.startswith("ask_") else ""
        if topic in load_knowledge().topics:
            return compose([(TOPIC_KEY + topic, False, 1.0)], context)
        return named_reply(intent)
    again = follow_up(text, state)
    if again is not None:
        return compose([again], context)
    questions = questions_of(text) or [with_regions(text)]
    keys = choose(read_each(questions), questions)
    if not keys and len(questions) > 1:  # no one part is clear: the message as a whole
        whole = with_regions(text).replace(".", ",")
        keys = choose(read_each([whole]), [whole])
    if not keys:
        return named_reply(FALLBACK)
    if keys[0][0].startswith(REPLY_KEY):
        return named_reply(keys[0][0][len(REPLY_KEY):])
    keys, comparison, facts = with_comparison(keys, text, context)
    reply = compose(keys, context)
    if not comparison:
        return reply
    return replace(reply, text=f"{comparison}\n\n{reply.text}", answer_id=f"{COMPARE}+{reply.answer_id}",
                   facts=tuple(dict.fromkeys(facts + reply.facts)))
