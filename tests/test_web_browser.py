"""The web board's page in a real headless Chromium (Selenium and Debian's chromium-driver):
real pointer strokes by mouse and by finger, the boxes and reading on the page checked against
`digitboard replay` of the very session the page sent.

Skips, saying what to install, where Chromium or its driver is missing; `.ci/run` installs both.
Set DIGITBOARD_WEB_SCREENSHOT=docs/web.png to keep the screenshot for the README.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest.mock import ANY

import cv2
import numpy as np
import pytest

from digitboard.cli import main as digitboard_main
from digitboard.core.drawing import extent, fit_height
from digitboard.sessions.format import Limits
from digitboard.training.data import HELD_OUT_CONTRIBUTORS, DrawnDigit, load_unipen
from digitboard.web.app import WebConfig, create_app
from digitboard.web.waitress_server import create_server, server_url

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.actions import interaction  # noqa: E402
from selenium.webdriver.common.actions.action_builder import ActionBuilder  # noqa: E402
from selenium.webdriver.common.actions.pointer_input import PointerInput  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

CHROMIUM = next(filter(None, map(shutil.which, ["chromium", "chromium-browser", "google-chrome"])), None)
CHROMEDRIVER = shutil.which("chromedriver")
INSTALL_HINT = "apt-get install chromium chromium-driver (Debian's packages; .ci/run installs them)"
DESKTOP = (1100, 700)
PHONE = (390, 844)
WAIT_SECONDS = 15

os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never try to download a driver


@pytest.fixture(scope="module")
def browser_paths() -> tuple[str, str]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        missing = "Chromium" if CHROMIUM is None else "chromedriver"
        pytest.skip(f"page tests need a headless browser: no {missing} on PATH; {INSTALL_HINT}")
    return CHROMIUM, CHROMEDRIVER


class RecordingServer:
    """The web board on waitress in a thread, keeping every session body the page posts."""

    def __init__(self, config: WebConfig = WebConfig(port=0, threads=4)) -> None:
        self.app = create_app(config)  # the shipped model, as `digitboard serve` runs it
        self.bodies: list[bytes] = []
        answer = self.app.wsgi_app

        self.statuses: list[str] = []  # each /api/read answer's status

        def recording_app(environ, start_response):
            if environ["PATH_INFO"] == "/api/read":
                body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
                self.bodies.append(body)
                environ["wsgi.input"] = io.BytesIO(body)

                def recording_start(status, headers, *rest):
                    self.statuses.append(status)
                    return start_response(status, headers, *rest)

                return answer(environ, recording_start)
            return answer(environ, start_response)

        self.app.wsgi_app = recording_app
        self.server = create_server(self.app, config)
        self.url = server_url(self.server)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.close()
        self.server.task_dispatcher.shutdown()


@pytest.fixture(scope="module")
def server(browser_paths, shipped_model) -> Iterator[RecordingServer]:
    running = RecordingServer()
    yield running
    running.close()


def start_chromium(paths: tuple[str, str], size: tuple[int, int], phone: bool = False):
    options = webdriver.ChromeOptions()
    options.binary_location = paths[0]
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={size[0]},{size[1]}", "--hide-scrollbars", "--force-device-scale-factor=1"]:
        options.add_argument(argument)
    if phone:  # a phone's viewport, pixel density and touch screen
        options.add_experimental_option(
            "mobileEmulation", {"deviceMetrics": {"width": size[0], "height": size[1], "pixelRatio": 2, "touch": True}}
        )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=paths[1]))
    if not phone:
        driver.set_window_size(*size)
    return driver


def open_board(paths: tuple[str, str], server, kind: str):
    """Chromium on the board: a phone with touch for "touch", else a desktop with a mouse; the
    requests the server has seen so far forgotten."""
    driver = start_chromium(paths, PHONE if kind == "touch" else DESKTOP, phone=kind == "touch")
    try:
        driver.get(server.url)
    except BaseException:
        driver.quit()
        raise
    server.bodies.clear()
    return driver


@pytest.fixture
def desktop(browser_paths, server):
    driver = start_chromium(browser_paths, DESKTOP)
    driver.get(server.url)
    yield driver
    driver.quit()


@pytest.fixture
def phone(browser_paths, server):
    driver = start_chromium(browser_paths, PHONE, phone=True)
    driver.get(server.url)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def held_out_digits(unipen_path) -> list[DrawnDigit]:
    return load_unipen(unipen_path, HELD_OUT_CONTRIBUTORS)


# -- drawing ----------------------------------------------------------------------------------------

def pick(digits: list[DrawnDigit], label: int, strokes: int) -> DrawnDigit:
    return next(d for d in digits if d.label == label and len(d.strokes) == strokes)


def write_number(digits: list[DrawnDigit], left: float, top: float, height: float) -> list[np.ndarray]:
    """The digits side by side at `height` pixels, a third of a height apart, whole pixels."""
    strokes = []
    for digit in digits:
        placed = fit_height(digit.strokes, height, (left, top))
        strokes += [np.round(stroke) for stroke in placed]
        left += extent(placed)[0] + height / 3
    return strokes


POINTERS = {"mouse": interaction.POINTER_MOUSE, "pen": interaction.POINTER_PEN, "touch": interaction.POINTER_TOUCH}


def canvas_origin(driver) -> tuple[float, float]:
    return driver.execute_script("const r = document.getElementById('ink').getBoundingClientRect(); return [r.left, r.top]")


def draw(driver, strokes: list[np.ndarray], finger: bool = False, kind: str | None = None) -> None:
    """Draw each stroke as a pointer press, moves and release, at canvas coordinates."""
    kind = kind or ("touch" if finger else "mouse")
    left, top = canvas_origin(driver)
    for stroke in strokes:
        actions = ActionBuilder(driver, mouse=PointerInput(POINTERS[kind], kind), duration=0)
        (x, y), *rest = [(int(left + px), int(top + py)) for px, py in stroke]
        actions.pointer_action.move_to_location(x, y).pointer_down()
        for x, y in rest:
            actions.pointer_action.move_to_location(x, y)
        actions.pointer_action.pointer_up()
        actions.perform()


def tap(driver, x: float, y: float, kind: str = "mouse", hold_seconds: float = 0.0) -> None:
    """Press and release without moving at (x, y) of the canvas, held `hold_seconds`."""
    left, top = canvas_origin(driver)
    actions = ActionBuilder(driver, mouse=PointerInput(POINTERS[kind], kind), duration=0)
    actions.pointer_action.move_to_location(int(left + x), int(top + y)).pointer_down()
    if hold_seconds:
        actions.pointer_action.pause(hold_seconds)
    actions.pointer_action.pointer_up()
    actions.perform()


def canvas_size(driver) -> tuple[int, int]:
    return driver.execute_script("const c = document.getElementById('ink'); return [c.clientWidth, c.clientHeight]")


def centres(driver, selector: str) -> list[tuple[float, float]]:
    """The middle of each element `selector` finds, in canvas coordinates, in the page's order."""
    return driver.execute_script("""
        const c = document.getElementById('ink').getBoundingClientRect();
        return [...document.querySelectorAll(arguments[0])].map((element) => {
          const r = element.getBoundingClientRect();
          return [r.left - c.left + r.width / 2, r.top - c.top + r.height / 2];
        });""", selector)


