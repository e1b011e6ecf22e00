"""The session format: parsing, the errors a user sees, streaming, and the Recorder."""

from __future__ import annotations

import json
import re
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import stroke
from digitboard.actions import Clear, Correct, Delete, Undo
from digitboard.session import (
    Recorder,
    Session,
    SessionError,
    parse_session,
    read_sessions,
)


def test_actions_and_strokes_forms_parse_to_the_same_session():
    actions = parse_session({"size": [640, 480], "actions": [
        {"stroke": [[1, 2, 0], [3, 4.5, 16.7]]}, {"key": "n"}, {"stroke": [[5, 6]]},
        {"key": "backspace"}, {"key": "ctrl+z"},
    ]}, "a.jsonl:3")
    assert actions.size == (640, 480) and actions.name == "a.jsonl:3"
    assert actions.actions == [
        stroke([(1.0, 2.0, 0), (3.0, 4.5, 16.7)]), Clear(), stroke([(5.0, 6.0)]), Undo(), Undo(),
    ]
    strokes = parse_session({"size": [640, 480], "strokes": [[[1, 2, 0], [3, 4.5, 16.7]], [[5, 6]]]}, "b.json:1")
    assert strokes.actions == actions.strokes


def test_to_json_round_trips():
    session = parse_session({"size": [320, 200], "actions": [{"stroke": [[1, 2, 0], [-3, 4000, 9]]}, {"key": "n"}]}, "x:1")
    again = parse_session(json.loads(json.dumps(session.to_json())), "x:1")
    assert again == session


def test_points_outside_the_window_are_valid():
    session = parse_session({"size": [10, 10], "strokes": [[[-50, 3], [10_000, -7.5]]]}, "x:1")
    assert session.actions[0].points == ((-50.0, 3.0), (10_000.0, -7.5))


# Bad sessions: (the decoded object, the field the error must name).
BAD_SESSIONS = [
    ([1, 2], None),
    ("a string", None),
    ({"actions": []}, "'size'"),
    ({"size": [0, 480], "actions": []}, "'size'"),
    ({"size": [-640, 480], "actions": []}, "'size'"),
    ({"size": [640], "actions": []}, "'size'"),
    ({"size": [640.0, 480], "actions": []}, "'size'"),
    ({"size": [True, 480], "actions": []}, "'size'"),
    ({"size": "640x480", "actions": []}, "'size'"),
    ({"size": [640, 480]}, "'actions'"),
    ({"size": [640, 480], "actions": [], "strokes": []}, "'strokes'"),
    ({"size": [640, 480], "actions": [], "colour": "red"}, "'colour'"),
    ({"size": [640, 480], "actions": {"stroke": []}}, "'actions'"),
    ({"size": [640, 480], "strokes": "none"}, "'strokes'"),
    ({"size": [640, 480], "strokes": [[]]}, "'strokes[0]'"),
    ({"size": [640, 480], "strokes": [[[1, 2]], []]}, "'strokes[1]'"),
    ({"size": [640, 480], "strokes": [[[1, 2], [3]]]}, "'strokes[0][1]'"),
    ({"size": [640, 480], "strokes": [[[1, 2, 3, 4]]]}, "'strokes[0][0]'"),
    ({"size": [640, 480], "strokes": [[[1, "2"]]]}, "'strokes[0][0]'"),
    ({"size": [640, 480], "strokes": [[[1, None]]]}, "'strokes[0][0]'"),
    ({"size": [640, 480], "strokes": [[[1, True]]]}, "'strokes[0][0]'"),
    ({"size": [640, 480], "strokes": [[[1, float("nan")]]]}, "'strokes[0][0]'"),
    ({"size": [640, 480], "strokes": [[[1, float("inf")]]]}, "'strokes[0][0]'"),
    ({"size": [640, 480], "strokes": [[[1, 10**400]]]}, "'strokes[0][0]'"),
    ({"size": [640, 480], "strokes": [[[1, 2e6]]]}, "'strokes[0][0]'"),
    ({"size": [640, 480], "strokes": [[{"x": 1, "y": 2}]]}, "'strokes[0][0]'"),
    ({"size": [640, 480], "actions": [{"stroke": []}]}, "'actions[0].stroke'"),
    ({"size": [640, 480], "actions": [{"key": "n"}, {"key": "q"}]}, "'actions[1].key'"),
    ({"size": [640, 480], "actions": [{"key": "N"}]}, "'actions[0].key'"),
    ({"size": [640, 480], "actions": [{"key": 78}]}, "'actions[0].key'"),
    ({"size": [640, 480], "actions": [{"key": ["n"]}]}, "'actions[0].key'"),  # found by hypothesis
    ({"size": [640, 480], "actions": [{"wipe": True}]}, "'actions[0].wipe'"),
    ({"size": [640, 480], "actions": [{"key": "n", "stroke": [[1, 2]]}]}, "'actions[0]'"),
    ({"size": [640, 480], "actions": [{}]}, "'actions[0]'"),
    ({"size": [640, 480], "actions": ["n"]}, "'actions[0]'"),
]


