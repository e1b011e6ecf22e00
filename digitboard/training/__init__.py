"""Training (needs the `train` extra: TensorFlow and Keras).

- `data`: MNIST and real pen-drawn digits and non-digits; `augment`: the styles drawn on top.
- `model`: the image CNN and the pooled model; `path_model`: the model of the pen's path.
- `train`: the whole recipe behind `digitboard train`; `evaluate`: figures and plots.
- `export`: the ONNX copy the board runs.
"""