def label_centres(driver) -> list[tuple[float, float]]:
    """The middle of each digit's label, in canvas coordinates, in the page's digit order."""
    return centres(driver, ".label")


def label_under(driver, x: float, y: float) -> bool:
    """Whether a digit's label lies under (x, y) of the canvas."""
    return driver.execute_script("""
        const c = document.getElementById('ink').getBoundingClientRect();
        const [x, y] = [arguments[0] + c.left, arguments[1] + c.top];
        return [...document.querySelectorAll('.label')].some((label) => {
          const r = label.getBoundingClientRect();
          return r.left <= x && x <= r.right && r.top <= y && y <= r.bottom;
        });""", x, y)


def answered(driver) -> int:
    return int(driver.execute_script("return Number(document.getElementById('board').dataset.answered || 0)"))


# -- reading the page ---------------------------------------------------------------------------------

def shown(driver) -> dict:
    """What the page shows: each box and label, the reading, any error."""
    return driver.execute_script("""
        return {
          boxes: [...document.querySelectorAll('.box')].map((box) => box.dataset.box),
          labels: [...document.querySelectorAll('.label')].map((label) => label.dataset.full),
          reading: document.getElementById('reading').textContent,
          status: document.getElementById('status').textContent,
        };""")


def expected_from_replay(body: bytes, tmp_path: Path) -> dict:
    """What the page should show for `body`, from `digitboard replay --corrections-only` run on it
    (the web board learns from corrections only)."""
    session_file, out = tmp_path / "page-session.json", tmp_path / "replayed.jsonl"
    session = json.loads(body)
    profile = []
    if "examples" in session:  # the user's examples: a profile of them, as replay reads one
        exported = tmp_path / "page-examples.jsonl"  # the older profile format, which `profile --import` takes
        exported.write_text("".join(json.dumps({"learn": {"id": str(i), **example}}) + "\n"
                                    for i, example in enumerate(session.pop("examples"))))
        profile_file = tmp_path / "page-profile.sqlite"
        profile_file.unlink(missing_ok=True)
        assert digitboard_main(["profile", "--profile", str(profile_file), "--import", str(exported)]) == 0
        profile = ["--profile", str(profile_file)]
        body = json.dumps(session).encode()
    session_file.write_bytes(body)
    assert digitboard_main(["replay", "--corrections-only", str(session_file), "--out", str(out), *profile]) == 0
    replayed = json.loads(out.read_text())
    digits = replayed["digits"]
    unsure = sum(digit["unsure"] for digit in digits)
    reading = f"Reading: {replayed['reading']}{f' ({unsure} unsure)' if unsure else ''}" if digits else "Draw digits below"
    return {
        "boxes": [",".join(map(str, digit["box"])) for digit in digits],
        "labels": [digit["text"] for digit in digits],  # the label as the window shows it
        "reading": reading,
        "status": "",
        "replayed": replayed,
    }


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {WAIT_SECONDS} s waiting for {what}")
        time.sleep(0.05)


def settle(driver, server: RecordingServer, requests: int, tmp_path: Path) -> dict:
    """Wait for the page to have sent `requests` sessions in all and to show replay's reading of
    the last one; return that reading."""
    wait_for(lambda: len(server.bodies) >= requests, f"{requests} requests from the page")
    assert len(server.bodies) == requests
    expected = expected_from_replay(server.bodies[-1], tmp_path)
    page_part = {key: value for key, value in expected.items() if key != "replayed"}
    try:
        wait_for(lambda: shown(driver) == page_part, "the page to show replay's reading")
    except AssertionError:
        raise AssertionError(f"the page shows {shown(driver)}, replay gives {page_part}") from None
    return expected["replayed"]


def point_count(body: bytes) -> int:
    return sum(len(action.get("stroke", ())) for action in json.loads(body)["actions"])


