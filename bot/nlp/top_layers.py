"""Fine-tuning the top layers of all-MiniLM-L6-v2 on this project's intents, with NumPy.

all-MiniLM-L6-v2 was trained to place sentences of similar meaning close together in general, not
to tell "what causes it" from "after an injury". Training its top layers a little on the intent
examples pulls the examples of each intent together and pushes the others apart (supervised
contrastive loss, as in SetFit). Only the layers above :data:`FROZEN_LAYERS` move, so the states
below them are computed once per training example by the exported graph, and training is a few
seconds of NumPy (no PyTorch, which this project does not install). The gradients are written out
by hand; ``tests/nlp/test_top_layers.py`` checks them against finite differences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
from scipy.special import erf, logsumexp

from bot.nlp.minilm import (DIMENSIONS, FROZEN_LAYERS, LAYERS, Weights, layer_forward,
                            layer_weights, merge_heads, split_heads)

Cache = Dict[str, Any]


@dataclass(frozen=True)
class TuningSettings:
    """How the top layers are trained (the defaults were chosen on 5-fold cross-validation,
    ``bot/bench/tuning.md``, ninth round)."""

    epochs: int = 4
    learning_rate: float = 1e-4
    batch_size: int = 16
    temperature: float = 0.1
    weight_decay: float = 0.01
    seed: int = 42


def initial_layers(weights: Weights) -> List[Weights]:
    """The pretrained top layers, the starting point of :func:`fine_tune`."""
    return [layer_weights(weights, i) for i in range(FROZEN_LAYERS, LAYERS)]


def with_layers(weights: Weights, top: Sequence[Weights]) -> Weights:
    """The model's weights with its top layers replaced by ``top`` (as :func:`fine_tune` gives)."""
    tuned = dict(weights)
    for offset, w in enumerate(top):
        tuned.update({f"encoder.layer.{FROZEN_LAYERS + offset}.{name}": array
                      for name, array in w.items()})
    return tuned


def run_layers(layers: Sequence[Weights], x: np.ndarray,
               mask: np.ndarray) -> "tuple[np.ndarray, List[Cache]]":
    """The top layers on states ``x`` [batch, tokens, 384] with ``mask`` [batch, tokens]."""
    blocked = (1.0 - mask)[:, None, None, :] * -1e9
    caches = []
    for w in layers:
        x, cache = layer_forward(x, blocked, w)
        caches.append(cache)
    return x, caches


def _layer_norm_backward(grad: np.ndarray, cache: "tuple[np.ndarray, np.ndarray]",
                         weight: np.ndarray) -> "tuple[np.ndarray, np.ndarray, np.ndarray]":
    normal, inverse = cache
    d_normal = grad * weight
    d_x = inverse * (d_normal - d_normal.mean(-1, keepdims=True)
                     - normal * (d_normal * normal).mean(-1, keepdims=True))
    return d_x, (grad * normal).sum((0, 1)), grad.sum((0, 1))


def layer_backward(grad: np.ndarray, cache: Cache, w: Weights) -> "tuple[np.ndarray, Weights]":
    """The gradient of one layer (:func:`bot.nlp.minilm.layer_forward`): given d loss / d output,
    returns d loss / d input and d loss / d each of the layer's arrays."""
    grads: Weights = {}

    def linear_backward(d_out: np.ndarray, x: np.ndarray, name: str) -> np.ndarray:
        grads[name + ".weight"] = (d_out.reshape(-1, d_out.shape[-1]).T
                                   @ x.reshape(-1, x.shape[-1]))
        grads[name + ".bias"] = d_out.sum((0, 1))
        return d_out @ w[name + ".weight"]

    d_sum, grads["output.LayerNorm.weight"], grads["output.LayerNorm.bias"] = (
        _layer_norm_backward(grad, cache["norm2"], w["output.LayerNorm.weight"]))
    hidden = cache["hidden"]
    d_gelu = linear_backward(d_sum, cache["gelu"], "output.dense")
    slope = (0.5 * (1.0 + erf(hidden / np.sqrt(2.0)))
             + hidden * np.exp(-0.5 * hidden ** 2) / np.sqrt(2.0 * np.pi))
    d_middle = d_sum + linear_backward(d_gelu * slope, cache["middle"], "intermediate.dense")
    d_sum, grads["attention.output.LayerNorm.weight"], grads["attention.output.LayerNorm.bias"] = (
        _layer_norm_backward(d_middle, cache["norm1"], w["attention.output.LayerNorm.weight"]))
    d_context = split_heads(linear_backward(d_sum, cache["context"], "attention.output.dense"))
    scores, query, key, value = cache["scores"], cache["query"], cache["key"], cache["value"]
    d_scores = d_context @ value.transpose(0, 1, 3, 2)
    d_value = scores.transpose(0, 1, 3, 2) @ d_context
    d_scores = scores * (d_scores - (d_scores * scores).sum(-1, keepdims=True))
    d_scores /= np.sqrt(query.shape[-1])
    d_x = d_sum
    for name, d_heads in (("query", d_scores @ key), ("key", d_scores.transpose(0, 1, 3, 2) @ query),
                          ("value", d_value)):
        d_x = d_x + linear_backward(merge_heads(d_heads), cache["x"], f"attention.self.{name}")
    return d_x, grads



