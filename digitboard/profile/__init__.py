"""The user's personal examples: what they are, the rule by which they move a reading, the
learner that keeps them, and the profile that keeps them on disk (docs/learning.md).

- `examples`: an example, the learning configuration, the protocols learning reads and writes;
- `evidence`: the rule in numbers (closeness of embeddings, the shift of probabilities);
- `learner`: the board's recogniser and learner (`PersonalRecognizer`);
- `schema`, `rows`, `legacy`, `store`: the SQLite profile (its tables and migrations, an example
  as a row, the older JSON-lines profile, and the `Profile` that reads and writes it);
- `loading`: what the window and replay start from; `command`: `digitboard profile`.

It imports only `recognition` (the model's input and classes) below it.
"""
