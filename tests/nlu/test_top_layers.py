"""Fine-tuning the sentence model's top layers: gradients, loss, training, storage, serving."""

from __future__ import annotations

from typing import List, Tuple

import numpy as np
import pytest

from bot.sentence_model.minilm import DIMENSIONS, GRAPH_LAYERS, MiniLM, Weights
from bot.sentence_model.minilm_onnx import DEFAULT_OUTPUT, OnnxMiniLM
from bot.nlu.top_layers import (Head, TuningSettings, batches_of_like_length, fine_tune,
                                head_loss, initial_layers, layer_backward, pooled, pooled_backward,
                                probe_head, run_layers, sentence_vectors, with_layers)


@pytest.fixture(scope="module")
def model() -> MiniLM:
    return MiniLM.load()


def loss_and_gradients(layers: List[Weights], x: np.ndarray, mask: np.ndarray, labels: np.ndarray,
                       head: Head) -> Tuple[float, np.ndarray, List[Weights]]:
    out, caches = run_layers(layers, x, mask)
    vectors, cache = pooled(out, mask)
    loss, grad, head_grads = head_loss(vectors, labels, head, scale=10.0)
    grad = pooled_backward(grad, cache)
    grads: List[Weights] = [{} for _ in layers]
    for index in reversed(range(len(layers))):
        grad, grads[index] = layer_backward(grad, caches[index], layers[index])
    return loss, grad, [*grads, head_grads]


def test_the_written_out_gradients_match_finite_differences(model: MiniLM) -> None:
    layers = [{k: v.astype(np.float64) for k, v in w.items()} for w in initial_layers(model.weights)]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5, DIMENSIONS))
    mask = np.ones((4, 5))
    mask[1, 3:] = mask[2, 4:] = 0.0  # padding: it must get no gradient
    labels = np.array([0, 1, 2, 1])
    head = {"weight": rng.normal(scale=0.1, size=(3, DIMENSIONS)), "bias": rng.normal(size=3)}
    _, d_x, grads = loss_and_gradients(layers, x, mask, labels, head)

    def numeric(array: np.ndarray, index: Tuple[int, ...], eps: float = 1e-6) -> float:
        old = array[index]
        array[index] = old + eps
        plus = loss_and_gradients(layers, x, mask, labels, head)[0]
        array[index] = old - eps
        minus = loss_and_gradients(layers, x, mask, labels, head)[0]
        array[index] = old
        return (plus - minus) / (2 * eps)

    checks = [(0, "attention.self.query.weight", (3, 7)), (0, "attention.self.key.weight", (1, 2)),
              (1, "attention.self.value.weight", (5, 9)), (1, "attention.output.dense.weight", (3, 3)),
              (0, "attention.output.LayerNorm.bias", (8,)), (0, "intermediate.dense.bias", (17,)),
              (1, "output.dense.weight", (2, 100)), (1, "output.LayerNorm.weight", (4,)),
              (2, "weight", (1, 30)), (2, "bias", (2,))]
    for layer, name, index in checks:
        array = head[name] if layer == 2 else layers[layer][name]
        assert grads[layer][name][index] == pytest.approx(numeric(array, index),
                                                          rel=1e-4, abs=1e-9), name
    for index in [(0, 1, 5), (1, 2, 100)]:
        assert d_x[index] == pytest.approx(numeric(x, index), rel=1e-4, abs=1e-9)
    assert not d_x[1, 3:].any() and not d_x[2, 4:].any()


def test_the_head_loss_is_low_when_the_head_picks_each_texts_intent() -> None:
    vectors = np.eye(4)[:3]
    head = {"weight": np.eye(4)[:3], "bias": np.zeros(3)}
    right, d_vectors, _ = head_loss(vectors, np.array([0, 1, 2]), head, scale=10.0)
    wrong, _, _ = head_loss(vectors, np.array([1, 2, 0]), head, scale=10.0)
    assert right < 0.01 < 9.0 < wrong
    assert np.abs(d_vectors).max() < 0.01  # nothing left to learn


