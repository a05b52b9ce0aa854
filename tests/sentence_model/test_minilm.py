"""all-MiniLM-L6-v2: tokenizer, weights check, NumPy reference and the exported graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.sentence_model.minilm import GRAPH_LAYERS, MiniLM, read_safetensors
from bot.sentence_model.minilm_onnx import DEFAULT_OUTPUT, OnnxMiniLM, export


@pytest.fixture(scope="module")
def model() -> MiniLM:
    return MiniLM.load()


def pieces(model: MiniLM, text: str) -> list:
    names = {i: piece for piece, i in model.tokenizer.ids.items()}
    return [names[i] for i in model.tokenizer.encode(text)]


def test_the_tokenizer_lowers_case_strips_accents_and_splits_words_into_pieces(
        model: MiniLM) -> None:
    assert pieces(model, "Bone marrow OEDÈMA, what's that?") == [
        "[CLS]", "bone", "marrow", "o", "##ede", "##ma", ",", "what", "'", "s", "that", "?",
        "[SEP]"]
    assert pieces(model, "") == ["[CLS]", "[SEP]"]


def test_similar_meanings_get_close_vectors(model: MiniLM) -> None:
    texts = ["is it sinister", "is it dangerous", "how long does it last", "doctor", "physician",
             "banana"]
    v = dict(zip(texts, model.encode(texts, layers=(6,))))  # the model's own sentence embedding
    assert np.allclose(np.linalg.norm(list(v.values()), axis=1), 1.0, atol=1e-5)
    sinister = v["is it sinister"]
    assert sinister @ v["is it dangerous"] > sinister @ v["how long does it last"] + 0.2
    assert v["doctor"] @ v["physician"] > v["doctor"] @ v["banana"] + 0.3


def test_texts_run_together_get_the_vectors_they_get_alone(model: MiniLM) -> None:
    texts = ["what causes bone marrow edema after running a marathon", "hi", "is it serious"]
    together = model.encode(texts, batch_size=2)
    alone = np.vstack([model.encode([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-5)


@pytest.mark.slow  # the exported sentence model (make setup)
def test_the_exported_graph_computes_what_the_reference_computes(model: MiniLM,
                                                                 tmp_path: Path) -> None:
    texts = ["my mri report says bone marrow oedema in the medial femoral condyle", "hi",
             "is it serious", "how long does it last"]
    sentence = model.encode(texts)
    assert sentence.shape == (4, 2 * 384)  # the last layer's mean, then the third layer's
    for part in (sentence[:, :384], sentence[:, 384:]):
        assert np.allclose(np.linalg.norm(part, axis=1), 1.0, atol=1e-5)
    assert np.allclose(sentence[:, :384], model.encode(texts, layers=(6,)), atol=1e-6)
    # The graph stops below the tuned top layers: layer 4's states, then the third layer's.
    reference = model.encode(texts, layers=GRAPH_LAYERS)
    assert not np.allclose(reference[:, :384], reference[:, 384:], atol=0.1)
    assert np.allclose(reference[:, 384:], sentence[:, 384:], atol=1e-6)
    full = OnnxMiniLM(export(tmp_path / "float" / "model.onnx", quantize=False)).encode(texts)
    assert np.allclose(full, reference, atol=1e-4)
    # The 8-bit file that make setup exports, which the server runs: close, not equal.
    small = OnnxMiniLM(DEFAULT_OUTPUT).encode(texts)
    for layers in (slice(0, 384), slice(384, 768)):
        assert ((small[:, layers] * reference[:, layers]).sum(axis=1) > 0.97).all()
    assert not np.allclose(small, reference, atol=1e-3)


def test_a_missing_graph_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="make setup"):
        OnnxMiniLM(tmp_path / "model-int8.onnx")


def test_a_weights_file_that_is_not_the_expected_one_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model.safetensors"
    fake.write_bytes(b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
    with pytest.raises(RuntimeError, match="make setup"):
        read_safetensors(fake)
