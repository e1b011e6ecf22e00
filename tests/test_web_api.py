"""The web board's API and page through Flask's test client: answers, bad input, headers."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
from conftest import FakeRecognizer
from properties import HealthCheck, given, settings, st

from digitboard.cli import main as digitboard_main
from digitboard.core.drawing import extent, fit_height
from digitboard.sessions.files import read_sessions
from digitboard.sessions.format import COORDINATE_LIMIT, SessionError, parse_session
from digitboard.training.data import HELD_OUT_CONTRIBUTORS, load_unipen
from digitboard.web.app import MAX_BODY_BYTES, MAX_CORRECTIONS, MAX_EXAMPLE_POINTS, MAX_EXAMPLES, WEB_LIMITS, create_app

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "digitboard" / "web"

# The worked example of docs/session-format.md: strokes, a clear, an undo.
WORKED_EXAMPLE = {"size": [640, 480], "actions": [
    {"stroke": [[100, 100, 0], [100, 210, 180]]}, {"key": "n"},
    {"stroke": [[300, 100, 2400], [360, 100, 2550], [320, 210, 2800]]}, {"stroke": [[500, 100], [500, 210]]},
    {"key": "backspace"}, {"stroke": [[305, 150], [350, 150]]},
]}


@pytest.fixture
def client(fake_recognizer):
    return create_app(recognizer=fake_recognizer).test_client()


@pytest.fixture(scope="module")
def real_app(request):
    request.getfixturevalue("shipped_model")  # skips where the model is absent
    return create_app()  # the shipped model, loaded as `digitboard serve` loads it


def replay_lines(tmp_path: Path, sessions: list[dict]) -> list[dict]:
    """What `digitboard replay --corrections-only` prints for `sessions` (the web board learns from
    corrections only, digitboard.web.learning), run through the command itself."""
    sessions_file, out = tmp_path / "sessions.jsonl", tmp_path / "replayed.jsonl"
    sessions_file.write_text("".join(json.dumps(session) + "\n" for session in sessions))
    assert digitboard_main(["replay", "--corrections-only", str(sessions_file), "--out", str(out)]) == 0
    return [json.loads(line) for line in out.read_text().splitlines()]


def drawn_sessions(unipen_path: Path, count: int) -> list[dict]:
    """Real pen digits on a 640x480 board: single digits and numbers of two to four, with times."""
    rng = np.random.default_rng(12)
    digits = load_unipen(unipen_path, HELD_OUT_CONTRIBUTORS)
    sessions = []
    for index in range(count):
        picks = [digits[i] for i in rng.choice(len(digits), 1 + index % 4, replace=False)]
        height = min(rng.uniform(90, 200), 560 / (1.2 * len(picks)))
        left, top = rng.uniform(10, 40), rng.uniform(10, 470 - height)
        actions, ms = [], 0
        for digit in picks:
            placed = fit_height(digit.strokes, height, (left, top))
            left += extent(placed)[0] + rng.uniform(0.25, 0.5) * height
            for stroke in placed:
                actions.append({"stroke": [[round(float(x), 1), round(float(y), 1), (ms := ms + 8)] for x, y in stroke]})
                ms += 300  # the pen is lifted between strokes
        sessions.append({"size": [640, 480], "actions": actions})
    return sessions


# -- answers --------------------------------------------------------------------------------------

def test_answers_exactly_what_replay_prints_for_real_drawn_sessions(real_app, unipen_path, tmp_path):
    sessions = drawn_sessions(unipen_path, 24) + [WORKED_EXAMPLE]
    for session, edit in zip(sessions[4:8], ["correct", "delete", "correct", "delete"]):  # every action of the format
        at = session["actions"][0]["stroke"][0][:2]
        session["actions"].append({"correct": {"at": at, "label": 3}} if edit == "correct" else {"delete": {"at": at}})
    client = real_app.test_client()
    for session, printed in zip(sessions, replay_lines(tmp_path, sessions), strict=True):
        del printed["session"]
        for _ in range(2):  # the second time from the server's memory of drawings (digitboard.web.memo)
            response = client.post("/api/read", json=session)
            assert response.status_code == 200, response.get_data(as_text=True)
            answer = response.get_data(as_text=True)
            if "correct" in json.dumps(session["actions"]):  # and then what the correction taught, after replay's
                assert answer.startswith(json.dumps(printed)[:-1] + ', "learned": [{"action": ')
                answer = json.dumps({key: value for key, value in json.loads(answer).items() if key != "learned"})
            assert answer == json.dumps(printed)  # same keys, order and numbers
            assert response.mimetype == "application/json"


def test_worked_example_reads_as_documented(real_app):
    answer = real_app.test_client().post("/api/read", json=WORKED_EXAMPLE).get_json()
    assert [digit["strokes"] for digit in answer["digits"]] == [[1, 3]]
    assert answer["digits"][0]["box"] == [300, 100, 61, 111]
    assert answer["reading"] == "7"
    assert "session" not in answer


def test_an_empty_board_reads_as_nothing(client):
    answer = client.post("/api/read", json={"size": [300, 200], "actions": []}).get_json()
    assert answer == {"digits": [], "reading": ""}


def test_the_answer_depends_on_the_request_alone(fake_recognizer):
    """No state between requests: any worker answers any request the same."""
    first, second = (create_app(recognizer=fake_recognizer).test_client() for _ in range(2))
    growing = {"size": [640, 480], "actions": []}
    for stroke in WORKED_EXAMPLE["actions"]:
        growing["actions"].append(stroke)
        answers = [first.post("/api/read", json=growing).get_data(), second.post("/api/read", json=growing).get_data()]
        first.post("/api/read", json=WORKED_EXAMPLE)  # another user's request in between
        assert answers[0] == answers[1] == first.post("/api/read", json=growing).get_data()


def test_the_server_time_is_in_a_server_timing_header(client):
    response = client.post("/api/read", json=WORKED_EXAMPLE)
    assert re.fullmatch(r"read;dur=\d+\.\d\d", response.headers["Server-Timing"])


# -- bad input ------------------------------------------------------------------------------------

BAD_SESSIONS = [
    [1, 2],
    {"size": "640x480", "actions": []},
    {"size": [640, 480]},
    {"size": [640, 480], "actions": [], "colour": "red"},
    {"size": [640, 480], "actions": [{"stroke": []}]},
    {"size": [640, 480], "actions": [{"stroke": [[1, 2]]}, {"stroke": [[1, "2"]]}]},
    {"size": [640, 480], "actions": [{"stroke": [[1, 2, 3, 4]]}]},
    {"size": [640, 480], "actions": [{"key": "q"}]},
    {"size": [640, 480], "strokes": [[[1e300, 0]]]},
    {"size": [640, 480], "actions": [{"stroke": [[1, 2]], "key": "n"}]},
]


@pytest.mark.parametrize("session", BAD_SESSIONS)
def test_a_wrong_session_is_400_with_replays_one_line_message(client, session):
    with pytest.raises(SessionError) as replay_error:
        parse_session(session, "session:1")
    response = client.post("/api/read", json=session)
    assert response.status_code == 400
    assert response.get_json() == {"error": str(replay_error.value)}
    assert "\n" not in response.get_json()["error"]


def replay_error(body: bytes, folder: Path) -> str:
    """The one line `digitboard replay` gives for a .json file of these bytes, the file called "session"."""
    path = folder / "session.json"
    path.write_bytes(body)
    with pytest.raises(SessionError) as error:
        list(read_sessions(path))
    return str(error.value).replace("session.json", "session")


@pytest.mark.parametrize("body, message", [
    (b"", "session:1: not valid JSON (Expecting value at column 1)"),
    (b'{"size": [640, 480], "actions": [', "session:1: not valid JSON (Expecting value at column 34)"),
    (b'{"size": "\xff"}', "session:1: not UTF-8 text; a session file is JSON"),
    ('{"size": [640, 480], "strokes": []}'.encode("utf-16"), "session:1: UTF-16 text; a session file is UTF-8 (save it as UTF-8)"),
    (b'{"size": [640, 480], "size": [1, 1], "strokes": []}', "session:1: field 'size' appears twice in one object"),
    (b'{"size": [640, 480], "actions": [{"stroke": [[1, 2]], "stroke": [[3, 4]]}]}', "session:1: field 'stroke' appears twice in one object"),
    (b"[" * 100_000, "session:1: JSON nested too deeply to be a session"),
    (b'{"size": [' + b"9" * 5000 + b", 1], \"actions\": []}", None),
    (b"NaN", None),
])
def test_a_body_that_is_not_a_json_session_is_400_as_replay_refuses_it(client, body, message, tmp_path):
    response = client.post("/api/read", data=body, content_type="application/json")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error == replay_error(body, tmp_path)
    assert error.startswith("session") and "\n" not in error
    if message:
        assert error == message


def test_a_utf8_byte_order_mark_is_read_as_replay_reads_it(client):
    body = "\ufeff" + json.dumps({"size": [640, 480], "strokes": [[[100, 100], [160, 100], [120, 210]]]})
    response = client.post("/api/read", data=body.encode("utf-8"), content_type="application/json")
    assert response.status_code == 200 and len(response.get_json()["digits"]) == 1


def test_a_board_larger_than_any_point_may_lie_is_400(client):
    response = client.post("/api/read", json={"size": [640, COORDINATE_LIMIT + 1], "strokes": []})
    assert response.status_code == 400
    assert response.get_json()["error"] == (f"session:1: field 'size': a board of 640 x {COORDINATE_LIMIT + 1} pixels; "
                                            f"the web board reads boards of at most {COORDINATE_LIMIT:,} pixels a side")
    assert client.post("/api/read", json={"size": [COORDINATE_LIMIT, 480], "strokes": []}).status_code == 200


def test_api_answers_are_never_cached(client):
    for response in [client.post("/api/read", json=WORKED_EXAMPLE), client.post("/api/read", data=b"{"), client.get("/api/read")]:
        assert response.headers["Cache-Control"] == "no-store"
    assert "Cache-Control" not in client.get("/").headers or client.get("/").headers["Cache-Control"] != "no-store"


def test_too_many_actions_or_points_is_400_naming_the_field(client):
    dots = {"size": [640, 480], "actions": [{"stroke": [[i % 600, i // 600]]} for i in range(WEB_LIMITS.actions + 1)]}
    response = client.post("/api/read", json=dots)
    assert response.status_code == 400
    limit = WEB_LIMITS.actions
    assert response.get_json()["error"] == f"session:1: field 'actions': too many actions ({limit + 1:,}; at most {limit:,})"
    long_stroke = [[i % 500, i % 300] for i in range(WEB_LIMITS.points + 1)]
    response = client.post("/api/read", json={"size": [640, 480], "strokes": [long_stroke]})
    assert response.status_code == 400
    limit = WEB_LIMITS.points
    assert response.get_json()["error"] == f"session:1: field 'strokes': too many points ({limit + 1:,}; at most {limit:,} in all strokes)"
    dots["actions"].pop()
    assert client.post("/api/read", json=dots).status_code == 200  # the bound itself is allowed


def test_the_web_bounds_are_tighter_than_replays_and_the_page_knows_them(client):
    from digitboard.sessions.format import REPLAY_LIMITS

    assert WEB_LIMITS.actions < REPLAY_LIMITS.actions and WEB_LIMITS.points < REPLAY_LIMITS.points
    page = client.get("/").get_data(as_text=True)
    rules = json.loads(re.search(r'<script id="rules" type="application/json">(.*?)</script>', page)[1])
    assert (rules["maxActions"], rules["maxPoints"]) == (WEB_LIMITS.actions, WEB_LIMITS.points)


def test_the_page_gets_the_desktop_boards_keys_and_tap_rule_from_python(client):
    from digitboard.core.chooser import CLICK_REACH
    from digitboard.core.keys import COMMANDS

    page = client.get("/").get_data(as_text=True)
    rules = json.loads(re.search(r'<script id="rules" type="application/json">(.*?)</script>', page)[1])
    assert rules["keys"] == {key: command.value for key, command in COMMANDS.items()}
    assert rules["keys"]["ctrl+z"] == rules["keys"]["backspace"] == "undo" and rules["keys"]["7"] == "correct"
    assert rules["clickReach"] == CLICK_REACH
    script = (WEB / "static" / "board.js").read_text()
    assert "rules.keys" in script and '"backspace"' not in script  # no key table of its own


def test_a_body_over_one_mebibyte_is_413_and_one_of_that_size_is_read(client):
    padded = json.dumps({"size": [640, 480], "actions": [{"stroke": [[1, 2]]}]}).encode()
    at_limit = padded + b" " * (MAX_BODY_BYTES - len(padded))
    assert client.post("/api/read", data=at_limit, content_type="application/json").status_code == 200
    response = client.post("/api/read", data=at_limit + b" ", content_type="application/json")
    assert response.status_code == 413
    assert response.get_json() == {"error": f"session: the request body is over {MAX_BODY_BYTES:,} bytes; a session is far smaller"}


def test_only_json_is_read_anything_else_is_415(client):
    """The API once read a session sent as text/plain or as a form, as any other body."""
    body = json.dumps(WORKED_EXAMPLE)
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        response = client.post("/api/read", data=body, content_type=content_type)
        assert response.status_code == 415 and "application/json" in response.get_json()["error"]
    assert client.post("/api/read", data=body, content_type="application/json; charset=utf-8").status_code == 200


def test_every_error_is_a_json_object(client):
    for response, status in [
        (client.get("/nowhere"), 404),
        (client.get("/api/read"), 405),
        (client.put("/api/read", data=b"{}"), 405),
        (client.post("/", data=b"{}"), 405),
        (client.get("/static/nothing.js"), 404),
    ]:
        assert response.status_code == status
        assert response.mimetype == "application/json"
        assert set(response.get_json()) == {"error"}


def test_a_failing_model_is_a_json_500_and_the_server_keeps_answering(fake_recognizer):
    class BrokenThenWorking(FakeRecognizer):
        def predict(self, images, paths=None):
            if self.calls == 0:
                self.calls += 1
                raise RuntimeError("the model broke")
            return super().predict(images, paths)

    app = create_app(recognizer=BrokenThenWorking())
    app.logger.disabled = True
    client = app.test_client()
    broken = client.post("/api/read", json=WORKED_EXAMPLE)
    assert broken.status_code == 500
    assert broken.get_json() == {"error": "the server failed to read this session; the error is in its log"}
    assert client.post("/api/read", json=WORKED_EXAMPLE).status_code == 200


def test_answering_writes_nothing_to_disk(fake_recognizer, tmp_path, monkeypatch):
    """No instance folder, no session files, no temporary files, wherever the server runs."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    app = create_app(recognizer=fake_recognizer)
    client = app.test_client()
    client.get("/")
    client.get("/static/board.js")
    client.post("/api/read", json=WORKED_EXAMPLE)
    client.post("/api/read", data=b"x" * (MAX_BODY_BYTES + 10))
    client.post("/api/read", data=b"[" * 100_000)
    assert list(tmp_path.iterdir()) == []
    assert not Path(app.instance_path).exists()
    assert "Set-Cookie" not in client.post("/api/read", json=WORKED_EXAMPLE).headers