def overlapping_labels(driver) -> list[list[str]]:
    """Pairs of digit labels that cover each other on the page."""
    return driver.execute_script("""
        const rects = [...document.querySelectorAll('.label')].map((label) => [label.textContent, label.getBoundingClientRect()]);
        const pairs = [];
        rects.forEach(([a, r], i) => rects.slice(i + 1).forEach(([b, q]) => {
          if (r.left < q.right && q.left < r.right && r.top < q.bottom && q.top < r.bottom) pairs.push([a, b]);
        }));
        return pairs;""")


def browser_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


# -- tests ------------------------------------------------------------------------------------------

def test_a_number_drawn_with_the_mouse_reads_as_replay_reads_it(desktop, server, held_out_digits, tmp_path):
    server.bodies.clear()
    digits = [pick(held_out_digits, 3, 1), pick(held_out_digits, 4, 2), pick(held_out_digits, 7, 2), pick(held_out_digits, 0, 1)]
    strokes = write_number(digits, 40, 60, 150)
    draw(desktop, strokes)
    replayed = settle(desktop, server, len(strokes), tmp_path)
    assert replayed["reading"] == "3470"  # held-out writers' digits, read right
    session = json.loads(server.bodies[-1])
    assert session["size"] == desktop.execute_script("const c = document.getElementById('ink'); return [c.clientWidth, c.clientHeight]")
    times = [point[2] for action in session["actions"] for point in action["stroke"]]
    assert times == sorted(times) and times[-1] > 0  # each point carries its time since the start
    assert len(server.bodies) == len(strokes)  # one request a pen lift
    assert overlapping_labels(desktop) == []
    assert browser_errors(desktop) == []  # no script error, nothing blocked by the CSP


def test_undo_and_clear_by_key_and_alternatives_on_tap(desktop, server, held_out_digits, tmp_path):
    server.bodies.clear()
    strokes = write_number([pick(held_out_digits, 5, 2), pick(held_out_digits, 2, 1)], 60, 80, 140)
    draw(desktop, strokes)
    settle(desktop, server, len(strokes), tmp_path)
    page = desktop.find_element(By.TAG_NAME, "body")
    webdriver.ActionChains(desktop).key_down(Keys.CONTROL).send_keys("z").key_up(Keys.CONTROL).perform()
    replayed = settle(desktop, server, len(strokes) + 1, tmp_path)  # the 2 is undone
    assert json.loads(server.bodies[-1])["actions"][-1] == {"key": "ctrl+z"}
    assert len(replayed["digits"]) == 1

    label = desktop.find_element(By.CSS_SELECTOR, ".label")
    tap(desktop, *label_centres(desktop)[0])
    alternatives = desktop.find_element(By.ID, "alternatives")
    wait_for(alternatives.is_displayed, "the alternatives to show")
    expected = [f"{value}  {probability * 100:.1f}%" if probability >= 0.001 else f"{value}  <0.1%"
                for value, probability in replayed["digits"][0]["alternatives"]]
    assert [item.text.replace(" ", "") for item in alternatives.find_elements(By.TAG_NAME, "li")] == [
        text.replace(" ", "") for text in expected]
    assert label.get_attribute("aria-expanded") == "true"

    page.send_keys("n")
    replayed = settle(desktop, server, len(strokes) + 2, tmp_path)
    assert replayed["digits"] == [] and json.loads(server.bodies[-1])["actions"][-1] == {"key": "n"}
    assert desktop.find_element(By.ID, "reading").text == "Draw digits below"
    assert not alternatives.is_displayed()
    page.send_keys(Keys.BACKSPACE)  # undoing the clear brings the board back, as on the desktop
    replayed = settle(desktop, server, len(strokes) + 3, tmp_path)
    assert len(replayed["digits"]) == 1
    assert browser_errors(desktop) == []


def test_a_long_used_page_starts_its_session_afresh_from_the_board(browser_paths, shipped_model, held_out_digits, tmp_path):
    """Past half the server's bounds, once an answer has read the whole session, the page's next
    request sends only the strokes on the board (as the answer left them): same reading."""
    small = RecordingServer(WebConfig(port=0, threads=2, limits=Limits(actions=14, points=600)))
    driver = start_chromium(browser_paths, DESKTOP)
    try:
        driver.get(small.url)
        number = write_number([pick(held_out_digits, label, 1) for label in (1, 2, 3)], 40, 60, 120)
        draw(driver, number)
        page = driver.find_element(By.TAG_NAME, "body")
        page.send_keys("n")  # 4 actions: the strokes and the clear
        draw(driver, number[:2])  # 6 actions
        webdriver.ActionChains(driver).key_down(Keys.CONTROL).send_keys("z").key_up(Keys.CONTROL).perform()
        draw(driver, number[2:])  # 8 actions, over half of 14: the answer to them starts the session afresh
        replayed = settle(driver, small, 8, tmp_path)
        sent = json.loads(small.bodies[-1])["actions"]
        assert [action.get("key") for action in sent] == [None] * 3 + ["n", None, None, "ctrl+z", None]
        assert len(replayed["digits"]) == 2
        wait_for(lambda: driver.execute_script("return JSON.parse(sessionStorage.getItem('digitboard.board')).actions.length") == 2,
                 "the page to start its session afresh")
        # The fresh session, the strokes still on the board, read alone: the same board.
        assert expected_from_replay(json.dumps({"size": json.loads(small.bodies[-1])["size"], "actions": [sent[4], sent[7]]}).encode(),
                                    tmp_path)["labels"] == [digit["text"] for digit in replayed["digits"]]
        assert browser_errors(driver) == []
        zigzag = [np.array([[300 + 40 * (i % 2), 100 + i * 0.1] for i in range(700)])]  # over the bounds alone
        draw(driver, zigzag)
        wait_for(lambda: len(small.bodies) == 9, "the page to send the long stroke")
        assert [action.get("stroke") for action in json.loads(small.bodies[-1])["actions"]][:2] == [sent[4]["stroke"], sent[7]["stroke"]]
        assert len(json.loads(small.bodies[-1])["actions"]) == 3
        message = "Board full: N clears it, Ctrl+Z takes the last stroke back (not read: session:1: field 'actions': too many points (7"
        wait_for(lambda: shown(driver)["status"].startswith(message), "the page to say the board is full, and why")
        assert len(shown(driver)["boxes"]) == 2  # the last board read stays on the page
    finally:
        driver.quit()
        small.close()