def test_the_head_starts_as_a_logistic_regression_on_the_untuned_vectors() -> None:
    vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    head = probe_head(vectors, np.array([0, 0, 1, 1]), scale=10.0, seed=0)
    assert head["weight"].shape == (2, 2) and head["bias"].shape == (2,)  # a row per intent
    logits = 10.0 * vectors @ head["weight"].T + head["bias"]
    assert list(logits.argmax(1)) == [0, 0, 1, 1]


def test_fine_tuning_is_deterministic_and_separates_the_intents(model: MiniLM) -> None:
    texts = ["how long does it last", "when will it go away", "how many months until it heals",
             "is it serious", "should i be worried", "is it dangerous"]
    labels = ["duration"] * 3 + ["serious"] * 3
    states = [s[:, :DIMENSIONS] for s in model_states(model, texts)]
    start = initial_layers(model.weights)
    settings = TuningSettings(epochs=3, batch_size=6, learning_rate=3e-4)
    losses: List[float] = []
    tuned = fine_tune(start, states, labels, settings, progress=lambda _, loss: losses.append(loss))
    again = fine_tune(start, states, labels, settings)
    assert all(np.array_equal(tuned[i][k], again[i][k]) for i in range(2) for k in tuned[i])
    assert losses[-1] < losses[0] and len(losses) == 3
    assert np.array_equal(start[0]["output.dense.weight"],
                          initial_layers(model.weights)[0]["output.dense.weight"])  # untouched

    def separation(layers: List[Weights]) -> float:
        vectors = sentence_vectors(layers, states)
        similar = vectors @ vectors.T
        return float(similar[:3, :3].mean() + similar[3:, 3:].mean() - 2 * similar[:3, 3:].mean())

    assert separation(tuned) > separation(start) + 0.1


def test_an_epoch_takes_each_text_once_in_batches_of_like_length() -> None:
    lengths = list(np.random.default_rng(1).integers(3, 30, size=300))
    batches = batches_of_like_length(lengths, 16, np.random.default_rng(0))
    assert sorted(int(i) for batch in batches for i in batch) == list(range(300))
    assert max(len(batch) for batch in batches) == 16 and len(batches) == 19

    def padded(batches: List[np.ndarray]) -> int:
        return sum(len(batch) * max(lengths[i] for i in batch) for batch in batches)

    shuffled = np.random.default_rng(0).permutation(300)
    assert padded(batches) < 0.8 * padded([shuffled[i:i + 16] for i in range(0, 300, 16)])
    again = batches_of_like_length(lengths, 16, np.random.default_rng(0))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))


def model_states(model: MiniLM, texts: List[str]) -> List[np.ndarray]:
    from bot.sentence_model.minilm import token_states

    return token_states(model.tokenizer, lambda i, m: model._hidden_states(i, m, GRAPH_LAYERS),
                        texts)


@pytest.mark.slow  # the exported sentence model (make setup)
def test_the_graph_and_the_pretrained_top_layers_give_the_models_sentence_vector(
        model: MiniLM) -> None:
    texts = ["my mri report says bone marrow oedema in the medial femoral condyle", "hi"]
    encoder = OnnxMiniLM(DEFAULT_OUTPUT)
    for text, reference in zip(texts, model.encode(texts)):
        [below] = encoder.token_states([text])
        mask = np.ones((1, len(below)))
        top, _ = run_layers(initial_layers(model.weights), below[None, :, :DIMENSIONS], mask)
        last, _ = pooled(top, mask)
        assert last[0] @ reference[:DIMENSIONS] > 0.97  # 8-bit below, float32 above


def test_tuned_layers_go_back_in_their_place(model: MiniLM) -> None:
    top = [{name: array + 1.0 for name, array in w.items()} for w in initial_layers(model.weights)]
    tuned = with_layers(model.weights, top)
    assert np.array_equal(tuned["encoder.layer.5.output.dense.weight"],
                          model.weights["encoder.layer.5.output.dense.weight"] + 1.0)
    assert tuned["encoder.layer.3.output.dense.weight"] is model.weights[
        "encoder.layer.3.output.dense.weight"]
    assert set(tuned) == set(model.weights)
