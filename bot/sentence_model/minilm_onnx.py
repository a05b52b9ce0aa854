"""all-MiniLM-L6-v2 as an ONNX graph with 8-bit weights, for onnxruntime.

:mod:`bot.sentence_model.minilm` runs the model with NumPy in float32: about 200 million multiply-adds for a
short message, 8–9 ms of one core. That is compute, not overhead, so the way to make it cheaper is
less arithmetic: this module writes the same network as an ONNX graph (from the same weights, with
``onnx.helper``; no PyTorch export), and onnxruntime's dynamic quantization stores the matrices as
8-bit integers, which the CPU multiplies several at a time. The graph is built once at set-up
(``python -m bot.sentence_model.minilm_onnx``); the server only loads the file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence

import numpy as np

from bot.sentence_model.minilm import (DIMENSIONS, Weights, EPSILON, GRAPH_LAYERS, HEADS, MiniLM, WordPiece,
                            encode_texts, model_dir, token_states)

if TYPE_CHECKING:
    import onnx

DEFAULT_OUTPUT = Path("build/minilm/model-int8.onnx")
OPSET = 17  # LayerNormalization
HEAD_LAYOUT = (("query", [0, 2, 1, 3]), ("key", [0, 2, 3, 1]), ("value", [0, 2, 1, 3]))


def build_graph(weights: Dict[str, np.ndarray],
                pooled: Sequence[int] = GRAPH_LAYERS) -> "onnx.ModelProto":
    """The encoder up to the deepest of the ``pooled`` layers: inputs ``input_ids`` [batch, tokens]
    and ``mask_bias`` [batch, 1, 1, tokens] (0 for a token, -1e9 for padding); output ``hidden``,
    the ``pooled`` layers' states end to end [batch, tokens, len(pooled) × 384]."""
    from onnx import TensorProto, helper, numpy_helper

    nodes: List[onnx.NodeProto] = []
    inits: List[onnx.TensorProto] = []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: Sequence[str], name: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, list(inputs), [name], name=name, **attrs))
        return name

    def linear(x: str, prefix: str, out: str) -> str:
        w = const(prefix + ".wt", weights[prefix + ".weight"].T)
        b = const(prefix + ".b", weights[prefix + ".bias"])
        return node("Add", [node("MatMul", [x, w], out + "_mm"), b], out)

    def layer_norm(x: str, prefix: str, out: str) -> str:
        return node("LayerNormalization", [x, const(prefix + ".g", weights[prefix + ".weight"]),
                                           const(prefix + ".beta", weights[prefix + ".bias"])],
                    out, axis=-1, epsilon=EPSILON)

    hidden = DIMENSIONS
    head = hidden // HEADS
    split = const("split_heads", np.array([0, 0, HEADS, head], np.int64))
    merge = const("merge_heads", np.array([0, 0, hidden], np.int64))
    scale = const("scale", np.array(1.0 / np.sqrt(head), np.float32))
    half, one = const("half", np.array(0.5, np.float32)), const("one", np.array(1.0, np.float32))
    root2 = const("root2", np.array(np.sqrt(2.0), np.float32))
    words = node("Gather", [const("word_emb", weights["embeddings.word_embeddings.weight"]),
                            "input_ids"], "words")
    positions = node("Gather", [const("pos_emb", weights["embeddings.position_embeddings.weight"]),
                                "positions"], "pos")
    segment = const("type_emb", weights["embeddings.token_type_embeddings.weight"][0])
    x = node("Add", [node("Add", [words, positions], "wp"), segment], "emb")
    x = layer_norm(x, "embeddings.LayerNorm", "x0")
    states: Dict[int, str] = {}
    for i in range(max(pooled)):
        p = f"encoder.layer.{i}."
        # Heads split off: query and value [batch, head, token, 32], key [batch, head, 32, token].
        q, k, v = (node("Transpose", [node("Reshape", [
            linear(x, p + f"attention.self.{n}", f"{n}{i}"), split], f"{n}{i}_r")],
            f"{n}{i}_t", perm=perm) for n, perm in HEAD_LAYOUT)
        scores = node("Add", [node("Mul", [node("MatMul", [q, k], f"qk{i}"), scale], f"s{i}"),
                              "mask_bias"], f"sm{i}")
        context = node("MatMul", [node("Softmax", [scores], f"p{i}", axis=-1), v], f"c{i}")
        context = node("Transpose", [context], f"ct{i}", perm=[0, 2, 1, 3])
        context = node("Reshape", [context, merge], f"cr{i}")
        x = layer_norm(node("Add", [x, linear(context, p + "attention.output.dense", f"ao{i}")],
                            f"ar{i}"), p + "attention.output.LayerNorm", f"x{i}a")
        h = linear(x, p + "intermediate.dense", f"h{i}")
        gelu = node("Mul", [node("Mul", [h, half], f"hh{i}"),
                            node("Add", [node("Erf", [node("Div", [h, root2], f"hd{i}")], f"he{i}"),
                                         one], f"h1{i}")], f"g{i}")
        x = layer_norm(node("Add", [x, linear(gelu, p + "output.dense", f"o{i}")], f"or{i}"),
                       p + "output.LayerNorm", f"x{i}b")
        states[i + 1] = x
    nodes.append(helper.make_node("Concat", [states[n] for n in pooled], ["hidden"], name="hidden",
                                  axis=-1))
    graph = helper.make_graph(
        nodes, "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
         helper.make_tensor_value_info("positions", TensorProto.INT64, ["tokens"]),
         helper.make_tensor_value_info("mask_bias", TensorProto.FLOAT, ["batch", 1, 1, "tokens"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT,
                                       ["batch", "tokens", hidden * len(pooled)])],
        inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def export(output: Path = DEFAULT_OUTPUT, quantize: bool = True,
           weights: Optional[Weights] = None, pooled: Sequence[int] = GRAPH_LAYERS) -> Path:
    """Write the graph of ``weights`` (the pretrained ones unless given; 8-bit unless ``quantize``
    is false) and the vocabulary beside it. Set-up exports the layers below the tuned ones
    (:data:`GRAPH_LAYERS`); training exports the whole tuned model (:mod:`bot.nlu.components`)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder = model_dir()
    weights = MiniLM.load(folder).weights if weights is None else weights
    output.parent.mkdir(parents=True, exist_ok=True)
    (output.parent / "vocab.txt").write_bytes((folder / "vocab.txt").read_bytes())
    float_path = output.with_name("model-float.onnx")
    onnx.save(build_graph(weights, pooled), str(float_path))
    if not quantize:
        return float_path.replace(output)
    # One scale per output column (per_channel): with one scale per matrix the vectors moved
    # away from float32's (cosine 0.93-0.96 on four messages); per column they stay at 0.98-0.99.
    quantize_dynamic(str(float_path), str(output), per_channel=True, weight_type=QuantType.QInt8)
    float_path.unlink()
    return output


class OnnxMiniLM:
    """The encoder of :class:`bot.sentence_model.minilm.MiniLM`, run by onnxruntime from an exported graph."""

    def __init__(self, path: Path = DEFAULT_OUTPUT) -> None:
        import onnxruntime

        if not path.exists():
            raise RuntimeError(f"{path} is missing: run `make setup` (it exports the sentence "
                               "model).")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # one core per message; other messages use the other
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(path), options,
                                                    providers=["CPUExecutionProvider"])
        vocab = (path.parent / "vocab.txt").read_text(encoding="utf-8").splitlines()
        self.tokenizer = WordPiece(vocab)

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        [hidden] = self.session.run(None, {
            "input_ids": ids, "positions": np.arange(ids.shape[1], dtype=np.int64),
            "mask_bias": ((1.0 - mask) * -1e9)[:, None, None, :]})
        return hidden

    def token_states(self, texts: Iterable[str]) -> List[np.ndarray]:
        """Each text's token states [tokens, 384 × each layer the graph gives]."""
        return token_states(self.tokenizer, self.hidden_states, texts)

    def encode(self, texts: Iterable[str], batch_size: int = 64) -> np.ndarray:
        """One vector per text, in order: the pooled states of the layers the graph was built
        with, :data:`bot.sentence_model.minilm.GRAPH_LAYERS` by default (:func:`encode_texts`)."""
        return encode_texts(self.tokenizer, self.hidden_states, texts, batch_size)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    output = Path(args[0]) if args else DEFAULT_OUTPUT
    print(f"Exporting all-MiniLM-L6-v2 with 8-bit weights -> {output}")
    export(output)
    print(f"Wrote {output} ({output.stat().st_size / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
