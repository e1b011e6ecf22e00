// The web board's page: draws ink with Pointer Events, sends the whole session to the server
// when the pen lifts and on undo and clear, and draws the digits that come back. The server
// keeps no state, so the session travels whole with every request.

const INK_WIDTH = 10; // CSS pixels; recognition renders from the points, not from the screen
const BOX_PADDING = INK_WIDTH / 2 + 2; // boxes are around the ink's points, so leave room for its width

const board = document.getElementById("board");
const canvas = document.getElementById("ink");
const digitLayer = document.getElementById("digits");
const alternatives = document.getElementById("alternatives");
const readingText = document.getElementById("reading");
const statusText = document.getElementById("status");
const readUrl = board.dataset.readUrl;
// The server's bounds on a session; the page starts afresh well before reaching them.
const maxActions = Number(board.dataset.maxActions);
const maxPoints = Number(board.dataset.maxPoints);
const context = canvas.getContext("2d");

// The session in the documented format: actions in order, points [x, y, ms since its start].
let actions = [];
const sessionStart = performance.now();
let onBoard = []; // strokes the board still has (undo and clear remove them), as point lists
// Edits undo can take back, as on the board: {stroke} or {cleared: the strokes it took off}.
let history = [];
let digits = []; // the last answer's digits
let pen = null; // the stroke being drawn: {pointerId, points}
let requestsSent = 0; // answers to older requests than the newest shown are dropped
let newestShown = 0;
let inkScheduled = false;

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
  for (const points of onBoard) drawStroke(points);
  if (pen) drawStroke(pen.points);
}

function scheduleInk() {
  if (!inkScheduled) {
    inkScheduled = true;
    requestAnimationFrame(drawInk);
  }
}

// -- pointer input: mouse, pen and finger alike --------------------------------------------------

function pointOf(event) {
  const rect = canvas.getBoundingClientRect();
  const x = Math.round((event.clientX - rect.left) * 10) / 10;
  const y = Math.round((event.clientY - rect.top) * 10) / 10;
  return [x, y, Math.max(0, Math.round(event.timeStamp - sessionStart))];
}

function addPoint(point) {
  const last = pen.points[pen.points.length - 1];
  point[2] = Math.max(point[2], last[2]); // a stroke's times never go back (the format requires it)
  if (last[0] !== point[0] || last[1] !== point[1]) pen.points.push(point); // equal points count once
}

canvas.addEventListener("pointerdown", (event) => {
  if (pen || (event.pointerType === "mouse" && event.button !== 0)) return; // one stroke at a time
  event.preventDefault();
  canvas.setPointerCapture(event.pointerId); // keep the stroke when the pointer leaves the canvas
  hideAlternatives();
  pen = {pointerId: event.pointerId, points: [pointOf(event)]};
  scheduleInk();
});

canvas.addEventListener("pointermove", (event) => {
  if (!pen || event.pointerId !== pen.pointerId) return;
  // Coalesced events carry every position the device reported since the last frame.
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
  for (const each of events.length ? events : [event]) addPoint(pointOf(each));
  scheduleInk();
});

canvas.addEventListener("pointerup", (event) => {
  if (!pen || event.pointerId !== pen.pointerId) return;
  addPoint(pointOf(event));
  const points = pen.points;
  pen = null;
  actions.push({stroke: points});
  onBoard.push(points);
  history.push({stroke: points});
  scheduleInk();
  read();
});

canvas.addEventListener("pointercancel", (event) => {
  // The browser took the pointer away (e.g. a system gesture): drop the unfinished stroke.
  if (pen && event.pointerId === pen.pointerId) {
    pen = null;
    scheduleInk();
  }
});

// -- undo and clear: the same edits as on the desktop board ----------------------------------------

function undo() {
  if (pen) { // undo during a stroke drops that stroke, which was never an edit
    pen = null;
    scheduleInk();
    return;
  }
  const edit = history.pop();
  if (!edit) return;
  if (edit.cleared) onBoard = edit.cleared; // undoing a clear brings the board back
  else onBoard.pop();
  actions.push({key: "ctrl+z"});
  scheduleInk();
  read();
}

function clear() {
  pen = null;
  if (!onBoard.length) { // clearing an empty board is no edit
    scheduleInk();
    return;
  }
  history.push({cleared: onBoard});
  onBoard = [];
  actions.push({key: "n"});
  scheduleInk();
  read();
}

function pointCount() {
  return actions.reduce((count, action) => count + (action.stroke ? action.stroke.length : 0), 0);
}

function compactSession() {
  // A long-used page would outgrow the server's bounds on a session. Its strokes still on the
  // board, drawn again in order, make the same board (undo takes back the last edit first, so
  // each kept stroke met exactly the kept strokes before it); only older undo history is lost.
  if (actions.length <= maxActions / 2 && pointCount() <= maxPoints / 2) return;
  actions = onBoard.map((points) => ({stroke: points}));
  history = onBoard.map((points) => ({stroke: points}));
}