def test_a_finger_on_a_phone_draws_undoes_and_clears_without_scrolling(phone, server, held_out_digits, tmp_path):
    server.bodies.clear()
    width, height = phone.execute_script("return [window.innerWidth, window.innerHeight]")
    assert (width, height) == PHONE
    strokes = write_number([pick(held_out_digits, 1, 1), pick(held_out_digits, 2, 1)], 30, 200, 110)
    draw(phone, strokes, finger=True)
    replayed = settle(phone, server, len(strokes), tmp_path)
    assert len(replayed["digits"]) == 2
    assert overlapping_labels(phone) == []  # "1 100%" is wider than the 1 and reaches over the 2
    assert phone.execute_script("return [window.scrollX, window.scrollY]") == [0, 0]  # drawing did not scroll
    assert phone.execute_script("return document.documentElement.scrollHeight") <= height  # the page fits
    buttons = {name: phone.find_element(By.ID, name) for name in ("undo", "clear")}
    assert all(button.size["height"] >= 44 for button in buttons.values())  # finger-sized
    buttons["undo"].click()
    replayed = settle(phone, server, len(strokes) + 1, tmp_path)
    assert len(replayed["digits"]) == 1
    buttons["clear"].click()
    wait_for(lambda: shown(phone)["boxes"] == [], "Clear to empty the board")
    assert browser_errors(phone) == []


def test_screenshot_shows_ink_boxes_and_the_reading(desktop, server, held_out_digits, tmp_path):
    server.bodies.clear()
    digits = [pick(held_out_digits, label, strokes) for label, strokes in [(2, 1), (0, 1), (4, 2), (7, 2), (5, 2), (9, 1)]]
    strokes = write_number(digits, 30, 90, 120)
    draw(desktop, strokes)
    settle(desktop, server, len(strokes), tmp_path)
    tap(desktop, *label_centres(desktop)[-1])  # show the last digit's alternatives
    path = Path(os.environ.get("DIGITBOARD_WEB_SCREENSHOT") or tmp_path / "web.png")
    assert desktop.save_screenshot(str(path))
    image = cv2.imread(str(path))  # (h, w, 3) uint8, BGR
    assert image.shape[1] == DESKTOP[0]
    white_ink = np.all(image >= 250, axis=2).mean()
    red_boxes = ((image[..., 2] > 200) & (image[..., 1] < 80) & (image[..., 0] < 80)).mean()
    assert 0.01 < white_ink < 0.2 and red_boxes > 0.001


# -- no lost strokes: real pen-drawn digits at a human pace ----------------------------------------

def three_tight_lines(digits: list[DrawnDigit], width: float, height: float, seed: int) -> list[list[np.ndarray]]:
    """Real digits written in three lines a 0.4 of a digit's height apart, as many as fit a line;
    half of them the two-stroke 0, 4, 5 and 7 whose later stroke often starts near the top."""
    rng = np.random.default_rng(seed)
    two_strokes = [d for d in digits if d.label in (0, 4, 5, 7) and len(d.strokes) == 2]
    others = [d for d in digits if len(d.strokes) <= 2]
    lines = []
    for line in range(3):
        top, left, strokes = 20 + line * 1.4 * height, 16.0, []
        while True:
            pool = two_strokes if rng.random() < 0.5 else others
            digit = pool[rng.integers(len(pool))]
            placed = fit_height(digit.strokes, height, (left, top))
            if left + extent(placed)[0] > width - 16:
                break
            strokes.append([np.round(stroke) for stroke in placed])
            left += extent(placed)[0] + height / 3
        lines.append(strokes)
    return lines


def write_at_human_pace(driver, server: RecordingServer, digit_strokes: list[list[np.ndarray]], kind: str,
                        aim_at_labels: int = 0) -> dict:
    """Draw each stroke after the page shows the answer to the one before; count what was lost.
    The later stroke of every `aim_at_labels`-th two-stroke digit is moved to start on the
    nearest label, as a 7's bar or a 5's top often does in quick writing."""
    drawn = lost = on_labels = two_strokes = 0
    lost_strokes = []
    for strokes in digit_strokes:
        two_strokes += len(strokes) == 2
        for number, stroke in enumerate(strokes):
            if number == 1 and aim_at_labels and two_strokes % aim_at_labels == 0:
                centres = np.array(label_centres(driver))
                nearest = centres[np.argmin(np.linalg.norm(centres - stroke[0], axis=1))]
                moved = np.round(stroke + (nearest - stroke[0]))
                if moved.min() >= 0 and (moved.max(axis=0) < canvas_size(driver)).all():
                    stroke = moved
            on_labels += label_under(driver, *stroke[0])
            draw(driver, [stroke], kind=kind)
            drawn += 1
            sent = drawn - lost
            try:
                wait_for(lambda sent=sent: len(server.bodies) == sent and answered(driver) == sent,
                         "the page to send the stroke and show its answer")
            except AssertionError:
                lost += 1
                lost_strokes.append((drawn, stroke[0].tolist(), len(stroke), np.ptp(stroke, axis=0).tolist()))
    return {"drawn": drawn, "lost": lost, "started_on_labels": on_labels, "requests": len(server.bodies),
            "lost_strokes": lost_strokes}


