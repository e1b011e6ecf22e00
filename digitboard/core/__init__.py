"""The board itself, pure: no pygame, no files, no network.

- `actions`: the edits (a stroke, an undo, a clear, a correction, a deletion) as frozen values.
- `digits`: what stands on the board (a stroke's ink, a digit, its prediction) and the rules read
  from it.
- `board`: the state the actions change, which reads each digit with a recogniser handed in.
- `grouping`: which digit a new stroke joins; `reading`: the digits in lines of writing.
- `labels` and `chooser`: where a digit's label and its correction panel go (geometry only).
- `drawing`: real pen-drawn strokes put on a board, for benchmarks, scripts and tests.

Shells (the window, the web board, replay) turn their input into actions and show the board.
"""
