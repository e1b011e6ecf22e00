// A stroke through fewer points, as the eye sees it the same: Douglas-Peucker, which leaves out
// the points lying within `tolerance` pixels of the segment between the points kept around them
// (the segment, not its line: a 1 drawn up and back down keeps its top).
// A mouse of 1000 Hz, or a pen of 240, gives hundreds of points a digit, a few pixels or less
// apart; kept, they fill the server's bound on points in a few digits (digitboard/web/app.py,
// WEB_LIMITS), where the same strokes simplified within half a pixel take tens. Points are
// [x, y, ms]; the first and last are always kept, and those kept keep their order and times.

export function simplified(points, tolerance) {
  if (points.length < 3) return points.slice();
  const keep = new Uint8Array(points.length);
  keep[0] = keep[points.length - 1] = 1;
  const spans = [[0, points.length - 1]]; // a stack, not recursion: a stroke may have thousands of points
  while (spans.length) {
    const [first, last] = spans.pop();
    const [x0, y0] = points[first];
    const dx = points[last][0] - x0;
    const dy = points[last][1] - y0;
    const squared = dx * dx + dy * dy;
    let farthest = -1;
    let most = tolerance;
    for (let index = first + 1; index < last; index++) {
      const [x, y] = points[index];
      const along = squared > 0 ? Math.min(1, Math.max(0, ((x - x0) * dx + (y - y0) * dy) / squared)) : 0;
      const away = Math.hypot(x - x0 - along * dx, y - y0 - along * dy);
      if (away > most) {
        most = away;
        farthest = index;
      }
    }
    if (farthest < 0) continue;
    keep[farthest] = 1;
    spans.push([first, farthest], [farthest, last]);
  }
  return points.filter((_, index) => keep[index]);
}
