// Where each digit's label goes: a line-by-line port of digitboard/core/labels.py, so that the
// page and the desktop board place labels by one rule (the tests run both on the same boards and
// require the same places). Rectangles are [x, y, w, h] in whole pixels; sizes are [w, h].
// Only what differs: the page lays out every label afresh, so there is no `kept`, and a plain
// list stands in for the desktop's grid of cells (same answers, a page holds few digits).

export function overlap(a, b) {
  return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
}

class Rects {
  constructor() { this.entries = []; }
  add(rect, owner = -1) { this.entries.push([rect, owner]); }
  hits(rect) { return this.entries.some(([other]) => overlap(rect, other)); }
  owners(rect) { return new Set(this.entries.filter(([other]) => overlap(rect, other)).map(([, owner]) => owner)); }
}

function distance(a, b) {
  // The shortest distance between two rectangles' pixels (0 where they overlap or touch).
  const dx = Math.max(0, a[0] - (b[0] + b[2]), b[0] - (a[0] + a[2]));
  const dy = Math.max(0, a[1] - (b[1] + b[3]), b[1] - (a[1] + a[3]));
  return Math.sqrt(dx * dx + dy * dy);
}

function between(rect, a, b) {
  // Whether `rect` lies between `a` and `b`: one wholly above it and the other below, or one to
  // its left and the other to its right.
  const apart = (first, second, axis) => first[axis] + first[axis + 2] <= rect[axis] && second[axis] >= rect[axis] + rect[axis + 2];
  return [0, 1].some((axis) => apart(a, b, axis) || apart(b, a, axis));
}

function belongsTo(rect, owner, boxes, shown) {
  // Whether a label at `rect` plainly belongs to box `owner`: no other shown box is nearer, and
  // none as near on its far side (a label between two lines of writing, as near the digit below
  // as the one above, would read as either's).
  const own = distance(rect, boxes[owner]);
  return boxes.every((box, other) => {
    if (other === owner || !shown[other]) return true;
    const near = distance(rect, box);
    return !(near < own || (near === own && between(rect, boxes[owner], box)));
  });
}

function candidates([x, y, w, h], [labelW, labelH], gap) {
  // Beside the box, best first: above it, below it, to its right, to its left; each flush with
  // the box's left edge, then its right edge.
  const above = y - labelH - gap, below = y + h + gap;
  const right = x + w + gap, left = x - labelW - gap;
  const flushRight = x + w - labelW;
  return [[x, above], [x, below], [right, y], [left, y], [flushRight, above], [flushRight, below],
    [right, y + h - labelH], [left, y + h - labelH]];
}

function inside(corner, size, [areaX, areaY, areaW, areaH]) {
  // The label's rectangle moved the least to lie inside the area; null if it cannot fit.
  if (size[0] > areaW || size[1] > areaH) return null;
  const x = Math.min(Math.max(corner[0], areaX), areaX + areaW - size[0]);
  const y = Math.min(Math.max(corner[1], areaY), areaY + areaH - size[1]);
  return [x, y, size[0], size[1]];
}

function greedy(boxes, options, area, gap) {
  const taken = new Rects();
  const shown = boxes.map((box) => overlap(box, area));
  boxes.forEach((box, i) => { if (shown[i]) taken.add(box); });
  const placed = [];
  boxes.forEach((box, i) => {
    let spot = null;
    if (shown[i]) {
      search: for (const [choice, size] of options[i].entries()) {
        for (const corner of candidates(box, size, gap)) {
          const rect = inside(corner, size, area);
          if (rect !== null && !taken.hits(rect) && belongsTo(rect, i, boxes, shown)) {
            spot = [rect, choice];
            break search;
          }
        }
      }
    }
    if (spot !== null) taken.add(spot[0]);
    placed.push(spot);
  });
  return placed;
}

function insideCorners([x, y, w, h], size) {
  return [[x, y], [x + w - size[0], y], [x, y + h - size[1]], [x + w - size[0], y + h - size[1]]];
}

function inCorners(boxes, options, area, placed) {
  // A digit left without a label gets its shortest one inside a corner of its own box: the
  // first corner clear of the other labels, else the top-left one.
  const labels = new Rects();
  for (const spot of placed) if (spot !== null) labels.add(spot[0]);
  placed = [...placed];
  boxes.forEach((box, i) => {
    if (placed[i] !== null || !overlap(box, area)) return;
    const sizes = options[i];
    const size = sizes[sizes.length - 1];
    const rects = insideCorners(box, size).map((corner) => inside(corner, size, area)).filter((rect) => rect !== null);
    if (!rects.length) return;
    const rect = rects.find((each) => !labels.hits(each)) || rects[0];
    placed[i] = [rect, sizes.length - 1];
    labels.add(rect);
  });
  return placed;
}

export function placeLabels(boxes, options, area, gap = 2, rounds = 3) {
  // For each box (in reading order), [label rectangle, which of its sizes it took], or null for
  // a box outside the area. See digitboard/core/labels.py place_labels for the rule.
  let current = options.map((sizes) => [...sizes]);
  let best = greedy(boxes, current, area, gap);
  let placed = best;
  const missing = (layout) => layout.filter((spot) => spot === null).length;
  for (let round = 0; round < rounds; round++) {
    const labels = new Rects();
    placed.forEach((spot, j) => { if (spot !== null && current[j].length > 1) labels.add(spot[0], j); });
    const inTheWay = new Set();
    boxes.forEach((box, i) => {
      if (placed[i] !== null || !overlap(box, area)) return;
      const shortest = current[i][current[i].length - 1];
      for (const corner of candidates(box, shortest, gap)) {
        const rect = inside(corner, shortest, area);
        if (rect !== null) for (const owner of labels.owners(rect)) inTheWay.add(owner);
      }
    });
    if (!inTheWay.size) break;
    for (const j of inTheWay) current[j] = current[j].slice(-1);
    const rerun = greedy(boxes, current, area, gap);
    placed = rerun.map((spot, i) => (spot === null ? null : [spot[0], spot[1] + options[i].length - current[i].length]));
    if (missing(placed) < missing(best)) best = placed;
  }
  return inCorners(boxes, options, area, best);
}
