// The web board's page: draws ink with Pointer Events, sends the whole session to the server
// when the pen lifts and on every edit, and draws the digits that come back. The server keeps
// no state, so the session travels whole with every request, and with it the user's own
// examples (corrections from earlier sessions), which stay in this browser's localStorage. The
// board itself is kept in sessionStorage, so that a reload shows it as it was.

import {placeLabels as placeLabelRects} from "./labels.js";
import {simplified} from "./simplify.js";

const INK_WIDTH = 10; // CSS pixels; recognition renders from the points, not from the screen
const BOX_PADDING = INK_WIDTH / 2 + 2; // boxes are around the ink's points, so leave room for its width
const LABEL_GAP = 2; // CSS pixels between a label and its digit's box, as on the desktop board
const LONG_PRESS_MS = 500; // a finger or pen held still this long on a digit opens its panel
const EXAMPLES_KEY = "digitboard.examples";
const BOARD_KEY = "digitboard.board";

const board = document.getElementById("board");
const canvas = document.getElementById("ink");
const digitLayer = document.getElementById("digits");
const panel = document.getElementById("alternatives");
const readingText = document.getElementById("reading");
const statusText = document.getElementById("status");
const readUrl = board.dataset.readUrl;
// The rules the page shares with the desktop board and the server, from Python (page.py): the
// server's bounds on a session (the page starts afresh well before reaching them), the key
// table, and the tap rule.
const rules = JSON.parse(document.getElementById("rules").textContent);
const {maxActions, maxPoints, maxCorrections, maxExamples, storedExamples: examplesKept} = rules;
// CSS pixels: a press whose points stay this close to where it began is a tap; one that goes
// further is a stroke. The desktop board's own click (digitboard.core.chooser.CLICK_REACH).
const clickReach = rules.clickReach;
// CSS pixels: a stroke keeps only the points it needs to stay within this of the pen's path
// (simplify.js): a fast mouse or pen gives far more points than the board needs.
const strokeTolerance = rules.strokeTolerance;
const context = canvas.getContext("2d");

// The session in the documented format: actions in order, points [x, y, ms since its start].
let actions = [];
let sessionId = newId(); // examples learned in this session travel as its actions, not as examples
let sessionStart = performance.now(); // a restored board's times go on after its last
let strokes = []; // every stroke of the session, by id: the board numbers its strokes so
let onBoard = []; // ids of the strokes the board still has, in drawing order
// What the newest answer says of the board: the actions it read, and the strokes it left on the
// board. Undo, a deletion and the examples kept follow the server's board (the desktop board's
// own rule, digitboard.core.board); the page only guesses ahead until the answer comes.
let served = {count: 0, onBoard: []};
let deleting = new Map(); // a deletion not answered yet: its action's index -> the strokes it took
let forgottenBefore = 0; // actions before this index teach nothing kept ("Forget my handwriting")
let digits = []; // the last answer's digits
let labelSpots = []; // where each digit's label went: [left, top, right, bottom] or null
let pen = null; // the press being drawn: {pointerId, points, moved, closedPanel, onPanel, row, heldOpen, timer}
let pointer = null; // the last pointer position over the board, where typed digits go
let choosing = null; // the digit whose panel is open
let requestsSent = 0; // answers to older requests than the newest shown are dropped
let newestShown = 0;
let inkScheduled = false;