# -- headers and the page -------------------------------------------------------------------------

def test_every_response_carries_the_security_headers(client):
    for response in [
        client.get("/"), client.get("/static/board.js"), client.get("/static/board.css"),
        client.post("/api/read", json=WORKED_EXAMPLE), client.post("/api/read", data=b"nope"), client.get("/nowhere"),
    ]:
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy
        assert "script-src 'self'" in policy and "unsafe" not in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_page_has_no_inline_script_no_cdn_and_a_live_reading(client):
    page = client.get("/").get_data(as_text=True)
    scripts = re.findall(r"<script\b[^>]*>", page)
    # one module, no inline code: the rules are data (JSON), which the browser never runs
    assert scripts == ['<script type="module" src="/static/board.js">', '<script id="rules" type="application/json">']
    assert not re.search(r"\son[a-z]+=|\sstyle=", page)  # no inline handlers or styles for the CSP to block
    assert re.search(r'<p id="reading"[^>]*aria-live="polite"', page)
    assert 'data-read-url="/api/read"' in page
    for path in [WEB / "templates" / "board.html", *sorted((WEB / "static").iterdir())]:
        text = re.sub(r'xmlns="[^"]*"', "", path.read_text())  # an SVG namespace is a name, not a download
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text), f"{path.name} loads from another site"
    css = client.get("/static/board.css").get_data(as_text=True)
    assert "touch-action: none" in css


