// The web board's page: draws ink with Pointer Events, sends the whole session to the server
// when the pen lifts and on every edit, and draws the digits that come back. The server keeps
// no state, so the session travels whole with every request, and with it the user's own
// examples (corrections from earlier sessions), which stay in this browser's localStorage. The
// board itself is kept in sessionStorage, so that a reload shows it as it was.

import {placeLabels as placeLabelRects} from "./labels.js";

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
const {maxActions, maxPoints, maxCorrections, maxExamples, maxExamplePoints, storedExamples: examplesKept} = rules;
// CSS pixels: a press whose points stay this close to where it began is a tap; one that goes
// further is a stroke. The desktop board's own click (digitboard.core.chooser.CLICK_REACH).
const clickReach = rules.clickReach;
const context = canvas.getContext("2d");

// The session in the documented format: actions in order, points [x, y, ms since its start].
let actions = [];
let sessionId = newId(); // examples learned in this session travel as its actions, not as examples
let sessionStart = performance.now(); // a restored board's times go on after its last
let strokes = []; // every stroke of the session, by id: the board numbers its strokes so
let onBoard = []; // ids of the strokes the board still has, in drawing order
// Edits undo can take back, as on the board: {stroke}, {cleared}, {corrected}, {deleted}.
let history = [];
// Each correction made, {ids, label, at, example}: a session started afresh corrects again the
// digits still on the board, so that they stay shown corrected.
let corrections = [];
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

function addStroke(points) {
  const id = strokes.length;
  strokes.push(points);
  onBoard.push(id);
  actions.push({stroke: points});
  history.push({stroke: id});
  scheduleInk();
  read();
}

function undo() {
  if (dropPen()) return; // undo during a stroke drops that stroke, which was never an edit
  const edit = history.pop();
  if (!edit) return;
  closePanel();
  if (edit.cleared) onBoard = edit.cleared; // undoing a clear brings the board back
  else if (edit.deleted) onBoard = [...onBoard, ...edit.deleted].sort((a, b) => a - b);
  else if (edit.corrected) {
    forgetExample(edit.corrected);
    corrections = corrections.filter((made) => made.example !== edit.corrected);
  }
  else onBoard.pop();
  actions.push({key: "ctrl+z"});
  scheduleInk();
  read();
}

function clear() {
  dropPen();
  closePanel();
  if (!onBoard.length) return; // clearing an empty board is no edit
  history.push({cleared: onBoard});
  onBoard = [];
  actions.push({key: "n"});
  scheduleInk();
  read();
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
  closePanel();
  if (!digits.includes(digit)) return;
  const at = aimAt(digit);
  actions.push({correct: {at, label}});
  const example = {id: newId(), session: sessionId, label,
                   strokes: resampled(digit.strokes.map((id) => strokes[id]), maxExamplePoints)};
  corrections.push({ids: [...digit.strokes], label, at, example: example.id});
  rememberExample(example);
  history.push({corrected: example.id});
  read();
}

function deleteDigit(digit) {
  closePanel();
  if (!digits.includes(digit)) return;
  actions.push({delete: {at: aimAt(digit)}});
  const gone = new Set(digit.strokes);
  history.push({deleted: onBoard.filter((id) => gone.has(id))});
  onBoard = onBoard.filter((id) => !gone.has(id));
  scheduleInk();
  read();
}

function pointCount() {
  return actions.reduce((count, action) => count + (action.stroke ? action.stroke.length : 0), 0);
}

function editCount() {
  return actions.filter((action) => action.correct || action.delete).length;
}

