"""Fine-tuning the top layers of all-MiniLM-L6-v2 on this project's intents, with NumPy.

all-MiniLM-L6-v2 was trained to place sentences of similar meaning close together in general, not
to tell "what causes it" from "after an injury". Its top layers are trained a little on the intent
examples, with a softmax head over the intents on the pooled sentence vector. The head starts where
a logistic regression on the untuned vectors ends (linear probing, then fine-tuning), so the first
steps refine the features the classifier already uses instead of chasing a random head; the head is
thrown away afterwards. A supervised contrastive loss (as in SetFit) gained half as much on
cross-validation and pulled "what are the symptoms" to the out_of_scope example "what are the
symptoms of diabetes" (``docs/developers/tuning-archive.md``, ninth and tenth rounds).

Only the layers above :data:`FROZEN_LAYERS` move, so the states below them are computed once per
training example by the exported graph, and training is seconds of NumPy (no PyTorch, which this
project does not install). The gradients are written out by hand; ``tests/nlu/test_top_layers.py``
checks them against finite differences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
from scipy.special import erf, logsumexp

from bot.sentence_model.minilm import (FROZEN_LAYERS, LAYERS, Weights, layer_forward, layer_weights,
                            matmul_last, merge_heads, pad, split_heads)

Cache = Dict[str, Any]


@dataclass(frozen=True)
class TuningSettings:
    """How the top layers are trained (the defaults were chosen on 5-fold cross-validation,
    ``docs/developers/tuning-archive.md``, ninth and tenth rounds)."""

    epochs: int = 4
    learning_rate: float = 1e-4
    batch_size: int = 16
    scale: float = 10.0  # the head sees the unit vector × scale, as the classifier does (config.yml)
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
    """The gradient of one layer (:func:`bot.sentence_model.minilm.layer_forward`): given d loss / d output,
    returns d loss / d input and d loss / d each of the layer's arrays."""
    grads: Weights = {}

    def linear_backward(d_out: np.ndarray, x: np.ndarray, name: str) -> np.ndarray:
        grads[name + ".weight"] = (d_out.reshape(-1, d_out.shape[-1]).T
                                   @ x.reshape(-1, x.shape[-1]))
        grads[name + ".bias"] = d_out.sum((0, 1))
        return matmul_last(d_out, w[name + ".weight"])

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


Head = Dict[str, np.ndarray]  # "weight" [intents, 384], "bias" [intents]


def head_loss(vectors: np.ndarray, targets: np.ndarray, head: Head,
              scale: float) -> "tuple[float, np.ndarray, Head]":
    """Mean cross-entropy of a softmax over the intents of ``scale × vectors`` [batch, 384], with
    its gradient for the vectors and for the head's arrays."""
    logits = scale * vectors @ head["weight"].T + head["bias"]
    log_p = logits - logsumexp(logits, axis=1, keepdims=True)
    rows = np.arange(len(targets))
    d_logits = np.exp(log_p)
    d_logits[rows, targets] -= 1.0
    d_logits /= len(targets)
    return (float(-log_p[rows, targets].mean()), scale * d_logits @ head["weight"],
            {"weight": scale * d_logits.T @ vectors, "bias": d_logits.sum(0)})


def probe_head(vectors: np.ndarray, targets: np.ndarray, scale: float, seed: int) -> Head:
    """The head's starting point: a logistic regression on the untuned vectors × ``scale``."""
    from sklearn.linear_model import LogisticRegression

    probe = LogisticRegression(max_iter=2000, random_state=seed).fit(scale * vectors, targets)
    weight, bias = probe.coef_, probe.intercept_
    if len(weight) == 1:  # two intents: scikit-learn keeps one row, for the second against the first
        weight, bias = np.concatenate([-weight, weight]) / 2, np.concatenate([-bias, bias]) / 2
    return {"weight": weight.astype(np.float32), "bias": bias.astype(np.float32)}


def batches_of_like_length(lengths: Sequence[int], batch_size: int,
                           rng: np.random.Generator, pool: int = 8) -> List[np.ndarray]:
    """One epoch's batches, in random order. Each batch holds texts of about the same length from
    ``pool`` batches' worth of shuffled texts, so little of each batch is padding (random
    batches of 16 of the training examples were 41% padding)."""
    order = rng.permutation(len(lengths))
    batches = []
    for begin in range(0, len(order), batch_size * pool):
        chunk = sorted(order[begin:begin + batch_size * pool], key=lambda i: lengths[i])
        batches += [np.array(chunk[i:i + batch_size]) for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def sentence_vectors(layers: Sequence[Weights], states: Sequence[np.ndarray],
                     batch_size: int = 64) -> np.ndarray:
    """The pooled unit vector [texts, 384] of each text's states below ``layers``."""
    vectors = []
    for begin in range(0, len(states), batch_size):
        x, mask = pad(states[begin:begin + batch_size])
        vectors.append(pooled(run_layers(layers, x, mask)[0], mask)[0])
    return np.concatenate(vectors)


def _adamw_step(layers: List[Weights], grads: List[Weights], moments: List[Dict[str, Any]],
                step: int, rate: float, settings: TuningSettings) -> None:
    beta1, beta2 = 0.9, 0.999
    for w, g, m in zip(layers, grads, moments):
        for name, grad in g.items():
            first, second = m.setdefault(name, (np.zeros_like(grad), np.zeros_like(grad)))
            first *= beta1
            first += (1 - beta1) * grad
            second *= beta2
            second += (1 - beta2) * grad * grad
            w[name] *= 1.0 - rate * settings.weight_decay
            w[name] -= (rate / (1 - beta1 ** step)) * first / (
                np.sqrt(second / (1 - beta2 ** step)) + 1e-8)


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
    states = [np.asarray(s, np.float32) for s in states]
    classes = {name: i for i, name in enumerate(sorted(set(labels)))}
    targets = np.array([classes[name] for name in labels])
    head = probe_head(sentence_vectors(layers, states), targets, settings.scale, settings.seed)
    rng = np.random.default_rng(settings.seed)
    epochs = [batches_of_like_length([len(s) for s in states], settings.batch_size, rng)
              for _ in range(settings.epochs)]
    total = sum(len(batches) for batches in epochs)
    warmup = max(1, total // 10)
    moments: List[Dict[str, Any]] = [{} for _ in range(len(layers) + 1)]
    step = 0
    for epoch, batches in enumerate(epochs, start=1):
        losses = []
        for rows in batches:
            x, mask = pad([states[i] for i in rows])
            out, caches = run_layers(layers, x, mask)
            vectors, pool_cache = pooled(out, mask)
            loss, grad, head_grads = head_loss(vectors, targets[rows], head, settings.scale)
            grad = pooled_backward(grad.astype(np.float32), pool_cache)
            grads: List[Weights] = [{} for _ in layers]
            for index in reversed(range(len(layers))):
                grad, grads[index] = layer_backward(grad, caches[index], layers[index])
            step += 1
            rate = settings.learning_rate * min(1.0, step / warmup) * (total - step + 1) / total
            _adamw_step([*layers, head], [*grads, head_grads], moments, step, rate, settings)
            losses.append(loss)
        if progress is not None:
            progress(epoch, float(np.mean(losses)))
    return layers
