"""Training-time augmentation that imitates mouse drawings: small rotations, shifts, scale,
shear, elastic wobble and thinner or thicker strokes. Pure numpy/OpenCV, labels untouched."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Augmentation:
    """Ranges of the random distortions (degrees, pixels, fractions)."""

    rotation: float = 12.0
    shift: float = 2.0
    scale: tuple[float, float] = (0.85, 1.1)
    shear: float = 0.25
    elastic_probability: float = 0.25
    elastic_alpha: float = 1.5  # pixels of displacement
    elastic_sigma: float = 3.0  # smoothness of the displacement field
    thickness_probability: float = 0.4  # chance of a thinner or thicker stroke

    def apply(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Distort a batch. (N, 28, 28[, 1]) float32 in [0, 1] in, the same shape out."""
        squeeze = images.ndim == 4
        batch = images[..., 0] if squeeze else images
        out = np.empty_like(batch)
        for index, image in enumerate(batch):
            out[index] = self._one(image, rng)
        return out[..., None] if squeeze else out

    def _one(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        size = image.shape[0]
        if rng.random() < self.thickness_probability:
            image = change_thickness(image, thicker=bool(rng.random() < 0.5))
        angle = np.deg2rad(rng.uniform(-self.rotation, self.rotation))
        scale = rng.uniform(*self.scale)
        shear = rng.uniform(-self.shear, self.shear)
        # Rotation and scale about the centre, then horizontal shear (slant), then a shift.
        cos, sin = np.cos(angle) * scale, np.sin(angle) * scale
        linear = np.array([[1, shear], [0, 1]]) @ np.array([[cos, -sin], [sin, cos]])
        centre = np.array([size / 2, size / 2])
        offset = centre - linear @ centre + rng.uniform(-self.shift, self.shift, 2)
        matrix = np.hstack([linear, offset[:, None]]).astype(np.float32)
        if rng.random() < self.elastic_probability:
            image = elastic(image, self.elastic_alpha, self.elastic_sigma, rng)
        warped = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR)
        return np.clip(warped, 0.0, 1.0)


def change_thickness(image: np.ndarray, thicker: bool) -> np.ndarray:
    """Grow or shrink the strokes by about one pixel (grey-level morphology at 2x)."""
    big = cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    big = cv2.dilate(big, kernel) if thicker else cv2.erode(big, kernel)
    small = cv2.resize(big, image.shape[::-1], interpolation=cv2.INTER_AREA)
    # Thinning must not erase a digit: keep the original where too little ink survives.
    return small if thicker or small.sum() > 0.4 * image.sum() else image


def elastic(image: np.ndarray, alpha: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Simard et al.'s elastic distortion: a smooth random displacement field."""
    size = image.shape
    field = rng.uniform(-1, 1, (2, *size)).astype(np.float32)
    dx = cv2.GaussianBlur(field[0], (0, 0), sigma)
    dy = cv2.GaussianBlur(field[1], (0, 0), sigma)
    # Normalise so alpha is the typical displacement in pixels, whatever sigma.
    norm = max(float(np.abs(dx).max()), float(np.abs(dy).max()), 1e-6)
    grid_x, grid_y = np.meshgrid(np.arange(size[1], dtype=np.float32), np.arange(size[0], dtype=np.float32))
    map_x = grid_x + dx * (alpha / norm)
    map_y = grid_y + dy * (alpha / norm)
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderValue=0)


# -- stroke-level variants of handwriting styles MNIST lacks ----------------------------------
# MNIST was written by American writers; many Europeans slash their zeros and start their ones
# with a long flag. Rendering such variants of real pen-drawn 0s and 1s (the digit's own
# strokes plus one more) teaches the model those styles without confusing them with 8 and 7.