function newId() {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

// -- drawing ink -------------------------------------------------------------------------------

function boardSize() {
  return [Math.max(1, Math.round(canvas.clientWidth)), Math.max(1, Math.round(canvas.clientHeight))];
}

function fitCanvas() {
  const scale = window.devicePixelRatio || 1;
  const [width, height] = boardSize();
  if (canvas.width !== Math.round(width * scale) || canvas.height !== Math.round(height * scale)) {
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
  }
  context.setTransform(scale, 0, 0, scale, 0, 0); // draw in CSS pixels: the board's own units
  drawInk();
}

function drawStroke(points) {
  context.beginPath();
  if (points.length === 1) { // a tap leaves a dot
    context.arc(points[0][0], points[0][1], INK_WIDTH / 2, 0, 2 * Math.PI);
    context.fill();
    return;
  }
  // Smooth ink: quadratic curves through the midpoints between successive points.
  context.moveTo(points[0][0], points[0][1]);
  for (let i = 1; i < points.length - 1; i++) {
    const [x, y] = points[i];
    context.quadraticCurveTo(x, y, (x + points[i + 1][0]) / 2, (y + points[i + 1][1]) / 2);
  }
  const last = points[points.length - 1];
  context.lineTo(last[0], last[1]);
  context.stroke();
}

function drawInk() {
  inkScheduled = false;
  context.clearRect(0, 0, canvas.width, canvas.height);
  context.strokeStyle = context.fillStyle = "#fff";
  context.lineWidth = INK_WIDTH;
  context.lineCap = context.lineJoin = "round";
  for (const id of onBoard) drawStroke(strokes[id]);
  if (pen && pen.moved) drawStroke(pen.points); // a tap is not ink until it is lifted
}

function scheduleInk() {
  if (!inkScheduled) {
    inkScheduled = true;
    requestAnimationFrame(drawInk);
  }
}

// -- pointer input: mouse, pen and finger alike --------------------------------------------------
// One rule for every press, wherever it starts: one that moves is ink, whole, from where it was
// pressed, and closes any open panel. Only a press that stays still decides by what lies under
// it: a tap on a panel's row picks the row, a tap on a digit or its label opens the digit's
// panel, a tap elsewhere closes an open panel or, with none open, is a dot. Labels and boxes let
// the pointer through (pointer-events: none); the panel takes its presses, so the board listens.

function pointOf(event) {
  const rect = canvas.getBoundingClientRect();
  const x = Math.round((event.clientX - rect.left) * 10) / 10;
  const y = Math.round((event.clientY - rect.top) * 10) / 10;
  return [x, y, Math.max(0, Math.round(event.timeStamp - sessionStart))];
}

function addPoint(point) {
  const points = pen.points;
  const last = points[points.length - 1];
  point[2] = Math.max(point[2], last[2]); // a stroke's times never go back (the format requires it)
  if (last[0] !== point[0] || last[1] !== point[1]) points.push(point); // equal points count once
  if (!pen.moved && Math.hypot(point[0] - points[0][0], point[1] - points[0][1]) > clickReach) {
    pen.moved = true;
    clearTimeout(pen.timer);
    closePanel(); // a stroke, even one begun on the panel: the panel gives way to the ink
  }
}

function dropPen() {
  if (!pen) return false;
  clearTimeout(pen.timer);
  pen = null;
  scheduleInk();
  return true;
}

board.addEventListener("pointerdown", (event) => {
  if (event.pointerType === "mouse" && event.button !== 0) return;
  if (pen && event.pointerId === pen.pointerId) finishPress(); // its release never came: end that stroke
  if (!event.isPrimary || pen) {
    // A second finger (a pinch, a palm) never draws; it ends the stroke the first one began.
    if (pen && event.pointerType === "touch") dropPen();
    return;
  }
  event.preventDefault();
  // The board keeps the stroke when the pointer leaves it, and when the panel it began on closes.
  board.setPointerCapture(event.pointerId);
  // A press on the open panel may pick a row or begin a stroke: the panel stays until it moves.
  const onPanel = !panel.hidden && panel.contains(event.target);
  const row = onPanel ? event.target.closest("button") : null;
  const closedPanel = choosing !== null && !onPanel;
  if (!onPanel) closePanel();
  const point = pointOf(event);
  pointer = point;
  pen = {pointerId: event.pointerId, points: [point], moved: false, closedPanel, onPanel, row, heldOpen: false, timer: 0};
  if (event.pointerType !== "mouse" && !onPanel) { // a finger or pen held still on a digit: its panel
    const held = pen;
    held.timer = setTimeout(() => {
      const digit = held === pen && !held.moved ? digitShownAt(point[0], point[1]) : null;
      if (digit) {
        openPanel(digit); // until the press moves: then it was a slow start of a stroke, kept
        held.heldOpen = true;
      }
    }, LONG_PRESS_MS);
  }
});

board.addEventListener("pointermove", (event) => {
  if (event.pointerType === "mouse") pointer = pointOf(event);
  if (!pen || event.pointerId !== pen.pointerId) return;
  // Coalesced events carry every position the device reported since the last frame.
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
  for (const each of events.length ? events : [event]) addPoint(pointOf(each));
  scheduleInk();
});

board.addEventListener("pointerup", (event) => {
  if (!pen || event.pointerId !== pen.pointerId) return;
  addPoint(pointOf(event));
  finishPress();
});

board.addEventListener("pointercancel", (event) => {
  // The browser took the pointer away (a system gesture, the window losing focus): what was
  // drawn stays as the stroke; a press that had not moved yet is dropped.
  if (!pen || event.pointerId !== pen.pointerId) return;
  if (pen.moved) finishPress();
  else dropPen();
});

// A long press must not open the browser's menu over the board (the page opens the digit's panel).
board.addEventListener("contextmenu", (event) => event.preventDefault());

function finishPress() {
  const {points, moved, closedPanel, onPanel, row, heldOpen} = pen;
  dropPen();
  if (!moved) {
    if (onPanel) { // a tap on the panel: its row, if it was on one (between rows, nothing)
      if (row) row.click();
      return;
    }
    if (closedPanel || heldOpen) return; // the tap closed a panel, or a long press opened one
    const digit = labelledAt(points[0][0], points[0][1]); // elsewhere, even on a digit, a tap is a dot
    if (digit) {
      openPanel(digit);
      return;
    }
  }
  addStroke(points);
}

board.addEventListener("pointerleave", (event) => {
  if (event.pointerType === "mouse" && !pen) pointer = null;
});

function labelledAt(x, y) {
  const index = labelSpots.findIndex((spot) => spot && spot[0] <= x && x <= spot[2] && spot[1] <= y && y <= spot[3]);
  return index >= 0 ? digits[index] : null;
}

function digitShownAt(x, y) {
  // A label first (it may lie over another digit's padding), then the smallest box holding the point.
  return labelledAt(x, y) || smallestBoxAt(x, y, BOX_PADDING);
}

function smallestBoxAt(x, y, padding = 0) {
  let found = null;
  for (const digit of digits) {
    const [left, top, width, height] = digit.box;
    if (left - padding <= x && x <= left + width + padding && top - padding <= y && y <= top + height + padding) {
      if (!found || width * height < found.box[2] * found.box[3]) found = digit;
    }
  }
  return found;
}

// -- edits: the same as on the desktop board ----------------------------------------------------

function addStroke(drawn) {
  const points = simplified(drawn, strokeTolerance);
  strokes.push(points);
  actions.push({stroke: points});
  followAnswer();
  read();
}

function undo() {
  // The board takes back its last edit still in effect, by its own rule (digitboard.core.board):
  // the page sends the key and draws what the answer leaves on the board.
  if (dropPen()) return; // undo during a stroke drops that stroke, which was never an edit
  if (!actions.length) return;
  closePanel();
  actions.push({key: "ctrl+z"});
  read();
}

function clear() {
  dropPen();
  closePanel();
  if (!onBoard.length) return; // clearing an empty board is no edit
  actions.push({key: "n"});
  followAnswer();
  read();
}

function followAnswer() {
  // The ink: the strokes the newest answer left on the board, and what the actions since do
  // (a stroke adds itself, a clear takes all, a deletion its digit's; an undo waits for its answer).
  let board = [...served.onBoard];
  let id = actions.slice(0, served.count).filter((action) => action.stroke).length;
  for (let index = served.count; index < actions.length; index++) {
    const action = actions[index];
    if (action.stroke) board.push(id++);
    else if (action.key === "n") board = [];
    else if (deleting.has(index)) board = board.filter((stroke) => !deleting.get(index).has(stroke));
  }
  onBoard = board;
  scheduleInk();
}

function aimAt(digit) {
  // A point the board takes to this digit, as the desktop's Board.point_of: the middle of its
  // box, else the first of its ink points not inside a smaller digit's box.
  const [x, y, w, h] = digit.box;
  const middle = [x + w / 2, y + h / 2];
  for (const point of [middle, ...digit.strokes.flatMap((id) => strokes[id] || [])]) {
    if (smallestBoxAt(point[0], point[1]) === digit) return [point[0], point[1]];
  }
  return middle;
}

function correct(digit, label) {
  // The example it teaches is kept as the answer gives it (learned): see keepLearned.
  closePanel();
  if (!digits.includes(digit)) return;
  actions.push({correct: {at: aimAt(digit), label}});
  read();
}

function deleteDigit(digit) {
  closePanel();
  if (!digits.includes(digit)) return;
  actions.push({delete: {at: aimAt(digit)}});
  deleting.set(actions.length - 1, new Set(digit.strokes));
  followAnswer();
  read();
}

function pointCount() {
  return actions.reduce((count, action) => count + (action.stroke ? action.stroke.length : 0), 0);
}

function editCount() {
  return actions.filter((action) => action.correct || action.delete).length;
}

function compactSession() {
  // A long-used page would outgrow the server's bounds on a session. Once an answer has read the
  // whole session, its strokes still on the board, drawn again in order, make the same board
  // (undo takes back the last edit first, so each kept stroke met exactly the kept strokes
  // before it), and each corrected digit still on it is corrected again right after its last
  // stroke, as it was, so it stays shown corrected; older undo history is lost. The examples of
  // corrections made again travel as the new session's; the others, as the user's examples.
  if (actions.length <= maxActions / 2 && pointCount() <= maxPoints / 2 && editCount() <= maxCorrections / 2) return;
  if (served.count !== actions.length) return; // an edit not answered yet: the board is not known
  const renumbered = new Map(onBoard.map((id, index) => [id, index]));
  const again = digits.filter((digit) => digit.corrected).slice(-(maxCorrections - 1)); // room for the next
  const after = new Map(again.map((digit) => [renumbered.get(Math.max(...digit.strokes)), digit]));
  const aims = new Map(again.map((digit) => [digit, aimAt(digit)])); // from the strokes as numbered now
  const fresh = newId();
  const stored = storedExamples();
  strokes = onBoard.map((id) => strokes[id]);
  actions = [];
  for (const [id, points] of strokes.entries()) {
    actions.push({stroke: points});
    const digit = after.get(id);
    if (!digit) continue;
    actions.push({correct: {at: aims.get(digit), label: digit.label}});
    const action = actions.length - 1; // its example goes on as the new session's, until the answer says
    const example = stored.find((kept) => kept.session === sessionId && String(kept.digit) === String(digit.strokes));
    if (example) Object.assign(example, {id: `${fresh}.${action}`, session: fresh, action, digit: digit.strokes.map((old) => renumbered.get(old))});
  }
  storeExamples(stored);
  for (const digit of digits) digit.strokes = digit.strokes.map((id) => renumbered.get(id)); // the answer shown, in the new numbers
  onBoard = strokes.map((_, id) => id);
  served = {count: 0, onBoard: []};
  deleting = new Map();
  forgottenBefore = 0;
  sessionId = fresh;
  followAnswer();
}

// -- the board kept over a reload of the page -------------------------------------------------------

function saveBoard() {
  try {
    const last = actions.reduce((time, action) => (action.stroke ? action.stroke[action.stroke.length - 1][2] : time), 0);
    sessionStorage.setItem(BOARD_KEY, JSON.stringify({actions, strokes, onBoard, sessionId, forgottenBefore, last}));
  } catch { /* storage off or full: a reload starts a fresh board */ }
}

function restoreBoard() {
  // Only a reload (or back and forward) brings the board back; a new visit starts a fresh one.
  const [navigation] = performance.getEntriesByType("navigation");
  if (!navigation || navigation.type === "navigate") return false;
  try {
    const kept = JSON.parse(sessionStorage.getItem(BOARD_KEY) || "null");
    if (!kept || !Array.isArray(kept.actions) || !kept.actions.length) return false;
    ({actions, strokes, onBoard, sessionId} = kept);
    forgottenBefore = Number(kept.forgottenBefore) || 0;
    served = {count: 0, onBoard: []}; // the answer to the session read again says what is on the board
    sessionStart = performance.now() - (Number(kept.last) || 0) - 1; // a stroke's times never go back
    return true;
  } catch {
    return false;
  }
}

// -- the user's examples: kept in this browser only ---------------------------------------------

function storedExamples() {
  try {
    const kept = JSON.parse(localStorage.getItem(EXAMPLES_KEY) || "[]");
    return Array.isArray(kept) ? kept : [];
  } catch {
    return []; // storage off (private mode) or damaged: the session still learns from itself
  }
}

function storeExamples(examples) {
  try {
    localStorage.setItem(EXAMPLES_KEY, JSON.stringify(examples.slice(-examplesKept)));
  } catch {
    say("This browser keeps no examples: corrections teach this page only");
  }
}

function keepLearned(learned) {
  // This session's examples are those the answer says its corrections still teach, in the form
  // the server learned them (an undone correction's is gone): kept as the next visit will send them.
  const own = (learned || []).filter((example) => example.action >= forgottenBefore)
    .map(({action, digit, label, strokes: drawn}) => ({id: `${sessionId}.${action}`, session: sessionId, action, digit, label, strokes: drawn}));
  const stored = storedExamples();
  const before = stored.filter((example) => example.session === sessionId);
  if (JSON.stringify(before.map((example) => example.id)) === JSON.stringify(own.map((example) => example.id))) return;
  storeExamples([...stored.filter((example) => example.session !== sessionId), ...own]);
  showExampleCount();
}

function examplesToSend() {
  // The newest examples as the next visit will send them: this session's own travel as its
  // `correct` actions, so they leave room for that many fewer of the earlier ones.
  const own = storedExamples().filter((example) => example.session === sessionId).length
    + actions.slice(served.count).filter((action) => action.correct).length;
  const others = storedExamples().filter((example) => example.session !== sessionId);
  return others.slice(Math.max(0, others.length - Math.max(0, maxExamples - own)))
    .map(({label, strokes: drawn}) => ({label, strokes: drawn}));
}

function forgetHandwriting() {
  try {
    localStorage.removeItem(EXAMPLES_KEY);
  } catch { /* nothing was kept */ }
  forgottenBefore = actions.length; // nothing learned before this moment is kept again
  showExampleCount();
  say("Your handwriting is forgotten: this browser keeps no examples now");
  if (actions.length) read();
}

function showExampleCount() {
  const count = storedExamples().length;
  const button = document.getElementById("forget");
  button.disabled = count === 0;
  button.title = count ? `${count} of your corrected digits are kept in this browser` : "no examples kept";
}

// -- keys: the desktop board's table (digitboard.core.keys, in rules.keys) ------------------------

// What each of the board's commands does on the page; the page has no save or help of its own.
const COMMANDS = {
  escape: () => closePanel(),
  undo: () => undo(),
  clear: () => clear(),
  delete: () => { const digit = choosing || aimedDigit(); if (digit) deleteDigit(digit); },
  correct: (key) => { const digit = choosing || aimedDigit(); if (digit) correct(digit, Number(key)); },
};

function keyName(event) {
  // As a session file names keys: a character, or a lower-case key name, "ctrl+" before it.
  if (event.altKey) return null;
  const key = event.key.toLowerCase();
  return event.ctrlKey || event.metaKey ? `ctrl+${key}` : key;
}

function aimedDigit() {
  // Typed digits and Delete act on the digit under the mouse, as on the desktop board.
  return pointer && digits.length ? smallestBoxAt(pointer[0], pointer[1], BOX_PADDING) : null;
}

document.addEventListener("keydown", (event) => {
  const name = keyName(event);
  const command = name && COMMANDS[rules.keys[name]];
  if (!command) return;
  event.preventDefault();
  command(name);
});

document.getElementById("undo").addEventListener("click", undo);
document.getElementById("clear").addEventListener("click", clear);
document.getElementById("forget").addEventListener("click", forgetHandwriting);

// -- asking the server -------------------------------------------------------------------------

function say(message, detail = message) {
  // The status line is one line of fixed size (a longer message is cut short): its title has it all.
  statusText.textContent = message;
  statusText.title = detail;
}

function boardFull() {
  // Past the server's bounds on a session even started afresh (the strokes on the board alone):
  // every request is refused until strokes go, so say how, before the server's reason.
  return actions.length > maxActions || pointCount() > maxPoints;
}

async function read() {
  saveBoard();
  const number = ++requestsSent;
  const count = actions.length;
  const asked = sessionId;
  const examples = examplesToSend();
  const session = {size: boardSize(), actions, ...(examples.length ? {examples} : {})};
  let answer;
  try {
    const response = await fetch(readUrl, {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(session),
    });
    answer = await response.json().catch(() => ({})); // a proxy's error page is not JSON
    if (!response.ok || !answer.digits) throw new Error(answer.error || `the server answered ${response.status}`);
  } catch (error) {
    if (number <= newestShown) return;
    if (boardFull()) {
      say(`Board full: N clears it, Ctrl+Z takes the last stroke back (not read: ${error.message})`,
          `The server reads at most ${maxActions} strokes and edits and ${maxPoints} points at once. ${error.message}`);
    } else {
      say(`Not read: ${error.message}`);
    }
    return;
  }
  if (number <= newestShown || asked !== sessionId) return; // a newer answer is already on the board
  newestShown = number;
  say(answer.notes ? `Some of your kept corrections were left out: ${answer.notes[0]}` : "");
  served = {count, onBoard: answer.digits.flatMap((digit) => digit.strokes).sort((a, b) => a - b)};
  for (const index of deleting.keys()) if (index < count) deleting.delete(index);
  keepLearned(answer.learned);
  followAnswer();
  showDigits(answer.digits, answer.reading);
  compactSession();
  saveBoard();
  board.dataset.answered = String(number); // how many requests the board shows the answer of (for tests)
}

// -- what the server answered: boxes, labels, the reading ------------------------------------------

function percent(probability) {
  return `${Math.round(probability * 100)}%`;
}

function finePercent(probability) { // alternatives are often far below 1%
  const value = probability * 100;
  return value >= 0.1 ? `${value.toFixed(1)}%` : "<0.1%";
}

function styleOf(digit) {
  // The digit's mark as the server decided it (digitboard.core.digits: "read", "unsure" or
  // "corrected"), the desktop board's colours; blue for one read from the user's own examples.
  if (digit.mark === "read") return digit.yours ? "yours" : "";
  return digit.mark;
}

function shortLabelText(digit) {
  // The label's shortest form: the digit, with "?" when it is a guess.
  return `${digit.label}${digit.mark === "unsure" ? "?" : ""}`;
}

function labelText(digit) {
  return digit.text; // the label as the desktop board shows it, decided once on the server
}

function spokenLabel(digit, index) {
  let words = `digit ${index + 1}: ${digit.label}`;
  if (digit.corrected) words += ", corrected";
  else words += `, ${percent(digit.confidence)}${digit.unsure ? ", unsure" : ""}`;
  if (digit.yours && Array.isArray(digit.model)) {
    words += `, read from your handwriting (the model alone: ${digit.model[0]}, ${percent(digit.model[1])})`;
  }
  return `${words}; show alternatives`;
}

function showDigits(newDigits, reading) {
  digits = newDigits;
  closePanel();
  digitLayer.replaceChildren();
  const labels = [];
  for (const [index, digit] of digits.entries()) {
    const [x, y, w, h] = digit.box;
    const style = styleOf(digit);
    const box = document.createElement("div");
    box.className = `box ${style}`.trim();
    Object.assign(box.style, {
      left: `${x - BOX_PADDING}px`, top: `${y - BOX_PADDING}px`,
      width: `${w + 2 * BOX_PADDING}px`, height: `${h + 2 * BOX_PADDING}px`,
    });
    box.dataset.box = digit.box.join(",");
    const label = document.createElement("button");
    label.type = "button";
    label.className = `label ${style}`.trim();
    label.textContent = labelText(digit);
    label.dataset.full = labelText(digit); // the long form, whichever the layout shows
    if (digit.yours && Array.isArray(digit.model)) {
      label.title = `read from your handwriting; the model alone reads ${digit.model[0]} (${percent(digit.model[1])})`;
    }
    label.setAttribute("aria-label", spokenLabel(digit, index));
    label.setAttribute("aria-expanded", "false");
    label.setAttribute("aria-controls", "alternatives");
    label.addEventListener("click", () => (choosing === digit ? closePanel() : openPanel(digit))); // keyboard
    digitLayer.append(box, label);
    labels.push(label);
  }
  labelSpots = placeLabels(labels);
  // The reading keeps one line of fixed size, so the board never moves under the pen: a long one
  // scrolls in it, showing its end, where the newest digits are; its title has it all.
  readingText.textContent = readingText.title = spoken(reading);
  readingText.scrollLeft = readingText.scrollWidth;
}

function placeLabels(labels) {
  // Beside each digit's box, clear of every box and label, by the desktop board's rule
  // (labels.js); where there is no room, the digit alone inside a corner of its own box.
  const texts = labels.map((label, index) => [labelText(digits[index]), shortLabelText(digits[index])]);
  const sizes = labels.map((label, index) => texts[index].map((text) => {
    label.textContent = text;
    return [label.offsetWidth, label.offsetHeight];
  }));
  const boxes = digits.map(({box: [x, y, w, h]}) => [x - BOX_PADDING, y - BOX_PADDING, w + 2 * BOX_PADDING, h + 2 * BOX_PADDING]);
  const spots = placeLabelRects(boxes, sizes, [0, 0, board.clientWidth, board.clientHeight], LABEL_GAP);
  return labels.map((label, index) => {
    const spot = spots[index];
    label.hidden = spot === null; // only a digit scrolled off the board goes without one
    if (spot === null) return null;
    const [[left, top, width, height], choice] = spot;
    label.textContent = texts[index][choice];
    label.style.left = `${left}px`;
    label.style.top = `${top}px`;
    return [left, top, left + width, top + height];
  });
}

function spoken(reading) {
  if (!digits.length) return "Draw digits below";
  const unsure = digits.filter((digit) => digit.unsure).length;
  return `Reading: ${reading}${unsure ? ` (${unsure} unsure)` : ""}`;
}

// -- a digit's panel: its alternatives, any digit typed, delete ------------------------------------

// The board's press rule decides a pointer's presses on a row (finishPress clicks the row for a
// tap); the click the browser adds to a press (detail 1 and up) would pick a row under a stroke's
// start, or one that a long press opened under the finger. So only clicks with detail 0 count:
// Enter or Space on the row, or the board's own row.click().
function picked(event) {
  return event.detail === 0;
}

function openPanel(digit) {
  closePanel();
  choosing = digit;
  const list = document.createElement("ol");
  for (const [value, probability] of digit.alternatives) {
    const item = document.createElement("li");
    const choice = document.createElement("button");
    choice.type = "button";
    choice.className = "choice";
    choice.textContent = `${value}  ${finePercent(probability)}`;
    choice.addEventListener("click", (event) => picked(event) && correct(digit, value));
    item.append(choice);
    list.append(item);
  }
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "choice delete";
  remove.textContent = "Delete";
  remove.addEventListener("click", (event) => picked(event) && deleteDigit(digit));
  const hint = document.createElement("p");
  hint.className = "panel-hint";
  hint.textContent = "or type 0-9";
  panel.replaceChildren(list, remove, hint);
  panel.dataset.for = digit.box.join(",");
  panel.hidden = false;
  const index = digits.indexOf(digit);
  const label = digitLayer.querySelectorAll(".label")[index];
  if (label) label.setAttribute("aria-expanded", "true");
  // Below the digit's box so that its ink stays in view, else above it, else beside it;
  // always inside the board.
  const [x, y, w, h] = digit.box;
  const [width, height] = [panel.offsetWidth, panel.offsetHeight];
  const [boardWidth, boardHeight] = [board.clientWidth, board.clientHeight];
  let left = x - BOX_PADDING;
  let top = y + h + BOX_PADDING + 4;
  if (top + height > boardHeight - 4) {
    top = y - BOX_PADDING - height - 4;
    if (top < 4) { // no room above or below: beside the box, on the side with more room
      top = y - BOX_PADDING;
      left = boardWidth - (x + w) > x ? x + w + BOX_PADDING + 4 : x - BOX_PADDING - width - 4;
    }
  }
  panel.style.left = `${Math.max(4, Math.min(left, boardWidth - width - 4))}px`;
  panel.style.top = `${Math.max(4, Math.min(top, boardHeight - height - 4))}px`;
}

function closePanel() {
  choosing = null;
  panel.hidden = true;
  delete panel.dataset.for;
  for (const label of digitLayer.querySelectorAll(".label")) label.setAttribute("aria-expanded", "false");
}

new ResizeObserver(fitCanvas).observe(canvas);
fitCanvas();
showExampleCount();
if (restoreBoard()) {
  scheduleInk();
  read();
}