@pytest.mark.parametrize("kind, size, seed", [("mouse", DESKTOP, 1), ("pen", DESKTOP, 2), ("touch", PHONE, 3),
                                             ("pen", PHONE, 4)])
def test_no_stroke_is_lost_at_a_human_pace_even_starting_on_a_label(kind, size, seed, browser_paths, server,
                                                                    held_out_digits, tmp_path):
    driver = start_chromium(browser_paths, size, phone=size == PHONE)
    try:
        driver.get(server.url)
        server.bodies.clear()
        width, _ = canvas_size(driver)
        digit_height = 100 if size == DESKTOP else 70
        lines = three_tight_lines(held_out_digits, width, digit_height, seed=seed)
        count = write_at_human_pace(driver, server, [digit for line in lines for digit in line], kind,
                                    aim_at_labels=3 if size == DESKTOP else 2)
        drawn_here = sum(len(digit) for line in lines for digit in line)
        print(f"{kind} at {size[0]}x{size[1]}: {count}")
        path = tmp_path / f"human-pace-{kind}-{size[0]}.png"
        driver.save_screenshot(str(path))
        if os.environ.get("DIGITBOARD_WEB_SHOTS"):
            shutil.copy(path, Path(os.environ["DIGITBOARD_WEB_SHOTS"]) / path.name)
        assert count["lost"] == 0 and count["requests"] == drawn_here, count
        assert count["started_on_labels"] >= 2, count  # the strokes that used to be lost are among them
        session = json.loads(server.bodies[-1])
        assert sum("stroke" in action for action in session["actions"]) == drawn_here
        replayed = settle(driver, server, drawn_here, tmp_path)
        assert sorted(stroke for digit in replayed["digits"] for stroke in digit["strokes"]) == list(range(drawn_here))
        assert browser_errors(driver) == []
    finally:
        driver.quit()


@pytest.mark.parametrize("kind", ["mouse", "pen", "touch"])
def test_a_stroke_starting_in_the_middle_of_a_label_draws_and_a_tap_on_it_opens_the_panel(kind, browser_paths, server,
                                                                                           held_out_digits, tmp_path):
    driver = open_board(browser_paths, server, kind)
    try:
        first, _ = write_number([pick(held_out_digits, 7, 2)], 40, 160, 120)
        draw(driver, [first], kind=kind)
        settle(driver, server, 1, tmp_path)
        (x, y), = label_centres(driver)
        assert label_under(driver, x, y)
        stroke = np.array([[x, y], [x + 30, y + 40], [x + 50, y + 90], [x + 55, y + 140]])  # down from the label
        draw(driver, [stroke], kind=kind)
        replayed = settle(driver, server, 2, tmp_path)
        start = json.loads(server.bodies[-1])["actions"][-1]["stroke"][0][:2]
        assert abs(start[0] - x) <= 1 and abs(start[1] - y) <= 1  # the stroke began on the label
        assert sum(len(digit["strokes"]) for digit in replayed["digits"]) == 2  # the stroke is on the board
        (x, y), *_ = label_centres(driver)
        tap(driver, x, y, kind)  # a tap without movement on a label: its panel, no ink, no request
        panel = driver.find_element(By.ID, "alternatives")
        wait_for(panel.is_displayed, "the panel to open")
        time.sleep(0.3)
        assert len(server.bodies) == 2
        if kind != "mouse":  # a long press on the digit's ink opens it too
            driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)  # closes it
            wait_for(lambda: not panel.is_displayed(), "the panel to close")
            box = [float(v) for v in shown(driver)["boxes"][0].split(",")]
            tap(driver, box[0] + box[2] / 2, box[1] + box[3] / 2, kind, hold_seconds=0.8)
            wait_for(panel.is_displayed, "a long press to open the panel")
            time.sleep(0.3)
            assert len(server.bodies) == 2
    finally:
        driver.quit()


@pytest.mark.parametrize("kind", ["mouse", "touch"])
def test_a_small_stroke_starting_on_a_label_is_ink_and_only_a_still_press_opens_the_panel(kind, browser_paths, server,
                                                                                          held_out_digits, tmp_path):
    driver = open_board(browser_paths, server, kind)
    try:
        draw(driver, write_number([pick(held_out_digits, 7, 1)], 40, 160, 120), kind=kind)
        settle(driver, server, 1, tmp_path)
        panel = driver.find_element(By.ID, "alternatives")
        (x, y), = label_centres(driver)
        # A 4's second stroke 4.5 px long, started on the first stroke's label: ink, as on the
        # desktop board, where a press that goes further than CLICK_REACH (3 px) is a stroke.
        draw(driver, [np.array([[x, y], [x + 1, y + 2], [x + 2, y + 4]])], kind=kind)
        settle(driver, server, 2, tmp_path)
        stroke = json.loads(server.bodies[-1])["actions"][-1]["stroke"]
        # Sent from its start to its end (its middle point, on the line between, is left out: simplify.js).
        assert abs(stroke[0][0] - x) <= 1 and abs(stroke[0][1] - y) <= 1
        assert abs(stroke[-1][0] - x - 2) <= 1 and abs(stroke[-1][1] - y - 4) <= 1
        assert not panel.is_displayed()
        # A press that wavers within the reach is still a tap: the label's panel, no ink.
        (x, y), *_ = label_centres(driver)
        draw(driver, [np.array([[x, y], [x + 1, y + 1], [x + 2, y]])], kind=kind)
        wait_for(panel.is_displayed, "a press moving 2 px on a label to open its panel")
        time.sleep(0.3)
        assert len(server.bodies) == 2
        assert browser_errors(driver) == []
    finally:
        driver.quit()