def slashed_zero(strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """A zero with a slash through it, lower left to upper right, overshooting the ellipse."""
    points = np.concatenate(strokes)[:, :2]
    low, high = points.min(axis=0), points.max(axis=0)
    centre, height = (low + high) / 2, high[1] - low[1]
    angle = np.deg2rad(rng.uniform(25, 70))  # above the horizontal
    half_length = rng.uniform(0.5, 1.0) * height  # often well past the ellipse
    direction = np.array([np.cos(angle), -np.sin(angle)]) * half_length
    slash = np.linspace(centre - direction, centre + direction, 8)
    return [*strokes, slash if rng.random() < 0.5 else slash[::-1]]  # drawn up or down


# The longest flag flagged_one draws, as a share of the one's height: many continental writers
# start the flag low on the left, as long as the bar (TrainConfig.flag_reach; recipe LF of
# docs/cross-validation.md; earlier recipes drew flags at most 0.65 long).
FLAG_REACH = 1.0


def flagged_one(strokes: list[np.ndarray], rng: np.random.Generator, reach: float = FLAG_REACH) -> list[np.ndarray] | None:
    """A one with a flag: from its top, a line down and to the left, a quarter of its height to
    `reach` of it long. None if the one is not a plain upright bar (it may already have a flag or
    a base)."""
    points = np.concatenate(strokes)[:, :2]
    low, high = points.min(axis=0), points.max(axis=0)
    height = high[1] - low[1]
    if height <= 0 or (high[0] - low[0]) > 0.3 * height:
        return None
    top = points[np.argmin(points[:, 1])]
    angle = np.deg2rad(rng.uniform(25, 60))  # below the horizontal
    length = rng.uniform(0.25, max(0.25, reach)) * height
    end = top + np.array([-np.cos(angle), np.sin(angle)]) * length
    flag = np.linspace(end, top, 6)
    # Writers' habits differ, and the path model reads the pen's order: the flag up into a bar
    # drawn down in one stroke; the flag, then the bar; the bar, then the flag from its top.
    habit = rng.integers(3)
    if habit == 0 and np.array_equal(strokes[0][0, :2], top):
        return [np.vstack([flag[:-1], np.asarray(strokes[0])[:, :2]]), *strokes[1:]]
    if habit == 2:
        return [*strokes, flag[::-1]]
    return [flag, *strokes]


# -- synthetic junk: what a board receives that is no digit -----------------------------------
# Real letters and symbols teach most of "not a digit"; these add what no pen data set holds:
# a stray click, a two-pixel wiggle of the mouse, a scribble. Coordinates are whole board pixels,
# as the mouse gives them. No straight line is made: a line is a 1 (plain_one_strokes).


def line_like(points: np.ndarray, thinness: float = 0.25) -> bool:
    """Whether points lie near one straight line (or one point): their spread across their main
    direction is under `thinness` times their spread along it."""
    centred = points - points.mean(axis=0)
    spreads = np.linalg.svd(centred, compute_uv=False) if len(points) > 1 else np.zeros(2)
    return bool(spreads[-1] <= thinness * spreads[0]) if spreads[0] > 0 else True


def junk_strokes(rng: np.random.Generator) -> list[np.ndarray]:
    """One random piece of junk: a click, a tiny wiggle or a scribble, in board pixels."""
    kind = rng.random()
    origin = rng.integers(50, 400, 2).astype(np.float64)
    if kind < 0.2:  # a click: one point, or two a pixel apart
        points = origin[None] if rng.random() < 0.5 else np.array([origin, origin + rng.integers(-1, 2, 2)])
        return [points]
    if kind < 0.45:  # a wiggle of a few pixels, never a straight line: scaled up, a line is a 1
        while True:
            steps = rng.integers(-2, 3, (int(rng.integers(2, 8)), 2))
            points = origin + np.cumsum(steps, axis=0)
            if not line_like(points):
                return [points]
    # A scribble: a smooth random walk that turns often, in one to three strokes (never, by chance,
    # a straight line).
    while True:
        size = rng.uniform(40, 200)
        strokes = []
        for _ in range(int(rng.integers(1, 4))):
            turns = int(rng.integers(6, 16))
            corners = origin + rng.uniform(-0.5, 0.5, (turns, 2)) * size
            t = np.linspace(0, turns - 1, turns * 6)
            path = np.stack([np.interp(t, np.arange(turns), corners[:, axis]) for axis in (0, 1)], axis=1)
            strokes.append(np.round(path))
        if not line_like(np.concatenate(strokes)):
            return strokes


def plain_one_strokes(rng: np.random.Generator) -> list[np.ndarray]:
    """A plain 1 as a mouse draws it: one straight stroke, mostly top to bottom, within 12 degrees
    of upright, of any length and sampling, in whole board pixels. Pen data sets hold few strokes
    this straight, and without them a ruler-straight bar reads more "not a digit" than 1."""
    length = rng.uniform(15, 400)
    angle = np.deg2rad(rng.uniform(-12, 12))
    top = rng.uniform(50, 400, 2)
    bottom = top + length * np.array([np.sin(angle), np.cos(angle)])
    ends = (top, bottom) if rng.random() < 0.9 else (bottom, top)
    points = np.linspace(*ends, int(rng.integers(2, 61)))
    return [np.round(points + rng.normal(0, 0.4, points.shape))]
