"""Sessions: a board's actions written down, and read back.

- `format`: one session as JSON, parsed and checked against limits.
- `stream`: one session's JSON text decoded, a long one as a stream, in bounded memory.
- `files`: session files (one JSON object, JSON Lines, recordings) read into sessions.
- `recording`: a board's actions appended to a file as they happen.
- `replay`: sessions applied to a headless board, as `digitboard replay` and the web board do.
"""