def pooled(states: np.ndarray, mask: np.ndarray) -> "tuple[np.ndarray, Cache]":
    """Mean of the states over each text's tokens, scaled to unit length [batch, 384]."""
    count = mask.sum(1, keepdims=True)
    mean = (states * mask[..., None]).sum(1) / count
    norm = np.linalg.norm(mean, axis=1, keepdims=True)
    vector = mean / norm
    return vector, {"vector": vector, "norm": norm, "count": count, "mask": mask}


def pooled_backward(grad: np.ndarray, cache: Cache) -> np.ndarray:
    vector = cache["vector"]
    d_mean = (grad - vector * (grad * vector).sum(1, keepdims=True)) / cache["norm"]
    return (d_mean / cache["count"])[:, None, :] * cache["mask"][..., None]


def contrastive_loss(vectors: np.ndarray, labels: np.ndarray,
                     temperature: float) -> "tuple[float, np.ndarray]":
    """Supervised contrastive loss of unit vectors [batch, 384] and its gradient.

    For each text with another of its intent in the batch: minus the mean log-probability that a
    softmax over its similarities to the other texts picks one of its own intent.
    """
    same = labels[:, None] == labels[None, :]
    np.fill_diagonal(same, False)
    positives = same.sum(1)
    anchors = positives > 0
    if not anchors.any():
        return 0.0, np.zeros_like(vectors)
    logits = vectors @ vectors.T / temperature
    np.fill_diagonal(logits, -np.inf)
    log_p = logits - logsumexp(logits, axis=1, keepdims=True)
    per_text = np.where(same, log_p, 0.0).sum(1)[anchors] / positives[anchors]
    d_logits = np.exp(log_p) - same / np.maximum(positives, 1)[:, None]
    d_logits[~anchors] = 0.0
    d_logits /= anchors.sum() * temperature
    return float(-per_text.mean()), (d_logits + d_logits.T) @ vectors


def _adamw_step(layers: List[Weights], grads: List[Weights], moments: List[Dict[str, Any]],
                step: int, rate: float, settings: TuningSettings) -> None:
    beta1, beta2 = 0.9, 0.999
    for w, g, m in zip(layers, grads, moments):
        for name, grad in g.items():
            first, second = m.setdefault(name, (np.zeros_like(grad), np.zeros_like(grad)))
            first[:] = beta1 * first + (1 - beta1) * grad
            second[:] = beta2 * second + (1 - beta2) * grad * grad
            w[name] *= 1.0 - rate * settings.weight_decay
            w[name] -= (rate * (first / (1 - beta1 ** step))
                        / (np.sqrt(second / (1 - beta2 ** step)) + 1e-8))


def fine_tune(start: Sequence[Weights], states: Sequence[np.ndarray], labels: Sequence[str],
              settings: TuningSettings = TuningSettings(),
              progress: Optional[Callable[[int, float], None]] = None) -> List[Weights]:
    """The top layers trained on the training texts' states below them.

    Args:
        start: the pretrained top layers (:func:`initial_layers`); not changed.
        states: each training text's token states [tokens, 384] of layer :data:`FROZEN_LAYERS`.
        labels: each text's intent.
        progress: called after each epoch with its number (from 1) and mean loss.

    Deterministic: the same inputs and ``settings.seed`` give the same layers.
    """
    layers = [{name: array.astype(np.float32).copy() for name, array in w.items()} for w in start]
    classes = {name: i for i, name in enumerate(sorted(set(labels)))}
    targets = np.array([classes[name] for name in labels])
    rng = np.random.default_rng(settings.seed)
    batches = -(-len(states) // settings.batch_size)
    total, warmup = settings.epochs * batches, max(1, settings.epochs * batches // 10)
    moments: List[Dict[str, Any]] = [{} for _ in layers]
    step = 0
    for epoch in range(1, settings.epochs + 1):
        order, losses = rng.permutation(len(states)), []
        for start_row in range(0, len(order), settings.batch_size):
            rows = order[start_row:start_row + settings.batch_size]
            length = max(len(states[i]) for i in rows)
            x = np.zeros((len(rows), length, DIMENSIONS), np.float32)
            mask = np.zeros((len(rows), length), np.float32)
            for row, i in enumerate(rows):
                x[row, :len(states[i])], mask[row, :len(states[i])] = states[i], 1.0
            out, caches = run_layers(layers, x, mask)
            vectors, pool_cache = pooled(out, mask)
            loss, grad = contrastive_loss(vectors, targets[rows], settings.temperature)
            grad = pooled_backward(grad.astype(np.float32), pool_cache)
            grads: List[Weights] = [{} for _ in layers]
            for index in reversed(range(len(layers))):
                grad, grads[index] = layer_backward(grad, caches[index], layers[index])
            step += 1
            rate = settings.learning_rate * min(1.0, step / warmup) * (total - step + 1) / total
            _adamw_step(layers, grads, moments, step, rate, settings)
            losses.append(loss)
        if progress is not None:
            progress(epoch, float(np.mean(losses)))
    return layers
