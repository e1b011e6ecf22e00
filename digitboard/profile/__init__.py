"""The user's personal examples: what they are, the rule by which they move a reading, the
learner that keeps them, and the profile that keeps them on disk (docs/learning.md).

- `examples`: an example, the learning configuration, the protocols learning reads and writes;
- `evidence`: the rule in numbers (closeness of embeddings, the shift of probabilities);
- `learner`: the board's recogniser and learner (`PersonalRecognizer`); `writer`: the thread
  its profile is written on; `in_use`: which examples it reads with;
- the SQLite profile: `schema` (its table, index and migrations), `rows` (an example as a row),
  `legacy` (the older JSON-lines profile), `sqlite` (errors, transactions, open files),
  `media` (no hard links, read-only media), `making` (a new profile, bulk adds), `queries`
  (what is read, as SQL) and `store` (the `Profile` that reads and writes it);
- `loading`: what the window and replay start from; `command`: `digitboard profile`.

It imports only `recognition` (the model's input and classes) below it.
"""