def test_a_second_finger_never_draws(browser_paths, server, tmp_path):
    driver = start_chromium(browser_paths, PHONE, phone=True)
    try:
        driver.get(server.url)
        server.bodies.clear()
        left, top = canvas_origin(driver)
        one = PointerInput(interaction.POINTER_TOUCH, "finger1")
        two = PointerInput(interaction.POINTER_TOUCH, "finger2")
        actions = ActionBuilder(driver, duration=0)
        actions.add_pointer_input(interaction.POINTER_TOUCH, "finger1")
        actions.devices = [one, two]
        one.create_pointer_move(x=int(left + 100), y=int(top + 200))
        two.create_pointer_move(x=int(left + 250), y=int(top + 200))
        one.create_pointer_down()
        two.create_pointer_down()
        for step in range(1, 11):  # a pinch: both fingers move apart
            one.create_pointer_move(x=int(left + 100 - 6 * step), y=int(top + 200 - 4 * step))
            two.create_pointer_move(x=int(left + 250 + 6 * step), y=int(top + 200 + 4 * step))
        one.create_pointer_up(0)
        two.create_pointer_up(0)
        actions.perform()
        time.sleep(1.0)
        assert server.bodies == []  # no stroke: nothing was sent
        ink = driver.execute_script("""
            const c = document.getElementById('ink');
            const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let lit = 0; for (let i = 0; i < pixels.length; i += 4) lit += pixels[i] > 0; return lit;""")
        assert ink == 0
    finally:
        driver.quit()


# -- labels: the page and the desktop board follow one rule ----------------------------------------

def test_the_page_places_labels_by_the_desktop_boards_rule(desktop):
    from test_web_labels import label_cases

    from digitboard.core.labels import place_labels

    for boxes, options, area in label_cases():
        expected = [None if spot is None else [list(spot[0]), spot[1]] for spot in place_labels(boxes, options, area, 2)]
        page = desktop.execute_async_script("""
            const done = arguments[arguments.length - 1];
            import('/static/labels.js').then((labels) => done(labels.placeLabels(arguments[0], arguments[1], arguments[2], 2)),
                                             (error) => done(String(error)));""", boxes, options, area)
        assert page == expected, (boxes, area)


# -- correcting on the page ----------------------------------------------------------------------------

def stored_examples(driver) -> list[dict]:
    return driver.execute_script("return JSON.parse(localStorage.getItem('digitboard.examples') || '[]')")


def test_corrections_on_the_page_teach_the_session_as_replay_and_stay_in_the_browser(desktop, server, held_out_digits,
                                                                                     tmp_path):
    server.bodies.clear()
    desktop.execute_script("localStorage.clear()")
    digits = [pick(held_out_digits, 3, 1), pick(held_out_digits, 5, 2), pick(held_out_digits, 2, 1)]
    strokes = write_number(digits, 40, 80, 130)
    draw(desktop, strokes)
    replayed = settle(desktop, server, len(strokes), tmp_path)
    assert replayed["reading"] == "352"
    panel = desktop.find_element(By.ID, "alternatives")

    # Tap the first label, pick its second alternative.
    tap(desktop, *label_centres(desktop)[0])
    wait_for(panel.is_displayed, "the panel to open")
    choices = panel.find_elements(By.CSS_SELECTOR, "li button")
    chosen = replayed["digits"][0]["alternatives"][1][0]
    choices[1].click()
    replayed = settle(desktop, server, len(strokes) + 1, tmp_path)
    assert json.loads(server.bodies[-1])["actions"][-1]["correct"]["label"] == chosen
    assert replayed["digits"][0]["label"] == chosen and replayed["digits"][0]["corrected"]
    first_label = desktop.find_elements(By.CSS_SELECTOR, ".label")[0]
    assert "corrected" in first_label.get_attribute("class") and first_label.text.startswith(str(chosen))
    assert [example["label"] for example in stored_examples(desktop)] == [chosen]

    # Type a digit with the mouse over the last digit, as on the desktop board.
    x, y, w, h = replayed["digits"][2]["box"]
    left, top = canvas_origin(desktop)
    hover = ActionBuilder(desktop, mouse=PointerInput(interaction.POINTER_MOUSE, "mouse"), duration=0)
    hover.pointer_action.move_to_location(int(left + x + w / 2), int(top + y + h / 2))
    hover.perform()
    desktop.find_element(By.TAG_NAME, "body").send_keys("7")
    replayed = settle(desktop, server, len(strokes) + 2, tmp_path)
    assert [digit["label"] for digit in replayed["digits"]][2] == 7 and replayed["digits"][2]["corrected"]

    # Delete the middle digit from its panel; undo brings it back, undo again takes back the 7.
    tap(desktop, *label_centres(desktop)[1])
    wait_for(panel.is_displayed, "the panel to open")
    panel.find_element(By.CSS_SELECTOR, "button.delete").click()
    replayed = settle(desktop, server, len(strokes) + 3, tmp_path)
    assert len(replayed["digits"]) == 2
    page = desktop.find_element(By.TAG_NAME, "body")
    page.send_keys(Keys.BACKSPACE)
    replayed = settle(desktop, server, len(strokes) + 4, tmp_path)
    assert len(replayed["digits"]) == 3
    page.send_keys(Keys.BACKSPACE)
    replayed = settle(desktop, server, len(strokes) + 5, tmp_path)
    assert not replayed["digits"][2]["corrected"]
    assert [example["label"] for example in stored_examples(desktop)] == [chosen]  # the undone 7 is forgotten
    path = tmp_path / "corrected.png"
    desktop.save_screenshot(str(path))
    if os.environ.get("DIGITBOARD_WEB_SHOTS"):
        shutil.copy(path, Path(os.environ["DIGITBOARD_WEB_SHOTS"]) / path.name)

    # A new page: the correction travels as an example, and the same drawing reads as corrected.
    desktop.get(server.url)
    server.bodies.clear()
    draw(desktop, strokes[:1])
    replayed = settle(desktop, server, 1, tmp_path)
    sent = json.loads(server.bodies[-1])
    assert [example["label"] for example in sent["examples"]] == [chosen]
    assert replayed["digits"][0]["label"] == chosen
    # Forget my handwriting: nothing kept, nothing sent.
    desktop.find_element(By.ID, "forget").click()
    replayed = settle(desktop, server, 2, tmp_path)
    assert stored_examples(desktop) == [] and "examples" not in json.loads(server.bodies[-1])
    assert replayed["digits"][0]["label"] == 3
    assert browser_errors(desktop) == []