function compactSession() {
  // A long-used page would outgrow the server's bounds on a session. Its strokes still on the
  // board, drawn again in order, make the same board (undo takes back the last edit first, so
  // each kept stroke met exactly the kept strokes before it), and each corrected digit still on
  // it is corrected again, so it stays shown corrected; older undo history is lost, and this
  // session's corrections go on teaching as the user's examples.
  if (actions.length <= maxActions / 2 && pointCount() <= maxPoints / 2 && editCount() <= maxCorrections / 2) return;
  const kept = new Set(onBoard);
  const latest = new Map(); // by the digit's strokes: its last correction
  for (const made of corrections) {
    if (!made.ids.every((id) => kept.has(id))) continue;
    latest.delete(made.ids.join(","));
    latest.set(made.ids.join(","), made);
  }
  const renumbered = new Map(onBoard.map((id, index) => [id, index]));
  corrections = [...latest.values()].slice(-(maxCorrections - 1)) // room for the next; older ones teach as examples
    .map((made) => ({...made, ids: made.ids.map((id) => renumbered.get(id))}));
  strokes = onBoard.map((id) => strokes[id]);
  onBoard = strokes.map((_, id) => id);
  actions = [...strokes.map((points) => ({stroke: points})),
             ...corrections.map(({at, label}) => ({correct: {at, label}}))];
  history = onBoard.map((id) => ({stroke: id}));
  sessionId = newId();
}

function resampled(drawn, most) {
  // A drawing of at most `most` points in all, each stroke keeping its ends and a share of the
  // points as even along its length as its own points allow: the form the server accepts.
  const total = drawn.reduce((count, points) => count + points.length, 0);
  if (total <= most) return drawn.map((points) => points.map(([x, y]) => [x, y]));
  return drawn.map((points) => {
    const share = Math.max(Math.min(points.length, 2), Math.floor((points.length / total) * most));
    if (share >= points.length) return points.map(([x, y]) => [x, y]);
    const picked = [];
    for (let i = 0; i < share; i++) {
      const [x, y] = points[Math.round((i * (points.length - 1)) / Math.max(1, share - 1))];
      picked.push([x, y]);
    }
    return picked;
  });
}

// -- the board kept over a reload of the page -------------------------------------------------------

function saveBoard() {
  try {
    const last = actions.reduce((time, action) => (action.stroke ? action.stroke[action.stroke.length - 1][2] : time), 0);
    sessionStorage.setItem(BOARD_KEY, JSON.stringify({actions, strokes, onBoard, history, corrections, sessionId, last}));
  } catch { /* storage off or full: a reload starts a fresh board */ }
}

function restoreBoard() {
  // Only a reload (or back and forward) brings the board back; a new visit starts a fresh one.
  const [navigation] = performance.getEntriesByType("navigation");
  if (!navigation || navigation.type === "navigate") return false;
  try {
    const kept = JSON.parse(sessionStorage.getItem(BOARD_KEY) || "null");
    if (!kept || !Array.isArray(kept.actions) || !kept.actions.length) return false;
    ({actions, strokes, onBoard, history, sessionId} = kept);
    corrections = Array.isArray(kept.corrections) ? kept.corrections : [];
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

function rememberExample(example) {
  storeExamples([...storedExamples(), example]);
  showExampleCount();
}

function forgetExample(id) {
  storeExamples(storedExamples().filter((example) => example.id !== id));
  showExampleCount();
}

function examplesToSend() {
  // Corrections of earlier sessions; this session's own travel as its `correct` actions.
  return storedExamples().filter((example) => example.session !== sessionId).slice(-maxExamples)
    .map(({label, strokes: drawn}) => ({label, strokes: drawn}));
}

function forgetHandwriting() {
  try {
    localStorage.removeItem(EXAMPLES_KEY);
  } catch { /* nothing was kept */ }
  sessionId = newId(); // nothing learned before this moment travels again
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

function say(message) {
  // The status line is one line of fixed size (a longer message is cut short): its title has it all.
  statusText.textContent = statusText.title = message;
}

async function read() {
  compactSession();
  saveBoard();
  const number = ++requestsSent;
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
    if (number > newestShown) say(`Not read: ${error.message}`);
    return;
  }
  if (number <= newestShown) return; // a newer answer is already on the board
  newestShown = number;
  board.dataset.answered = String(number); // how many requests the board shows the answer of (for tests)
  say(answer.notes ? `Some of your kept corrections were left out: ${answer.notes[0]}` : "");
  showDigits(answer.digits, answer.reading);
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
