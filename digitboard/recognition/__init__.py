"""Reading a drawing: from strokes to the model's inputs, to probabilities.

- `classes`: the classes a model reads and when a reading is sure.
- `preprocess`: strokes rendered the way MNIST was made; `trajectory`: the pen's path resampled.
- `recognizer`: models run under ONNX Runtime (or Keras), in batches (`batches`); `modelfile`
  checks and finds model files; `keras_model` is what reading a .keras file needs.

What the user's own examples make of a reading is digitboard.profile, one layer up. Nothing here
imports the board, a shell, the profile or training.
"""