@pytest.mark.parametrize("kind", ["mouse", "touch"])
def test_a_press_that_moves_on_an_open_panel_is_ink_and_a_still_one_picks_a_row(kind, browser_paths, server,
                                                                                 held_out_digits, tmp_path):
    driver = open_board(browser_paths, server, kind)
    try:
        driver.execute_script("localStorage.clear()")
        draw(driver, write_number([pick(held_out_digits, 3, 1), pick(held_out_digits, 2, 1)], 40, 60, 120), kind=kind)
        settle(driver, server, 2, tmp_path)
        panel = driver.find_element(By.ID, "alternatives")
        width, height = canvas_size(driver)

        def open_panel() -> list[tuple[float, float]]:
            tap(driver, *label_centres(driver)[0], kind)
            wait_for(panel.is_displayed, "the panel to open")
            return centres(driver, "#alternatives button")

        # Strokes started on the open panel (a small one on a row, a long one from a row, one from
        # its hint line) and one elsewhere on the board: each is ink, whole, and picks nothing.
        elsewhere = (width - 40.0, height - 160.0)
        for start, path in [("row", [(3, 1), (4, 3)]), ("row", [(20, 30), (30, 80)]), ("hint", [(-20, 25), (-30, 70)]),
                            ("board", [(5, 40), (10, 90)])]:
            rows = open_panel()
            if start == "row":
                x, y = rows[1]
            elif start == "hint":  # on the panel, not on a row
                (x, y), = centres(driver, ".panel-hint")
            else:
                x, y = elsewhere
            stroke = np.array([[x, y]] + [[x + dx, y + dy] for dx, dy in path])
            sent = len(server.bodies) + 1
            draw(driver, [stroke], kind=kind)
            try:
                replayed = settle(driver, server, sent, tmp_path)
            except AssertionError as error:
                raise AssertionError(f"a stroke begun on the {start}, the panel open, was not sent as ink: {error}") from None
            actions = json.loads(server.bodies[-1])["actions"]
            drawn = actions[-1]["stroke"]
            assert abs(drawn[0][0] - x) <= 1 and abs(drawn[0][1] - y) <= 1, (start, drawn)  # whole, from the press
            assert len(drawn) == len(stroke), (start, drawn)
            assert all("stroke" in action for action in actions), (start, actions)  # no correction
            assert sum(len(digit["strokes"]) for digit in replayed["digits"]) == len(actions)  # on the board
            assert not panel.is_displayed()

        # A still press on a row picks it; so do Enter on a row and a digit typed over the panel.
        for how in ["press", "enter", "typed"]:
            rows = open_panel()
            row = panel.find_elements(By.CSS_SELECTOR, "li button")[1]
            label = int(row.text.split()[0])
            sent = len(server.bodies) + 1
            if how == "press":
                tap(driver, *rows[1], kind)
            elif how == "enter":
                row.send_keys(Keys.ENTER)
            else:
                label = 8
                driver.find_element(By.TAG_NAME, "body").send_keys("8")
            replayed = settle(driver, server, sent, tmp_path)
            assert json.loads(server.bodies[-1])["actions"][-1] == {"correct": {"at": ANY, "label": label}}, how
            assert replayed["digits"][0]["label"] == label and replayed["digits"][0]["corrected"], how
            assert not panel.is_displayed()
        assert browser_errors(driver) == []
    finally:
        driver.quit()


# -- the page never moves under the pen ------------------------------------------------------------

def one_or_seven(label: int, left: float, top: float, height: float) -> np.ndarray:
    """A 1 or a 7 as one stroke of whole-pixel points, `height` tall, from (left, top)."""
    width = 0.6 * height
    if label == 1:
        points = [[left + 0.15 * height * (1 - i / 10), top + height * i / 10] for i in range(11)]
    else:
        bar = [[left + width * i / 6, top] for i in range(7)]
        points = bar + [[left + width * (1 - 0.6 * i / 10), top + height * i / 10] for i in range(1, 11)]
    return np.round(np.array(points))


def canvas_rect(driver) -> list[float]:
    return driver.execute_script("const r = document.getElementById('ink').getBoundingClientRect();"
                                 "return [r.left, r.top, r.width, r.height]")


