"""Small Rasa NLU graph components, used in config.yml.

- :class:`SentenceEmbeddingFeaturizer` adds one dense feature vector per message: the sentence
  embedding of all-MiniLM-L6-v2 (:mod:`bot.sentence_model.minilm_onnx`), which knows that "sinister" is
  close to "dangerous" although no training example says so. The classifier reads it next to the
  word counts.

- :class:`EntityIdNormalizer` turns the text of each entity that ``SpacyEntityExtractor`` found
  ("knees", "torn ACL") into the pattern id of the entity ruler ("knee", "acl_tear"), so slots hold
  ids the knowledge base knows. The ids come from the spaCy doc that ``SpacyNLP`` already made; no
  second copy of the patterns exists.
- :class:`NoKnownWordFallback` turns a message with no word the training data has into
  ``nlu_fallback`` ("did you mean"), whatever the classifier guessed.
- :class:`RedFlagGuard` runs last in the pipeline. When the deterministic red-flag check
  (:mod:`bot.engine.safety`) matches a message, it sets the intent to ``emergency`` with confidence 1 and
  adds a ``red_flag`` entity naming the urgent message, whatever the classifier or the fallback
  classifier predicted.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Text

import numpy as np

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.engine.replies import EMERGENCY, FALLBACK
from bot.engine.safety import RED_FLAG_ENTITY, find_red_flag

if TYPE_CHECKING:
    from bot.sentence_model.minilm_onnx import OnnxMiniLM

logger = logging.getLogger(__name__)

__all__ = ["EntityIdNormalizer", "NoKnownWordFallback", "RedFlagGuard", "RED_FLAG_ENTITY",
           "SentenceEmbeddingFeaturizer"]


class _UntrainedComponent(GraphComponent):
    """A component with no training; :meth:`from_config` reads its settings, if any."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls.from_config(config)

    @classmethod
    def from_config(cls, config: Dict[Text, Any]) -> GraphComponent:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