@pytest.mark.parametrize(("data", "field"), BAD_SESSIONS, ids=[str(i) for i in range(len(BAD_SESSIONS))])
def test_bad_sessions_name_the_place_and_the_field(data, field):
    with pytest.raises(SessionError) as raised:
        parse_session(data, "bad.jsonl:7")
    message = str(raised.value)
    assert message.startswith("bad.jsonl:7: ") and "\n" not in message
    if field is not None:
        assert f"field {field}" in message


def write(path, text: str | bytes):
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_sessions_are_named_by_file_and_line_and_blank_lines_skipped(tmp_path):
    path = write(tmp_path / "two.jsonl", '{"size": [9, 9], "strokes": []}\n\n  \n{"size": [8, 8], "strokes": [[[1, 1]]]}\n')
    sessions = list(read_sessions(path))
    assert [s.name for s in sessions] == ["two.jsonl:1", "two.jsonl:4"]
    assert [s.size for s in sessions] == [(9, 9), (8, 8)]


def test_a_json_file_holds_one_session_over_many_lines(tmp_path):
    session = {"size": [640, 480], "actions": [{"stroke": [[1, 2], [3, 4]]}, {"key": "n"}]}
    path = write(tmp_path / "one.json", json.dumps(session, indent=2))
    (parsed,) = read_sessions(path)
    assert parsed.name == "one.json:1" and parsed.to_json() == session


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = write(tmp_path / "bom.jsonl", b'\xef\xbb\xbf{"size": [9, 9], "strokes": []}\n')
    assert [s.size for s in read_sessions(path)] == [(9, 9)]


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("bad.jsonl", '{"size": [9, 9], "strokes": []}\n{"size": [9, 9], "strokes": [}\n', "bad.jsonl:2: not valid JSON"),
    ("bad.json", '{\n  "size": [9, 9],\n  "strokes": [,]\n}\n', "bad.json:3: not valid JSON"),
    ("empty.json", "", "empty.json:1: not valid JSON"),
    ("trailing.jsonl", '{"size": [9, 9], "strokes": []} {"size": [9, 9]}\n', "trailing.jsonl:1: not valid JSON"),
    ("deep.jsonl", "[" * 100_000 + "]" * 100_000 + "\n", "deep.jsonl:1: JSON nested too deeply"),
    ("binary.jsonl", b'{"size": [9, 9], "strokes": []}\n\xff\xfe\x00garbage\n', "binary.jsonl:"),
    ("type.jsonl", '\n\n{"size": [9, 9], "strokes": [[[1, "x"]]]}\n', "type.jsonl:3: field 'strokes[0][0]'"),
])
def test_file_errors_name_the_file_and_line(tmp_path, name, content, expected):
    path = write(tmp_path / name, content)
    with pytest.raises(SessionError) as raised:
        list(read_sessions(path))
    assert str(raised.value).startswith(expected) and "\n" not in str(raised.value)


def test_a_missing_file_or_a_folder_is_a_session_error(tmp_path):
    for path in (tmp_path / "absent.jsonl", tmp_path):
        with pytest.raises(SessionError, match="cannot read the session file"):
            list(read_sessions(path))


