"""Reading a drawing: from strokes to the model's inputs, to probabilities, to what the user's
own examples make of them.

- `classes`: the classes a model reads and when a reading is sure.
- `preprocess`: strokes rendered the way MNIST was made; `trajectory`: the pen's path resampled.
- `recognizer`: models run under ONNX Runtime (or Keras), in batches (`batches`); `modelfile`
  checks and finds model files; `keras_model` is what reading a .keras file needs.
- `learning`: writer adaptation from the user's examples; `profile`: where those examples are kept
  (an SQLite store); `profile_command`: `digitboard profile`, what it shows and does.

Nothing here imports the board, a shell or training.
"""
