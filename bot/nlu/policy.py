"""A dialogue policy for a dialogue whose every turn depends on the last intent alone.

The whole dialogue of this assistant is one rule (data/rules.yml): whatever the intent, run
``action_answer``, then listen. Rasa's ``RulePolicy`` predicted it, but it is built for rules with
slots, forms and several turns. For every prediction, twice per message, it turned the whole
conversation into states and matched them against its rules. This took an eighth of the Rasa
server's CPU time under load (py-spy, reports/benchmark.md), and more as conversations grow.

:class:`LastIntentPolicy` learns from the rules and stories which action follows each intent.
At prediction it looks at two things only, the last action and the last intent:

- after any action but ``action_listen``, it predicts ``action_listen``;
- after a user message, it predicts the learnt action for the intent. ``restart``, ``back`` and
  ``session_start`` get Rasa's default actions, as under ``RulePolicy``;
- an intent with no learnt action gets ``core_fallback_action_name``, with confidence
  ``core_fallback_threshold``, as ``RulePolicy`` did.

Training refuses data that this cannot follow, and says to use ``RulePolicy``. That is data where
an intent is followed by different actions, where an action is followed by another action, or
where a rule or story sets a slot or runs a form.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Text, Tuple

from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.core.policies.rule_policy import DEFAULT_ACTION_MAPPINGS
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import (
    ACTION_DEFAULT_FALLBACK_NAME,
    ACTION_LISTEN_NAME,
    RULE_SNIPPET_ACTION_NAME,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import InvalidConfigException

TABLE_FILE = "next_actions.json"


def _fail(tracker: DialogueStateTracker, why: str) -> InvalidConfigException:
    return InvalidConfigException(
        f"LastIntentPolicy: {why} (in '{tracker.sender_id}'). It follows dialogues in which each "
        f"intent is answered by one action whatever came before; use RulePolicy in config.yml "
        f"for this training data.")


def learn_next_actions(trackers: Iterable[DialogueStateTracker]) -> Dict[str, str]:
    """The action that follows each intent in the training trackers (rules and stories).

    Raises:
        InvalidConfigException: when the trackers need more than the last intent (see module).
    """
    table: Dict[str, str] = {}
    for tracker in trackers:
        intent: Optional[str] = None
        previous: Optional[str] = None  # the last action, None at the start or after "..."
        for event in tracker.applied_events():
            if isinstance(event, UserUttered):
                intent = event.intent_name
            elif isinstance(event, ActionExecuted) and event.action_name == RULE_SNIPPET_ACTION_NAME:
                intent = previous = None
            elif isinstance(event, ActionExecuted) and event.action_name:
                name = event.action_name
                if intent is not None:
                    if table.setdefault(intent, name) != name:
                        raise _fail(tracker, f"intent '{intent}' is followed by both "
                                             f"'{table[intent]}' and '{name}'")
                    intent = None
                elif name != ACTION_LISTEN_NAME and previous not in (None, ACTION_LISTEN_NAME):
                    raise _fail(tracker, f"action '{previous}' is followed by '{name}'")
                previous = name
            else:
                raise _fail(tracker, f"the dialogue uses {type(event).__name__} events")
    return table


def next_action(latest_action: Optional[str], intent: Optional[str],
                table: Mapping[str, str]) -> Optional[str]:
    """The action to run next, or ``None`` when the table has nothing for ``intent``."""
    if latest_action != ACTION_LISTEN_NAME:
        return ACTION_LISTEN_NAME
    if intent in DEFAULT_ACTION_MAPPINGS:
        return DEFAULT_ACTION_MAPPINGS[intent]
    return table.get(intent) if intent else None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class LastIntentPolicy(Policy):
    """Predicts the next action from the last action and the last intent (module docstring)."""

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 execution_context: ExecutionContext, featurizer: Any = None,
                 table: Optional[Dict[str, str]] = None) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self.table = table or {}

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"priority": 6, "core_fallback_threshold": 0.3,
                "core_fallback_action_name": ACTION_DEFAULT_FALLBACK_NAME}

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_AND_RULE_DATA

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain,
              **kwargs: Any) -> Resource:
        self.table = learn_next_actions(training_trackers)
        unknown = sorted(set(self.table.values()) - set(domain.action_names_or_texts))
        if unknown:
            raise InvalidConfigException(f"LastIntentPolicy: the training data runs actions "
                                         f"that domain.yml does not list: {unknown}")
        with self._model_storage.write_to(self._resource) as path:
            (Path(path) / TABLE_FILE).write_text(json.dumps(self.table, sort_keys=True),
                                                 encoding="utf-8")
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> LastIntentPolicy:
        with model_storage.read_from(resource) as path:
            table = json.loads((Path(path) / TABLE_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, execution_context, table=table)

    def _choice(self, tracker: DialogueStateTracker) -> Tuple[str, float]:
        intent = tracker.latest_message.intent.get("name") if tracker.latest_message else None
        action = next_action(tracker.latest_action_name, intent, self.table)
        if action is None:
            return self.config["core_fallback_action_name"], self.config["core_fallback_threshold"]
        return action, 1.0

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: Optional[Dict[Text, Any]] = None,
                                     **kwargs: Any) -> PolicyPrediction:
        action, confidence = self._choice(tracker)
        probabilities = self._default_predictions(domain)
        probabilities[domain.index_for_action(action)] = confidence
        return self._prediction(probabilities)
