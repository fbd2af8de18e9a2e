"""Student text on screen is always text, never markup.

Qt shows any string that looks like HTML as rich text: a file name such as
`<img src=/dev/zero>.stl` once made the console read /dev/zero until it died. Labels showing
anything typed by a student (or by staff, or read from a file) are made with `plain_label`;
tooltips, which have no plain-text switch, get their text escaped inside a rich-text wrapper by
`plain_tip`, so every character shows as itself.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget


def plain_label(text: str = "", parent: QWidget | None = None, *, wrap: bool = True,
                selectable: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setText(text)
    return label


def plain_tip(text: str) -> str:
    """A tooltip that shows `text` literally (line breaks kept)."""
    return ("<p style='white-space:pre-wrap'>" + html.escape(text).replace("\n", "<br>")
            + "</p>")


def escaped(text: str) -> str:
    """For texts handed to something outside Qt that may read markup (a desktop notification)."""
    return html.escape(text, quote=False)
