"""The board itself, pure: no pygame, no files, no network.

- `actions`: the edits (a stroke, an undo, a clear, a correction, a deletion) as frozen values.
- `digits`: what stands on the board (a stroke's ink, a digit, its prediction) and the rules read
  from it: whether a digit is unsure, its mark's colour, its label's text.
- `board`: the state the actions change, which reads each digit with a recogniser handed in.
- `grouping`: which digit a new stroke joins; `reading`: the digits in lines of writing.
- `labels` and `chooser`: where a digit's label and its correction panel go (geometry only).
- `keys`: every key, what it does and how the help shows it, defined once.
- `controller`: input to actions for every shell: a press, moves and a release make a stroke or a
  click (a click on a digit opens its panel), a key name becomes an undo, a clear, a correction.
- `drawing`: real pen-drawn strokes put on a board, for benchmarks, scripts and tests.

Shells (the window, the web board, replay) turn their input into actions and show the board.
"""