document.getElementById("undo").addEventListener("click", undo);
document.getElementById("clear").addEventListener("click", clear);

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    hideAlternatives();
  } else if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "z") {
    event.preventDefault();
    undo();
  } else if (event.key === "Backspace" && !event.ctrlKey && !event.metaKey && !event.altKey) {
    event.preventDefault();
    undo();
  } else if (event.key.toLowerCase() === "n" && !event.ctrlKey && !event.metaKey && !event.altKey) {
    clear();
  }
});

// -- asking the server -------------------------------------------------------------------------

async function read() {
  compactSession();
  const number = ++requestsSent;
  const session = {size: boardSize(), actions};
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
    if (number > newestShown) statusText.textContent = `Not read: ${error.message}`;
    return;
  }
  if (number <= newestShown) return; // a newer answer is already on the board
  newestShown = number;
  statusText.textContent = "";
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

function showDigits(newDigits, reading) {
  digits = newDigits;
  hideAlternatives();
  digitLayer.replaceChildren();
  const placed = []; // labels already placed, as [left, top, right, bottom]
  for (const [index, digit] of digits.entries()) {
    const [x, y, w, h] = digit.box;
    const box = document.createElement("div");
    box.className = digit.unsure ? "box unsure" : "box";
    Object.assign(box.style, {
      left: `${x - BOX_PADDING}px`, top: `${y - BOX_PADDING}px`,
      width: `${w + 2 * BOX_PADDING}px`, height: `${h + 2 * BOX_PADDING}px`,
    });
    box.dataset.box = digit.box.join(",");
    const label = document.createElement("button");
    label.type = "button";
    label.className = digit.unsure ? "label unsure" : "label";
    label.textContent = `${digit.label}${digit.unsure ? "?" : ""} ${percent(digit.confidence)}`;
    label.setAttribute("aria-label", `digit ${index + 1}: ${digit.label}, ${percent(digit.confidence)}${digit.unsure ? ", unsure" : ""}; show alternatives`);
    label.setAttribute("aria-expanded", "false");
    label.setAttribute("aria-controls", "alternatives");
    label.addEventListener("click", () => showAlternatives(digit, label));
    digitLayer.append(box, label);
    placeLabel(label, digit.box, placed);
  }
  readingText.textContent = spoken(reading);
}

function placeLabel(label, [x, y, , h], placed) {
  // Above the box's top-left corner; raised over any label it would cover (a label is often
  // wider than its digit), or put below the box when there is no room above.
  const width = label.offsetWidth;
  const height = label.offsetHeight;
  const left = Math.max(0, x - BOX_PADDING);
  const covers = (top) => placed.some(([l, t, r, b]) => left < r && left + width > l && top < b && top + height > t);
  let top = y - BOX_PADDING - height;
  while (top >= 0 && covers(top)) top -= height;
  if (top < 0) {
    top = y + h + BOX_PADDING;
    while (covers(top)) top += height;
  }
  label.style.left = `${left}px`;
  label.style.top = `${top}px`;
  placed.push([left, top, left + width, top + height]);
}

function spoken(reading) {
  if (!digits.length) return "Draw digits below";
  const unsure = digits.filter((digit) => digit.unsure).length;
  return `Reading: ${reading}${unsure ? ` (${unsure} unsure)` : ""}`;
}

function showAlternatives(digit, label) {
  if (!alternatives.hidden && alternatives.dataset.for === digit.box.join(",")) {
    hideAlternatives();
    return;
  }
  hideAlternatives();
  const list = document.createElement("ol");
  for (const [value, probability] of digit.alternatives) {
    const item = document.createElement("li");
    item.textContent = `${value}  ${finePercent(probability)}`;
    list.append(item);
  }
  alternatives.replaceChildren(list);
  alternatives.dataset.for = digit.box.join(",");
  alternatives.hidden = false;
  label.setAttribute("aria-expanded", "true");
  // Below the digit's box so that the ink stays in view, else above it; inside the board.
  const [x, y, , h] = digit.box;
  const maxLeft = board.clientWidth - alternatives.offsetWidth - 4;
  let top = y + h + BOX_PADDING + 4;
  if (top + alternatives.offsetHeight > board.clientHeight - 4) top = y - BOX_PADDING - alternatives.offsetHeight - 32;
  alternatives.style.left = `${Math.max(4, Math.min(x - BOX_PADDING, maxLeft))}px`;
  alternatives.style.top = `${Math.max(4, top)}px`;
}

function hideAlternatives() {
  alternatives.hidden = true;
  delete alternatives.dataset.for;
  for (const label of digitLayer.querySelectorAll(".label")) label.setAttribute("aria-expanded", "false");
}

new ResizeObserver(fitCanvas).observe(canvas);
fitCanvas();