def test_sessions_stream_one_line_at_a_time(tmp_path):
    """The first session is ready before a bad line further down is read."""
    good = json.dumps({"size": [9, 9], "strokes": [[[1, 1], [2, 2]]]})
    path = write(tmp_path / "stream.jsonl", "\n".join([good] * 3 + ["not json"]) + "\n")
    sessions = read_sessions(path)
    assert next(sessions).name == "stream.jsonl:1"
    assert next(sessions).name == "stream.jsonl:2"
    assert next(sessions).name == "stream.jsonl:3"
    with pytest.raises(SessionError, match="stream.jsonl:4"):
        next(sessions)


# -- the Recorder ------------------------------------------------------------------------------
def recorded(path) -> list[Session]:
    return list(read_sessions(path))


@pytest.mark.parametrize("name", ["live.jsonl", "live.json"])
def test_the_recorder_leaves_a_valid_session_after_every_action(tmp_path, name):
    path = tmp_path / name
    recorder = Recorder(path, (640, 480))
    assert recorded(path)[0].actions == []
    actions = [stroke([(1.0, 2.0, 0.0), (3.0, 4.0, 16.5)]), Clear(), stroke([(5.0, 6.0, 40.0)])]
    for count, action in enumerate(actions, 1):
        recorder.add(action)
        (session,) = recorded(path)
        assert session.size == (640, 480) and session.actions == actions[:count]
    if name.endswith(".jsonl"):
        assert path.read_text().count("\n") == 1  # one session, one JSON line
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary file left behind


def test_the_recorder_never_overwrites_without_force(tmp_path):
    path = write(tmp_path / "kept.jsonl", "precious\n")
    with pytest.raises(FileExistsError, match="--force"):
        Recorder(path, (640, 480))
    assert path.read_text() == "precious\n"
    Recorder(path, (320, 200), force=True)
    assert recorded(path)[0].size == (320, 200)


def test_the_recorder_says_when_it_cannot_write(tmp_path):
    with pytest.raises(OSError, match=r"cannot record to .*absent.*session\.jsonl"):
        Recorder(tmp_path / "absent" / "session.jsonl", (640, 480))
    blocker = write(tmp_path / "a-file", "")
    with pytest.raises(OSError, match="cannot record to"):
        Recorder(blocker / "session.jsonl", (640, 480))
    assert not (tmp_path / "absent").exists()


def test_a_killed_recording_is_a_valid_session_up_to_the_last_stroke(tmp_path):
    """Kill -9 a process that records strokes as fast as it can: the file is still a session."""
    path = tmp_path / "killed.jsonl"
    script = textwrap.dedent(f"""
        import itertools, sys
        from digitboard.actions import Stroke
        from digitboard.session import Recorder
        recorder = Recorder({str(path)!r}, (640, 480))
        for n in itertools.count():
            recorder.add(Stroke(tuple((float(n), float(i)) for i in range(200)), tuple(float(i) for i in range(200))))
            if n == 3:
                print("recording", flush=True)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "recording"
        time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    (session,) = recorded(path)
    assert len(session.actions) >= 4
    for n, action in enumerate(session.actions):  # every stroke whole, in order
        assert action == stroke([(float(n), float(i), float(i)) for i in range(200)])
    os.remove(path)


def test_corrections_and_deletions_parse_and_round_trip():
    session = parse_session({"size": [640, 480], "actions": [
        {"correct": {"at": [10, 20.5], "label": 7}}, {"delete": {"at": [1, 2]}}]}, "c:1")
    assert session.actions == [Correct((10.0, 20.5), 7), Delete((1.0, 2.0))]
    assert parse_session(json.loads(json.dumps(session.to_json())), "c:1") == session


@pytest.mark.parametrize(("action", "field"), [
    ({"correct": {"at": [1, 2]}}, "'actions[0].correct'"),
    ({"correct": {"at": [1, 2], "label": 10}}, "'actions[0].correct.label'"),
    ({"correct": {"at": [1, 2], "label": True}}, "'actions[0].correct.label'"),
    ({"correct": {"at": [1], "label": 3}}, "'actions[0].correct.at'"),
    ({"delete": {"at": [1, "2"]}}, "'actions[0].delete.at'"),
    ({"delete": [1, 2]}, "'actions[0].delete'"),
])
def test_bad_corrections_name_the_field(action, field):
    with pytest.raises(SessionError, match=re.escape(f"field {field}:")):
        parse_session({"size": [640, 480], "actions": [action]}, "c:1")