# At 1280 px the page's reading of 30 digits fits one line; at 1024 it wraps, as it did at 1280 for
# a longer board.
@pytest.mark.parametrize("size", [(1024, 768), PHONE])
def test_the_board_never_moves_or_shrinks_while_three_lines_are_written(size, browser_paths, server, tmp_path):
    phone = size == PHONE
    driver = start_chromium(browser_paths, size, phone=phone)
    try:
        driver.get(server.url)
        server.bodies.clear()
        kind = "touch" if phone else "mouse"
        start = canvas_rect(driver)
        width, _ = canvas_size(driver)
        height = 40 if phone else 60
        step = (width - 20) / 10
        for line in range(3):
            for column in range(10):
                label = 1 if (line + column) % 2 == 0 else 7
                draw(driver, [one_or_seven(label, 10 + step * (column + 0.2), 20 + 1.7 * height * line, height)], kind=kind)
                sent = 10 * line + column + 1
                wait_for(lambda sent=sent: answered(driver) == sent, "the page to show the digit's answer")  # a human's pace
                assert canvas_rect(driver) == start, f"the board moved after digit {sent}"
        assert len(shown(driver)["boxes"]) == 30
        reading = driver.find_element(By.ID, "reading")
        assert reading.get_attribute("title") == reading.get_attribute("textContent")  # all of it, even if cut
        # A message (here: the user's examples forgotten, after a correction) takes no room from the board.
        tap(driver, *label_centres(driver)[0], kind)
        wait_for(driver.find_element(By.ID, "alternatives").is_displayed, "the panel to open")
        tap(driver, *centres(driver, "#alternatives li button")[1], kind)
        wait_for(lambda: answered(driver) == len(server.bodies) == 31, "the correction's answer")
        status, moved_to = driver.execute_script("""
            document.getElementById('forget').click();
            const r = document.getElementById('ink').getBoundingClientRect();
            return [document.getElementById('status').textContent, [r.left, r.top, r.width, r.height]];""")
        assert status.startswith("Your handwriting is forgotten") and moved_to == start
        path = tmp_path / f"three-lines-{size[0]}.png"
        driver.save_screenshot(str(path))
        if os.environ.get("DIGITBOARD_WEB_SHOTS"):
            shutil.copy(path, Path(os.environ["DIGITBOARD_WEB_SHOTS"]) / path.name)
        assert browser_errors(driver) == []
    finally:
        driver.quit()


CORRECTIONS = int(os.environ.get("DIGITBOARD_WEB_CORRECTIONS", 200))


def test_200_corrections_in_one_visit_all_still_shown_corrected_after_a_reload(desktop, server, tmp_path):
    """Corrections survive the page's own session restarts (every few corrections, at the
    server's bounds) and a reload; no request of the visit is refused, with 200 examples kept.
    Each digit is given the label it is shown with: the strokes are alike, and a correction of one
    back to the model's own reading would take back the example behind its reading, by the
    board's rule (docs/learning.md), leaving fewer than 200."""
    desktop.execute_script("localStorage.clear(); sessionStorage.clear()")
    server.bodies.clear()
    server.statuses.clear()
    page = desktop.find_element(By.TAG_NAME, "body")
    left, top = canvas_origin(desktop)
    per_board = 8
    given = []
    for number in range(CORRECTIONS):
        place = number % per_board
        x, y = 80 + 110 * (place % 4), 80 + 170 * (place // 4)
        sent = len(server.bodies)
        # A wavy stroke; the first ones have more points than an example may hold, so the page
        # must resample them (the rest are shorter only to keep the test quick).
        steps = 240 if number < 3 else 30
        draw(desktop, [np.array([[x + 12 * np.sin(step * 40 / steps), y + step * 120 / steps] for step in range(steps)])])
        wait_for(lambda: answered(desktop) > sent and len(server.bodies) > sent
                 and len(desktop.find_elements(By.CSS_SELECTOR, ".box")) == place + 1, "the stroke's digit")
        hover = ActionBuilder(desktop, mouse=PointerInput(interaction.POINTER_MOUSE, "mouse"), duration=0)
        hover.pointer_action.move_to_location(int(left + x), int(top + y + 60))
        hover.perform()
        shown_as = desktop.find_elements(By.CSS_SELECTOR, ".label")[place].get_attribute("data-full")[0]
        given.append(int(shown_as) if shown_as.isdigit() else 1)
        page.send_keys(str(given[-1]))
        wait_for(lambda: len(server.bodies) > sent + 1 and answered(desktop) >= len(server.bodies)
                 and len(stored_examples(desktop)) == min(number + 1, 200), "the correction's answer")
        if place == per_board - 1 and number < CORRECTIONS - 1:
            page.send_keys("n")
            wait_for(lambda: answered(desktop) >= len(server.bodies), "the clear's answer")
    labels = desktop.find_elements(By.CSS_SELECTOR, ".label")
    assert len(labels) == per_board and all("corrected" in label.get_attribute("class") for label in labels)
    before = [label.text for label in labels]
    kept = [example["label"] for example in stored_examples(desktop)]
    assert kept == given[-200:], (len(kept), kept)
    assert max(sum(len(stroke) for stroke in example["strokes"]) for example in stored_examples(desktop)) <= \
        server.app.config["DIGITBOARD"].max_example_points

    requests = len(server.bodies)
    desktop.refresh()
    wait_for(lambda: len(server.bodies) > requests and answered(desktop) >= 1, "the reloaded page's answer")
    labels = desktop.find_elements(By.CSS_SELECTOR, ".label")
    assert [label.text for label in labels] == before
    assert all("corrected" in label.get_attribute("class") for label in labels)
    assert set(server.statuses) == {"200 OK"}, [status for status in server.statuses if status != "200 OK"][:3]
    assert browser_errors(desktop) == []