def test_templates_and_static_files_are_in_the_package_data():
    """A wheel carries only files matching package-data: every page file must match a pattern."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["digitboard.web"]
    files = [path.relative_to(WEB) for path in WEB.glob("[ts]*/*") if path.is_file()]
    assert len(files) >= 4
    unmatched = [str(file) for file in files if not any(file.match(pattern) for pattern in patterns)]
    assert unmatched == []


# -- random input -----------------------------------------------------------------------------------

_numbers = st.one_of(st.integers(-2_000_000, 2_000_000), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none())
_points = st.lists(st.one_of(st.lists(_numbers, max_size=4), _numbers, st.text(max_size=3)), max_size=6)
_actions = st.lists(st.one_of(
    st.fixed_dictionaries({"stroke": _points}),
    st.fixed_dictionaries({"key": st.sampled_from(["n", "ctrl+z", "backspace", "q", ""])}),
    st.dictionaries(st.text(max_size=6), _numbers, max_size=2),
), max_size=8)
_sessions = st.one_of(
    st.fixed_dictionaries({"size": st.one_of(st.lists(_numbers, max_size=3), _numbers), "actions": _actions}),
    st.fixed_dictionaries({"size": st.just([640, 480]), "strokes": st.lists(_points, max_size=4)}),
    st.dictionaries(st.text(max_size=8), _numbers, max_size=3),
    st.recursive(_numbers | st.text(max_size=5), lambda inner: st.lists(inner, max_size=3), max_leaves=10),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(session=_sessions, raw=st.binary(max_size=64))
def test_any_body_gets_an_answer_or_a_one_line_json_error(client, session, raw):
    for body in (json.dumps(session).encode(), raw):
        response = client.post("/api/read", data=body, content_type="application/json")
        assert response.status_code in (200, 400), response.get_data(as_text=True)
        answer = response.get_json()
        if response.status_code == 200:
            assert set(answer) == {"digits", "reading"}
        else:
            assert set(answer) == {"error"} and answer["error"].startswith("session") and "\n" not in answer["error"]


def test_the_strokes_on_the_board_drawn_again_make_the_same_board(real_app, unipen_path):
    """What the page relies on to start its session afresh near the bounds: the strokes still on
    the board (undo takes back the last edit first), drawn again in order, read the same."""
    rng = np.random.default_rng(1)
    digits = load_unipen(unipen_path, HELD_OUT_CONTRIBUTORS)
    client = real_app.test_client()
    for _ in range(100):
        actions, on_board, history, ms, left = [], [], [], 0, 20.0
        for _ in range(rng.integers(3, 14)):
            choice = rng.random()
            if choice < 0.65 or not on_board:  # a digit, now and then written into the one before
                at = (left - rng.uniform(0, 60) if rng.random() < 0.3 else left, 100 + rng.uniform(-20, 20))
                placed = fit_height(digits[rng.integers(len(digits))].strokes, 100, at)
                left += extent(placed)[0] + rng.uniform(5, 40)
                for stroke in placed:
                    points = [[round(float(x), 1), round(float(y), 1), (ms := ms + 8)] for x, y in stroke]
                    ms += float(rng.choice([100, 300, 2000]))  # short and long pauses between strokes
                    actions.append({"stroke": points})
                    on_board.append(points)
                    history.append(("stroke", points))
            elif choice < 0.85 and history:
                kind, taken = history.pop()
                on_board = taken if kind == "clear" else on_board[:-1]
                actions.append({"key": "ctrl+z"})
            elif on_board:
                history.append(("clear", on_board))
                on_board = []
                actions.append({"key": "n"})
        whole = client.post("/api/read", json={"size": [640, 480], "actions": actions}).get_json()
        afresh = client.post("/api/read", json={"size": [640, 480], "strokes": on_board}).get_json()
        seen = [[(d["label"], d["box"], d["unsure"]) for d in answer["digits"]] for answer in (whole, afresh)]
        assert seen[0] == seen[1] and whole["reading"] == afresh["reading"], actions


# -- the user's examples travel with the request ----------------------------------------------------

def test_examples_teach_a_request_as_a_profile_teaches_replay(real_app, unipen_path, tmp_path):
    """A request's examples are read as `digitboard replay --profile` reads the same examples."""
    digits = load_unipen(unipen_path, HELD_OUT_CONTRIBUTORS)[:12]
    placed = [[np.round(stroke, 1) for stroke in fit_height(digit.strokes, 120, (40 + 150 * (i % 4), 30 + 150 * (i // 4)))]
              for i, digit in enumerate(digits)]
    # The user says each of these drawings is the next digit up: what the model read must move.
    examples = [{"label": (digit.label + 1) % 10, "strokes": [stroke.tolist() for stroke in strokes]}
                for digit, strokes in zip(digits, placed)]
    session = {"size": [640, 480], "actions": [{"stroke": stroke.tolist()} for stroke in placed[0] + placed[5]]}
    client = real_app.test_client()
    plain = client.post("/api/read", json=session)
    taught = client.post("/api/read", json={**session, "examples": examples})
    assert plain.status_code == taught.status_code == 200
    exported = tmp_path / "examples.jsonl"  # the older profile format, which `profile --import` takes
    exported.write_text("".join(json.dumps({"learn": {"id": str(i), "label": example["label"], "strokes": example["strokes"],
                                                      "created": 0}}) + "\n" for i, example in enumerate(examples)))
    profile = tmp_path / "profile.sqlite"
    assert digitboard_main(["profile", "--profile", str(profile), "--import", str(exported)]) == 0
    session_file, out = tmp_path / "session.json", tmp_path / "replayed.jsonl"
    session_file.write_text(json.dumps(session))
    assert digitboard_main(["replay", "--corrections-only", str(session_file), "--profile", str(profile),
                            "--out", str(out)]) == 0
    replayed = json.loads(out.read_text())
    replayed.pop("session")
    assert taught.get_json() == replayed
    assert taught.get_json()["reading"].replace(" ", "") == f"{(digits[0].label + 1) % 10}{(digits[5].label + 1) % 10}"
    assert plain.get_json()["reading"] != taught.get_json()["reading"]


def test_examples_that_are_not_a_list_are_400(client):
    response = client.post("/api/read", json={"size": [640, 480], "strokes": [], "examples": {"label": 1}})
    assert response.status_code == 400
    assert response.get_json() == {"error": "session:1: field 'examples': expected a list of {\"label\": 7, \"strokes\": [...]}"}


GOOD_EXAMPLE = {"label": 1, "strokes": [[[1, 2], [1, 40]]]}


@pytest.mark.parametrize("example, note", [
    ({"label": 1, "strokes": [[[1, 2]]], "id": 3}, "session:1: field 'examples[1]': expected {\"label\": 7, \"strokes\": [[[x, y], ...], ...]}; left out"),
    ({"label": 10, "strokes": [[[1, 2]]]}, "session:1: field 'examples[1].label': expected a digit 0 to 9, got 10; left out"),
    ({"label": 1, "strokes": []}, "session:1: field 'examples[1].strokes': expected a non-empty list of strokes; left out"),
    ({"label": 1, "strokes": [[[1, "a"]]]}, "session:1: field 'examples[1].strokes[0].stroke[0]': expected a number, got \"a\"; left out"),
    ({"label": 1, "strokes": [[[i, i] for i in range(MAX_EXAMPLE_POINTS + 1)]]},
     f"session:1: field 'examples[1].strokes': too many points ({MAX_EXAMPLE_POINTS + 1}; at most {MAX_EXAMPLE_POINTS} in one example); left out"),
])
def test_a_wrong_example_is_left_out_with_a_note_and_the_drawing_read(client, example, note):
    """One bad stored example must not make every request of that browser fail."""
    session = {"size": [640, 480], "strokes": [[[100, 100], [100, 200]]]}
    plain = client.post("/api/read", json=session).get_json()
    response = client.post("/api/read", json={**session, "examples": [GOOD_EXAMPLE, example, GOOD_EXAMPLE]})
    assert response.status_code == 200
    answer = response.get_json()
    assert answer.pop("notes") == [note]
    assert answer["digits"][0]["box"] == plain["digits"][0]["box"]


def test_examples_past_the_bound_leave_the_oldest_out_with_a_note(client):
    response = client.post("/api/read", json={"size": [640, 480], "strokes": [[[100, 100], [100, 200]]],
                                              "examples": [GOOD_EXAMPLE] * (MAX_EXAMPLES + 3)})
    assert response.status_code == 200
    assert response.get_json()["notes"] == [f"session:1: field 'examples': {MAX_EXAMPLES + 3} examples, at most "
                                            f"{MAX_EXAMPLES} a request; the first 3 left out"]
    assert "notes" not in client.post("/api/read", json={"size": [640, 480], "strokes": [],
                                                         "examples": [GOOD_EXAMPLE] * MAX_EXAMPLES}).get_json()


@pytest.mark.parametrize("shape", ["key flood", "key flood after a byte-order mark", "tiny strokes", "one long stroke",
                                   "example flood", "broken flood"])
def test_a_body_of_a_megabyte_over_the_bounds_is_refused_in_milliseconds(client, shape):
    """Counted on the fast decoder's objects: a megabyte of key presses took seconds before."""
    import time

    def filled(item) -> list:  # as many `item`s as a body just under the limit holds
        return [item] * ((MAX_BODY_BYTES - 1000) // (len(json.dumps(item)) + 2))

    if shape.startswith("key flood"):
        body = json.dumps({"size": [640, 480], "actions": filled({"key": "n"})})
        if "mark" in shape:
            body = "\ufeff" + body
    elif shape == "tiny strokes":
        body = json.dumps({"size": [640, 480], "actions": filled({"stroke": [[1, 2]]})})
    elif shape == "one long stroke":
        body = json.dumps({"size": [640, 480], "actions": [{"stroke": filled([1, 2])}]})
    elif shape == "example flood":
        body = json.dumps({"size": [640, 480], "strokes": [], "examples": filled(GOOD_EXAMPLE)})
    else:  # a key flood that is not JSON at its end
        body = json.dumps({"size": [640, 480], "actions": filled({"key": "n"})})[:-2] + "x"
    began = time.perf_counter()
    response = client.post("/api/read", data=body.encode(), content_type="application/json")
    seconds = time.perf_counter() - began
    assert len(body.encode()) <= MAX_BODY_BYTES
    if shape == "example flood":
        assert response.status_code == 400 and "too many examples" in response.get_json()["error"]
    elif shape == "broken flood":
        assert response.status_code == 400 and response.get_json()["error"].startswith("session:1: not valid JSON")
    else:
        assert response.status_code == 400 and "too many" in response.get_json()["error"]
    assert seconds < 1.5, f"{shape}: {seconds:.2f} s"  # a bound far above the ~100 ms measured, for a loaded machine


def test_too_many_corrections_in_one_request_is_400(client):
    corrections = [{"correct": {"at": [10, 10], "label": 1}}] * 11
    response = client.post("/api/read", json={"size": [640, 480], "actions": [{"stroke": [[10, 10], [10, 60]]}, *corrections]})
    assert response.status_code == 400
    assert response.get_json() == {"error": "session:1: field 'actions': too many corrections and deletions (11; at most 10)"}
    response = client.post("/api/read", json={"size": [640, 480], "actions": [{"stroke": [[10, 10], [10, 60]]}, *corrections[1:]]})
    assert response.status_code == 200


# -- what a session's corrections teach: the board's rule, as the page keeps it ---------------------

def edit_sessions(count: int, seed: int) -> list[dict]:
    """Random sessions of strokes, undos, clears, corrections and deletions (the last two aimed at
    a stroke's first point), on a 640x480 board."""
    rng = np.random.default_rng(seed)
    sessions = []
    for _ in range(count):
        actions, firsts = [], []
        for _ in range(int(rng.integers(4, 30))):
            kind = rng.choice(["stroke", "stroke", "stroke", "undo", "clear", "correct", "correct", "delete"])
            if kind == "stroke" or not firsts:
                x, y = rng.uniform(20, 600), rng.uniform(20, 440)
                points = np.cumsum(rng.normal(0, 6, (int(rng.integers(2, 160)), 2)), axis=0) + [x, y]
                actions.append({"stroke": np.round(points, 1).tolist()})
                firsts.append(actions[-1]["stroke"][0])
            elif kind == "undo":
                actions.append({"key": "ctrl+z"})
            elif kind == "clear":
                actions.append({"key": "n"})
            else:
                at = firsts[int(rng.integers(len(firsts)))]
                actions.append({"correct": {"at": at, "label": int(rng.integers(10))}} if kind == "correct"
                               else {"delete": {"at": at}})
        edits = [index for index, action in enumerate(actions) if "correct" in action or "delete" in action]
        for index in edits[MAX_CORRECTIONS:]:  # within the web board's bound
            actions[index] = {"key": "ctrl+z"}
        sessions.append({"size": [640, 480], "actions": actions})
    return sessions


def test_learned_is_what_undo_leaves_of_the_sessions_corrections(client):
    """The page keeps the examples the answer's `learned` lists; they are exactly the corrections
    whose edit the board still holds (an undone one's goes, one under a later clear stays), each in
    the form a request's example takes, as the core board decides it (digitboard.core.board)."""
    from conftest import FakeRecognizer as Recognizer

    from digitboard.core.board import Board, _Corrected
    from digitboard.profile.examples import fitted_strokes
    from digitboard.web.learning import PageLearner
    from digitboard.web.memo import DrawingMemo

    seen = 0
    for session in edit_sessions(60, seed=4):
        answer = client.post("/api/read", json=session)
        assert answer.status_code == 200, answer.get_json()
        learner = PageLearner(Recognizer(), [], DrawingMemo(), MAX_EXAMPLE_POINTS)
        board = Board(learner, learner)
        corrections = {}
        for index, action in enumerate(parse_session(session, "s").actions):
            board.apply(action)
            if "correct" in session["actions"][index] and board.history and isinstance(board.history[-1], _Corrected) \
                    and id(board.history[-1]) not in corrections:
                corrections[id(board.history[-1])] = (index, board.history[-1])
        held = [(index, edit) for index, edit in corrections.values()  # in the board's history, and not taken back
                if any(edit is kept for kept in board.history) and learner.example(edit.handle.id) is edit.handle]
        learned = answer.get_json().get("learned", [])
        assert [example["action"] for example in learned] == [index for index, _ in held], session
        for example, (index, edit) in zip(learned, held):
            drawn = [ink.points for ink in edit.digit.strokes if ink.id in example["digit"]]
            assert example["label"] == session["actions"][index]["correct"]["label"]
            assert example["strokes"] == [stroke.tolist() for stroke in fitted_strokes(drawn, MAX_EXAMPLE_POINTS // 2, MAX_EXAMPLE_POINTS)]
            assert sum(map(len, example["strokes"])) <= MAX_EXAMPLE_POINTS
        seen += len(learned)
    assert seen > 20


def test_a_correction_of_many_strokes_is_kept_in_a_form_the_next_request_takes(client):
    """A digit of more strokes than an example keeps points for (a 1 gone over 60 times) is learned
    joined where the pen was lifted the shortest way, within MAX_EXAMPLE_POINTS with every end: the
    page keeps it, and the next visit's request takes it with no note."""
    strokes = [[[300.0 + i % 5, 150.0], [300.0 + i % 5, 200.0], [300.0 + i % 5, 250.0]] for i in range(60)]
    session = {"size": [640, 480], "actions": [*({"stroke": stroke} for stroke in strokes),
                                               {"correct": {"at": strokes[0][0], "label": 1}}]}
    answer = client.post("/api/read", json=session).get_json()
    (example,) = answer["learned"]
    assert example["label"] == 1 and len(example["strokes"]) <= MAX_EXAMPLE_POINTS // 2
    assert sum(map(len, example["strokes"])) <= MAX_EXAMPLE_POINTS
    following = client.post("/api/read", json={"size": [640, 480], "strokes": [],
                                                 "examples": [{"label": 1, "strokes": example["strokes"]}]})
    assert following.status_code == 200 and "notes" not in following.get_json()


def test_fitted_strokes_keep_a_drawing_within_its_bounds_and_leave_a_small_one_alone():
    from digitboard.profile.examples import fitted_strokes

    small = [np.array([[0.0, 0.0], [5.0, 5.0]]), np.array([[9.0, 0.0]])]
    assert [stroke.tolist() for stroke in fitted_strokes(small, 2, 3)] == [stroke.tolist() for stroke in small]
    rng = np.random.default_rng(0)
    for count, length in ((300, 2), (3, 5000), (120, 40), (1, 1)):
        drawn = [rng.uniform(0, 500, (length, 2)) for _ in range(count)]
        for most_strokes, most_points in ((50, 100), (200, 20_000)):
            kept = fitted_strokes(drawn, most_strokes, most_points)
            assert len(kept) <= most_strokes and sum(map(len, kept)) <= most_points
            assert kept[0][0].tolist() == drawn[0][0].tolist() and kept[-1][-1].tolist() == drawn[-1][-1].tolist()


def test_a_correction_teaches_the_rest_of_its_visit_as_it_teaches_the_next(real_app, unipen_path):
    """A drawing corrected, then drawn again below in the same session, reads as it does on a
    fresh board sent the example the first answer taught (what the page keeps and sends on the
    next visit): the same label, confidence and mark, on 40 boards of four real digits."""
    digits = load_unipen(unipen_path, HELD_OUT_CONTRIBUTORS)
    rng = np.random.default_rng(1)
    client = real_app.test_client()
    for _ in range(40):
        strokes, left = [], 40
        for digit in [digits[i] for i in rng.choice(len(digits), 4, replace=False)]:
            strokes.append([np.round(stroke) for stroke in fit_height(digit.strokes, 130, (left, 80))])
            left += extent(strokes[-1])[0] + 130 / 3
        actions = [{"stroke": stroke.tolist()} for drawing in strokes for stroke in drawing]
        first = client.post("/api/read", json={"size": [1100, 700], "actions": actions}).get_json()["digits"][0]
        x, y, w, h = first["box"]
        label = first["alternatives"][1][0]  # a label the model doubts: what the user teaches must show
        again = [{"stroke": (stroke + [0, 250]).tolist()} for stroke in strokes[0]]
        same = client.post("/api/read", json={"size": [1100, 700], "actions": [
            *actions, {"correct": {"at": [x + w / 2, y + h / 2], "label": label}}, *again]}).get_json()
        kept = [{"label": example["label"], "strokes": example["strokes"]} for example in same["learned"]]
        following = client.post("/api/read", json={"size": [1100, 700], "actions": again, "examples": kept}).get_json()
        read = lambda digit: (digit["label"], digit["confidence"], digit["mark"], digit["alternatives"])
        assert [read(digit) for digit in same["digits"] if digit["box"][1] > 300] == \
            [read(digit) for digit in following["digits"]]
