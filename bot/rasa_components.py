"""Two small Rasa NLU graph components, used in config.yml.

- :class:`EntityIdNormalizer` turns the text of each entity that ``SpacyEntityExtractor`` found
  ("knees", "torn ACL") into the pattern id of the entity ruler ("knee", "acl_tear"), so slots hold
  ids the knowledge base knows. The ids come from the spaCy doc that ``SpacyNLP`` already made; no
  second copy of the patterns exists.
- :class:`RedFlagGuard` runs last in the pipeline. When the deterministic red-flag check
  (:mod:`bot.safety`) matches a message, it sets the intent to ``emergency`` with confidence 1 and
  adds a ``red_flag`` entity naming the urgent message, whatever the classifier or the fallback
  classifier predicted.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.replies import EMERGENCY
from bot.safety import RED_FLAG_ENTITY, find_red_flag

__all__ = ["EntityIdNormalizer", "RedFlagGuard", "RED_FLAG_ENTITY"]


class _StatelessComponent(GraphComponent):
    """A component with no training and no configuration."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class EntityIdNormalizer(_StatelessComponent):
    """Replace spaCy entity texts by their entity-ruler pattern ids."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            doc = message.get(SPACY_DOCS[TEXT])
            if doc is None or not message.get(ENTITIES):
                continue
            ids = {(ent.start_char, ent.end_char, ent.label_): ent.ent_id_ for ent in doc.ents}
            for entity in message.get(ENTITIES):
                key = (entity.get(ENTITY_ATTRIBUTE_START), entity.get(ENTITY_ATTRIBUTE_END),
                       entity.get(ENTITY_ATTRIBUTE_TYPE))
                if ids.get(key):
                    entity[ENTITY_ATTRIBUTE_VALUE] = ids[key]
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RedFlagGuard(_StatelessComponent):
    """Force the ``emergency`` intent when a red-flag rule matches the message text."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            flag = find_red_flag(message.get(TEXT) or "")
            if flag is None:
                continue
            intent = {INTENT_NAME_KEY: EMERGENCY, PREDICTED_CONFIDENCE_KEY: 1.0}
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or []
                       if r.get(INTENT_NAME_KEY) != EMERGENCY]
            entity = {ENTITY_ATTRIBUTE_TYPE: RED_FLAG_ENTITY, ENTITY_ATTRIBUTE_VALUE: flag.message,
                      ENTITY_ATTRIBUTE_START: 0, ENTITY_ATTRIBUTE_END: len(message.get(TEXT)),
                      EXTRACTOR: self.__class__.__name__, "rule": flag.id}
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [intent] + ranking, add_to_output=True)
            message.set(ENTITIES, (message.get(ENTITIES) or []) + [entity], add_to_output=True)
        return messages
