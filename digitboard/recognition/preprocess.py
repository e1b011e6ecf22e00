"""From a digit's pen strokes to the model's 28x28 input, the way MNIST itself was made.

MNIST digits were fitted into a 20x20 box keeping their aspect ratio, anti-aliased, and placed in
a 28x28 field with their centre of mass at the centre. We render the stroke points (never screen
pixels, which carry overlays) at four times the resolution with a stroke width proportional to
the digit's size, then area-downsample, so a digit drawn 90 or 260 pixels tall looks the same.

Drawing costs about a microsecond and a half a point. A handwritten digit has tens of points (the
UNIPEN digits at most 96); a 1000 Hz mouse gives hundreds, and a scribble thousands, which the
board may render again at every stroke that meets it. So a drawing of more than RENDER_POINTS
points is drawn through fewer, the same whoever renders it, placed and scaled by all its points:
first without the points that lie within SIMPLIFY_PIXELS of the path the others make
(Douglas-Peucker, cv2.approxPolyDP, on the pixel grid the strokes are drawn on), which a dense
pen path passes unchanged to the eye; then, if that is still too many (a scribble), through
RENDER_POINTS of them spread evenly along each stroke (`thinned`).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from digitboard.recognition.box import box

IMAGE_SIZE = 28
BOX_SIZE = 20  # MNIST's size-normalised box, in pixels of the 28x28 image
STROKE_WIDTH = 2.5  # in pixels of the 28x28 image; MNIST strokes are about 2 to 3 wide
SUPERSAMPLE = 4  # render at 4x and area-downsample: anti-aliasing with quarter-pixel width steps
_FIXED_POINT_BITS = 4  # sub-pixel precision of cv2.polylines coordinates
RENDER_POINTS = 300  # a drawing of more points is drawn through fewer (above)
SIMPLIFY_PIXELS = 1 / 16  # in pixels of the 28x28 image: a point this near the path of the others is left out

Stroke = np.ndarray  # (n, 2) float, board pixels (x, y), y downwards


def digit_image(strokes: Sequence[Stroke], stroke_width: float = STROKE_WIDTH) -> np.ndarray:
    """Render one digit's strokes as an MNIST-style image.

    Returns (28, 28) float32 in [0, 1], white ink on black. Strokes of a single point are
    drawn as dots; a digit whose points all coincide becomes a small dot in the centre.
    """
    if not strokes or any(len(stroke) == 0 for stroke in strokes):
        raise ValueError("a digit needs at least one stroke, and every stroke at least one point")
    points = np.concatenate([np.asarray(stroke, dtype=np.float64)[:, :2] for stroke in strokes])
    if not np.all(np.isfinite(points)):
        raise ValueError("stroke points must be finite numbers")
    low, high = box(points)
    extent = float((high - low).max())
    # Scale so that the ink, stroke width included, spans BOX_SIZE along its longer side.
    scale = (BOX_SIZE - stroke_width) / extent if extent > 0 else 1.0
    hi_res = IMAGE_SIZE * SUPERSAMPLE
    centre = (low + high) / 2
    thickness = max(1, round(stroke_width * SUPERSAMPLE))
    canvas = np.zeros((hi_res, hi_res), np.uint8)
    to_fixed = SUPERSAMPLE * (1 << _FIXED_POINT_BITS)
    fixed = np.round(((points - centre) * scale + IMAGE_SIZE / 2) * to_fixed).astype(np.int32)
    lengths = np.array([len(stroke) for stroke in strokes])
    if len(fixed) > RENDER_POINTS:  # drawn through fewer points, placed as the whole drawing is
        fixed, lengths = _fewer_points(fixed, lengths, SIMPLIFY_PIXELS * to_fixed)
    starts = np.cumsum(lengths) - lengths
    dots = np.all(np.minimum.reduceat(fixed, starts) == np.maximum.reduceat(fixed, starts), axis=1)
    lines: list[np.ndarray] = []  # strokes drawn in one call, in order: where they overlap, order counts
    for stroke, dot in zip(pieces(fixed, lengths), dots):
        if not dot:
            lines.append(stroke)
            continue
        if lines:
            cv2.polylines(canvas, lines, False, 255, thickness, cv2.LINE_AA, _FIXED_POINT_BITS)
            lines = []
        cv2.circle(canvas, tuple(int(v) for v in stroke[0]), thickness * (1 << _FIXED_POINT_BITS) // 2,
                   255, -1, cv2.LINE_AA, _FIXED_POINT_BITS)
    if lines:
        cv2.polylines(canvas, lines, False, 255, thickness, cv2.LINE_AA, _FIXED_POINT_BITS)
    canvas = _centre_of_mass_shift(canvas)
    small = cv2.resize(canvas, (IMAGE_SIZE, IMAGE_SIZE), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32) / 255.0  # (28, 28) float32 in [0, 1]


def _fewer_points(fixed: np.ndarray, lengths: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """A drawing's points on the drawing grid (int32, strokes one after another, of `lengths`)
    through at most about RENDER_POINTS of them (module docstring): each stroke simplified within
    `tolerance` of its path (a stroke back to where it began included), then thinned if still too
    many."""
    strokes = pieces(fixed, lengths)
    simplified = [stroke if len(stroke) < 3 else cv2.approxPolyDP(stroke, tolerance, False).reshape(-1, 2)
                  for stroke in strokes]
    return thinned(np.concatenate(simplified), np.array([len(stroke) for stroke in simplified]), RENDER_POINTS)


def pieces(points: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    """`points` cut into consecutive pieces of `lengths` (views): np.split's result, without the
    axis swaps it costs a piece (a drawing of 70 strokes: 0.13 ms against 0.02)."""
    ends = np.cumsum(lengths).tolist()
    return [points[start:end] for start, end in zip([0, *ends[:-1]], ends)]


def thinned(points: np.ndarray, lengths: np.ndarray, most: int) -> tuple[np.ndarray, np.ndarray]:
    """A drawing of about `most` points in all, from its points (all strokes one after another)
    and its strokes' lengths: each stroke keeps its ends and a share of its points as even along
    it as its own points allow (never fewer than its two ends, so a drawing of many strokes may
    keep up to two points a stroke more than `most`). Returns the points kept and the strokes' new
    lengths; a drawing of at most `most` points is given back as it is."""
    lengths = np.asarray(lengths, np.int64)
    total = int(lengths.sum())
    if total <= most:
        return points, lengths
    shares = np.minimum(lengths, np.maximum(np.minimum(lengths, 2), lengths * most // total))
    # The k-th point kept of a stroke is its point nearest k/(share - 1) of the way along its
    # points; a stroke kept whole keeps them all (then the rule picks each point once, in order).
    step = np.repeat(np.arange(len(shares)), shares)
    k = np.arange(int(shares.sum())) - np.repeat(np.cumsum(shares) - shares, shares)
    picked = np.floor(k * (lengths[step] - 1) / np.maximum(1, shares[step] - 1) + 0.5).astype(np.int64)
    return points[picked + (np.cumsum(lengths) - lengths)[step]], shares


def _centre_of_mass_shift(image: np.ndarray) -> np.ndarray:
    """Translate the image by whole pixels so that its centre of mass is at its centre."""
    moments = cv2.moments(image, binaryImage=False)
    if moments["m00"] == 0:
        return image
    size = image.shape[0]
    # Whole pixels (at 4x, a quarter pixel of the 28x28 image): no extra blur.
    dx = round(size / 2 - moments["m10"] / moments["m00"])
    dy = round(size / 2 - moments["m01"] / moments["m00"])
    return shifted(image, dx, dy)


def shifted(image: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """`image` moved right by dx and down by dy whole pixels, black where nothing moved in:
    what cv2.warpAffine gives for a whole-pixel translation, by slicing (five times faster)."""
    height, width = image.shape
    out = np.zeros_like(image)
    if abs(dx) < width and abs(dy) < height:
        out[max(dy, 0):height + min(dy, 0), max(dx, 0):width + min(dx, 0)] = \
            image[max(-dy, 0):height + min(-dy, 0), max(-dx, 0):width + min(-dx, 0)]
    return out