def _put_first(message: Message, intent_name: str) -> None:
    """Make ``intent_name`` the message's intent, sure, and first in its ranking (once)."""
    intent = {INTENT_NAME_KEY: intent_name, PREDICTED_CONFIDENCE_KEY: 1.0}
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or []
               if r.get(INTENT_NAME_KEY) != intent_name]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [intent] + ranking, add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class EntityIdNormalizer(_UntrainedComponent):
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
class NoKnownWordFallback(_UntrainedComponent):
    """``nlu_fallback`` for a message with no word of the training data, unless the guess is sure.

    A classifier always names some intent, and the sentence embedding of nonsense can sit near a
    short small-talk message ("qwzx plorb vint" -> goodbye, 0.41). With no known word, only a guess
    of at least ``threshold`` stands (a misspelt "heyy" is greet at 0.99), and so does any guess of
    ``emergency``: an unknown word ("numbness") may still be a warning sign, and an urgent reply by
    mistake costs less than a missed one. Known words are the vocabulary of the word-count
    featurizer whose ``alias`` is ``featurizer``.
    """

    def __init__(self, featurizer: str, threshold: float) -> None:
        self.featurizer = featurizer
        self.threshold = threshold

    @classmethod
    def from_config(cls, config: Dict[Text, Any]) -> GraphComponent:
        if not config.get("featurizer"):
            raise ValueError("NoKnownWordFallback: set `featurizer` to the alias of the word "
                             "CountVectorsFeaturizer in config.yml")
        return cls(config["featurizer"], float(config.get("threshold", 0.9)))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            _, words = message.get_sparse_features(TEXT, [self.featurizer])
            guess = message.get(INTENT) or {}
            if (words is None or words.features.nnz
                    or guess.get(INTENT_NAME_KEY) in (None, EMERGENCY, FALLBACK)
                    or guess.get(PREDICTED_CONFIDENCE_KEY, 0.0) >= self.threshold):
                continue
            _put_first(message, FALLBACK)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RedFlagGuard(_UntrainedComponent):
    """Force the ``emergency`` intent when a red-flag rule matches the message text."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            flag = find_red_flag(message.get(TEXT) or "")
            if flag is None:
                continue
            _put_first(message, EMERGENCY)
            entity = {ENTITY_ATTRIBUTE_TYPE: RED_FLAG_ENTITY, ENTITY_ATTRIBUTE_VALUE: flag.value,
                      ENTITY_ATTRIBUTE_START: 0, ENTITY_ATTRIBUTE_END: len(message.get(TEXT)),
                      EXTRACTOR: self.__class__.__name__, "rule": flag.id}
            message.set(ENTITIES, (message.get(ENTITIES) or []) + [entity], add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """What all-MiniLM-L6-v2 makes of each message's text (its last and third layers' states,
    pooled: :data:`bot.sentence_model.minilm.SENTENCE_LAYERS`), as a sentence feature.

    Training fine-tunes the model's top layers on the intent examples (:mod:`bot.nlu.top_layers`,
    settings under ``fine_tune`` in config.yml), starting from the states of the graph that set-up
    exported (``model``), then exports the tuned model with 8-bit weights into the trained model's
    storage; a loaded model runs that graph only. Only a sentence feature is added: the model's
    word pieces are not the tokenizer's tokens, so there is no per-token sequence feature to line
    up with the others.
    """

    _GRAPH = "model-int8.onnx"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # weight: the embedding has unit length, word counts are whole numbers; a linear classifier
        # with its default regularisation underuses the embedding unless it is scaled up.
        return {**DenseFeaturizer.get_default_config(), "model": "build/minilm/model-int8.onnx",
                "weight": 1.0, "fine_tune": {}}

    def __init__(self, name: Text, config: Dict[Text, Any], model_storage: ModelStorage,
                 resource: Resource, encoder: Optional["OnnxMiniLM"] = None) -> None:
        super().__init__(name, config)
        self._model_storage, self._resource, self._encoder = model_storage, resource, encoder

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls(execution_context.node_name, config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> GraphComponent:
        # Loaded with the model, before the server says it is ready, so the first patient does
        # not wait for it; onnxruntime reads the whole file here.
        from bot.sentence_model.minilm_onnx import OnnxMiniLM

        with model_storage.read_from(resource) as folder:
            encoder = OnnxMiniLM(folder / cls._GRAPH)
        return cls(execution_context.node_name, config, model_storage, resource, encoder)

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        """What Rasa's training cache must also compare: the code that trains and exports, and the
        graph it starts from (a change to either makes a cached result stale).

        Rasa also calls this with another node's config: when a retraining restores this
        component's trained model from the cache, the node becomes a ``PrecomputedValueProvider``
        (config ``{"output": ...}``), and Rasa's cache hook fingerprints it with this class before
        throwing the fingerprint away. Such a config has no ``model``; reading it as
        ``config["model"]`` failed that retraining with ``KeyError: 'model'``.
        """
        import hashlib

        from bot.nlu import top_layers
        from bot.sentence_model import minilm, minilm_onnx

        digest = hashlib.sha256()
        for path in (minilm.__file__, minilm_onnx.__file__, top_layers.__file__, __file__,
                     config.get("model")):
            found = path is not None and Path(str(path)).exists()
            digest.update(Path(str(path)).read_bytes() if found else b"missing")
        return digest.hexdigest()

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        from bot.nlu.top_layers import TuningSettings

        if not isinstance(config.get("weight"), (int, float)) or config["weight"] <= 0:
            raise ValueError(f"SentenceEmbeddingFeaturizer: weight must be a positive number, "
                             f"not {config.get('weight')!r}")
        known = set(TuningSettings.__dataclass_fields__)
        unknown = set(config.get("fine_tune") or {}) - known
        if unknown:
            raise ValueError(f"SentenceEmbeddingFeaturizer: fine_tune has no setting "
                             f"{', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")

    def train(self, training_data: TrainingData) -> Resource:
        """Fine-tune the top layers on the intent examples; keep the tuned graph with the model."""
        from bot.sentence_model.minilm import DIMENSIONS, SENTENCE_LAYERS, MiniLM
        from bot.sentence_model.minilm_onnx import OnnxMiniLM, export
        from bot.nlu.top_layers import TuningSettings, fine_tune, initial_layers, with_layers

        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        below = OnnxMiniLM(Path(self._config["model"])).token_states(
            [m.get(TEXT) for m in examples])
        weights = MiniLM.load().weights
        settings = TuningSettings(**(self._config["fine_tune"] or {}))
        top = fine_tune(
            initial_layers(weights), [s[:, :DIMENSIONS] for s in below],
            [m.get(INTENT) for m in examples], settings, progress=lambda epoch, loss: logger.info(
                f"Fine-tuning the sentence model: epoch {epoch}/{settings.epochs}, loss {loss:.3f}"))
        with self._model_storage.write_to(self._resource) as folder:
            export(folder / self._GRAPH, weights=with_layers(weights, top), pooled=SENTENCE_LAYERS)
        return self._resource

    def _embed(self, texts: List[str]) -> np.ndarray:
        if self._encoder is None:
            raise RuntimeError("SentenceEmbeddingFeaturizer has no trained model: train one "
                               "(`make setup` trains models/bme.tar.gz) and load it.")
        return self._encoder.encode(texts) * self._config["weight"]

    def process(self, messages: List[Message]) -> List[Message]:
        texts = [m for m in messages if m.get(TEXT)]
        if texts:
            for message, vector in zip(texts, self._embed([m.get(TEXT) for m in texts])):
                message.add_features(Features(vector[np.newaxis, :], FEATURE_TYPE_SENTENCE, TEXT,
                                              self._identifier))
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
