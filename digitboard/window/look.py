"""How the window looks: its colours, its sizes on a display of any density, the status line's
text, text rendered once, and ink drawn as the board's strokes are. Shared by the board's
picture (digitboard.window.view) and the panels around it (digitboard.window.panels)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pygame

BACKGROUND = (0, 0, 0)
INK = (255, 255, 255)
PLATE = (28, 28, 34)  # behind label text, and the status strip
HOVER = (60, 60, 74)  # behind the chooser's row under the pointer
TEXT = (205, 205, 205)
DIM_TEXT = (140, 140, 150)
MESSAGE_SECONDS = 4.0  # a message shows this long, fading out over its last second
SUBPIXEL_BITS = 2  # OpenCV draws at quarter-pixel precision


@dataclass(frozen=True)
class Look:
    """Sizes on screen, in pixels at `scale` 1 (a display about 1080 pixels high)."""

    scale: float = 1.0
    label_font: int = 24
    status_font: int = 18
    box_line: int = 2  # the width of a box's line
    box_gap: int = 2  # between the ink and its box, and between a box and its label

    def px(self, pixels: float) -> int:
        return max(1, round(pixels * self.scale))


def display_scale(desktop_height: int) -> float:
    """How much larger than at 1080 lines text and lines should be on this display (1 to 3)."""
    return min(max(desktop_height / 1080, 1.0), 3.0)


def ink_width(digit_height: float) -> float:
    """The pen's width for writing of this height: about a twelfth, 2 to 10 pixels (MNIST's
    strokes are an eighth of its digits; a little finer reads better on a screen)."""
    return min(max(digit_height / 12, 2.0), 10.0)


DEFAULT_INK_WIDTH = ink_width(84)  # before anything is written: a mouse digit is 60 to 150 px


@dataclass(frozen=True)
class Status:
    """The status strip's text: the reading on the left, a message or hint on the right."""

    reading: str
    message: str = ""
    message_age: float = 0.0  # seconds since the message was set

    @property
    def message_alpha(self) -> int:
        fade = min(max(MESSAGE_SECONDS - self.message_age, 0.0), 1.0)
        return round(255 * fade)


def draw_polyline(surface: pygame.Surface, points: np.ndarray, width: float,
                  origin: tuple[int, int] = (0, 0)) -> None:
    """Anti-aliased white ink with round ends and joins along `points` ((n, 2) float pixels,
    `origin` at the surface's top-left), drawn by OpenCV straight into the 32-bit surface."""
    assert surface.get_bytesize() == 4, "OpenCV draws into 4-byte pixels"
    if len(points) == 0:
        return
    scaled = np.round((np.clip(points, -1e5, 1e5) - origin) * (1 << SUBPIXEL_BITS)).astype(np.int32)  # (n, 2)
    if len(scaled) > 2:  # points closer than a quarter pixel to the line through them add nothing
        scaled = cv2.approxPolyDP(scaled.reshape(-1, 1, 2), 1.0, False).reshape(-1, 2)
    thickness = max(1, round(width))
    pixels = pygame.surfarray.pixels2d(surface)  # (w, h) uint32, x first; locks the surface
    try:
        height, width_px = surface.get_height(), surface.get_width()
        canvas = pixels.T.view(np.uint8).reshape(height, width_px, 4)  # rows first, 4 bytes a pixel
        if len(scaled) == 1:
            cv2.circle(canvas, tuple(int(v) for v in scaled[0]), max(1, round(width / 2)) << SUBPIXEL_BITS,
                       (255, 255, 255, 255), -1, cv2.LINE_AA, SUBPIXEL_BITS)
        else:
            cv2.polylines(canvas, [scaled], False, (255, 255, 255, 255), thickness, cv2.LINE_AA, SUBPIXEL_BITS)
    finally:
        del pixels


class Texts:
    """Text rendered once: the same text, colours and font give the same surface."""

    def __init__(self) -> None:
        self._rendered: dict[tuple, pygame.Surface] = {}

    def render(self, text: str, color: tuple[int, int, int], font: pygame.font.Font,
               background: tuple[int, int, int] = PLATE) -> pygame.Surface:
        key = (text, color, background, id(font))
        surface = self._rendered.get(key)
        if surface is None:
            if len(self._rendered) > 4096:
                self._rendered.clear()
            surface = self._rendered[key] = font.render(text, True, color, background)
        return surface
