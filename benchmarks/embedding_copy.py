"""A recogniser that also gives the CNN's embedding, for the benchmarks, until the shipped
recognisers have `embed_and_predict` (issue 11, the model engineer's change).

It derives, in a temporary file, a copy of a model's ONNX graph with one more output: the input
of the final Dense layer (the penultimate layer's activations, 128 numbers a digit). The product
never uses this file; `digitboard.recognizer` will give the same two outputs itself.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np


class EmbeddingOnnxRecognizer:
    """ONNX Runtime on one thread, giving (embeddings, probabilities) for a batch of digits."""

    ready = True

    def __init__(self, onnx_path: str | Path) -> None:
        import onnx
        import onnxruntime

        graph_model = onnx.load(str(onnx_path))
        graph = graph_model.graph
        producers = {output: node for node in graph.node for output in node.output}
        node = producers[graph.output[0].name]
        while node.op_type != "MatMul":  # walk back from the softmax through BiasAdd to the final MatMul
            node = producers[node.input[0]]
        graph.output.append(onnx.helper.make_tensor_value_info(node.input[0], onnx.TensorProto.FLOAT, None))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "two-outputs.onnx"
            onnx.save(graph_model, str(path))
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name

    def embed_and_predict(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probabilities, embeddings = self.session.run(None, {self.input_name: np.asarray(images, np.float32)})
        return embeddings, probabilities  # (N, 128) float32, (N, C)

    def predict(self, images: np.ndarray) -> np.ndarray:
        return self.embed_and_predict(images)[1]
