"""What the window shows around the board's picture: the status strip below it (what the board
reads, a message or how to see the keys) and the help panel of the keys (F1)."""

from __future__ import annotations

import pygame

from digitboard.core.digits import Mark
from digitboard.core.keys import help_lines
from digitboard.window.look import DIM_TEXT, PLATE, TEXT, Look, Status, Texts

HELP_LINES = help_lines()  # the pointer, then the keys (digitboard.core.keys)
KEY_COLOR = Mark.UNSURE.color  # the keys' names in the help panel


class StatusStrip:
    """The strip along the window's bottom, drawn again only when what it says changes."""

    def __init__(self, look: Look, texts: Texts) -> None:
        self.look = look
        self.texts = texts
        self.font = pygame.font.Font(None, look.px(look.status_font))
        self.shown: tuple[str, str] = ("", "")  # the left and right text, as shown
        self._strip: pygame.Surface | None = None
        self._key: tuple | None = None

    def height(self) -> int:
        return self.font.get_linesize() + self.look.px(8)

    def draw(self, surface: pygame.Surface, status: Status) -> None:
        width, height = surface.get_size()
        key = (status.reading, status.message if status.message_alpha > 0 else "", status.message_alpha, width)
        if key != self._key or self._strip is None:
            self._strip = self._render(width, status)
            self._key = key
        surface.blit(self._strip, (0, height - self.height()))

    def _render(self, width: int, status: Status) -> pygame.Surface:
        """What the board reads on the left; a message, or how to see the keys, on the right."""
        strip = pygame.Surface((width, self.height()), 0, 32)
        strip.fill(PLATE)
        margin = self.look.px(8)
        y = (strip.get_height() - self.font.get_linesize()) // 2
        message = status.message if status.message_alpha > 0 else ""
        right_text = message or "F1: keys"
        left_text = f"reads {status.reading}" if status.reading else "draw digits with the mouse"
        room = width - 3 * margin
        right_text = self._fit(right_text, room - min(self.font.size(left_text)[0], room // 3))
        right = self.texts.render(right_text, TEXT if message else DIM_TEXT, self.font)
        if message:
            right = right.copy()
            right.set_alpha(status.message_alpha)
        left_text = self._fit(left_text, room - right.get_width())
        strip.blit(self.texts.render(left_text, TEXT, self.font), (margin, y))
        strip.blit(right, (width - margin - right.get_width(), y))
        self.shown = (left_text, right_text)
        return strip

    def _fit(self, text: str, width: int) -> str:
        """`text`, cut short with "…" to fit `width` pixels of the strip's font."""
        if self.font.size(text)[0] <= width:
            return text
        low, high = 0, len(text)  # the longest start of the text that fits, found by halving
        while low < high:
            middle = (low + high + 1) // 2
            if self.font.size(text[:middle] + "…")[0] <= width:
                low = middle
            else:
                high = middle - 1
        return text[:low] + "…" if low else ""


class HelpPanel:
    """The keys, in a panel in the middle of the board; in smaller type if the window is small."""

    def __init__(self, look: Look) -> None:
        self.look = look
        self.rect: pygame.Rect | None = None  # where it was last drawn
        self._panel: pygame.Surface | None = None  # made for a board of _area
        self._area: tuple[int, int] | None = None
        self._fonts: dict[int, pygame.font.Font] = {}

    def draw(self, surface: pygame.Surface, area: pygame.Rect) -> None:
        if self._panel is None or self._area != area.size:
            size = self.look.px(self.look.status_font)
            panel = self._render(size)
            while size > 10 and (panel.get_width() > area.width or panel.get_height() > area.height):
                size -= 1
                panel = self._render(size)
            self._panel, self._area = panel, area.size
        rect = self._panel.get_rect(center=area.center)
        rect.clamp_ip(area)
        surface.blit(self._panel, rect)
        self.rect = rect

    def _render(self, font_size: int) -> pygame.Surface:
        font = self._fonts.get(font_size) or self._fonts.setdefault(font_size, pygame.font.Font(None, font_size))
        margin = self.look.px(10)
        keys = [font.render(key, True, KEY_COLOR, PLATE) for key, _ in HELP_LINES]
        meanings = [font.render(meaning, True, TEXT, PLATE) for _, meaning in HELP_LINES]
        key_width = max(k.get_width() for k in keys)
        panel = pygame.Surface((key_width + max(m.get_width() for m in meanings) + 3 * margin,
                                len(HELP_LINES) * font.get_linesize() + 2 * margin), 0, 32)
        panel.fill(PLATE)
        pygame.draw.rect(panel, DIM_TEXT, panel.get_rect(), 1)
        for row, (key, meaning) in enumerate(zip(keys, meanings)):
            y = margin + row * font.get_linesize()
            panel.blit(key, (margin, y))
            panel.blit(meaning, (2 * margin + key_width, y))
        return panel
