"""Live updates for the window: core's ChangeWatcher adapted to a Qt signal, plus the sound and
the tray notification for new submissions."""

from __future__ import annotations

import math
import struct
import sys
import tempfile
import wave
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtWidgets import QSystemTrayIcon, QWidget

from core.console.watch import ChangeWatcher
from core.desk import Desk
from desktop.plain import escaped


class LiveUpdates(QObject):
    changed = Signal()  # emitted from the watcher's thread; queued to the UI thread
    checked = Signal(bool)  # after every poll: whether the store could be read

    def __init__(self, desk: Desk, interval: float = 1.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.desk, self.interval = desk, interval
        self.watcher: ChangeWatcher | None = None

    def start(self) -> None:
        """Watch (again): a stopped watcher's threads are gone, so each start makes a new one."""
        self.stop()
        self.watcher = ChangeWatcher(self.desk, self.changed.emit, interval=self.interval,
                                     on_check=self.checked.emit)
        self.watcher.start()

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None


def _chime() -> Path:
    """A short two-tone chime written once to a temporary WAV (no sound files to ship)."""
    path = Path(tempfile.gettempdir()) / "printdesk-chime.wav"
    if path.exists():
        return path
    rate, frames = 22_050, bytearray()
    for freq, length in ((880.0, 0.12), (1320.0, 0.18)):
        count = int(rate * length)
        for n in range(count):
            fade = min(1.0, (count - n) / (rate * 0.04))
            frames += struct.pack("<h", int(9000 * fade * math.sin(2 * math.pi * freq * n / rate)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return path


class Notifier(QObject):
    """Sound and tray message for new submissions; either can be switched off in Settings."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.sound_on = True
        self.tray_on = True
        self._effect = None
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(window.windowIcon(), window)
            self.tray.setToolTip("PrintDesk")
            self.tray.show()
        self.notified: list[str] = []  # what was announced, for the status bar and tests

    def new_jobs(self, names: list[str]) -> None:
        self._announce(f"New submission from {names[0]}" if len(names) == 1
                       else f"{len(names)} new submissions")

    def student_answered(self, answers: list[tuple[str, str, bool]]) -> None:
        """A student confirmed or declined a quote: staff hear it as they hear new jobs."""
        texts = [f"{name} {'confirmed' if yes else 'declined'} the quote for {ref}"
                 for name, ref, yes in answers]
        self._announce(texts[0] if len(texts) == 1 else f"{len(texts)} students answered "
                       "their quotes")

    def _announce(self, text: str) -> None:
        self.notified.append(text)
        if self.tray_on and self.tray is not None:
            # Linux notification servers may read markup in the message body (some show <img>).
            shown = escaped(text) if sys.platform.startswith("linux") else text
            self.tray.showMessage("PrintDesk", shown, QSystemTrayIcon.MessageIcon.Information, 8000)
        if self.sound_on:
            self._play()

    def set_count(self, new: int) -> None:
        if self.tray is not None:
            self.tray.setToolTip(f"PrintDesk · {new} new" if new else "PrintDesk")

    def _play(self) -> None:
        # Imported late: QtMultimedia loads audio back-ends; only needed once sound is played.
        from PySide6.QtMultimedia import QSoundEffect

        if self._effect is None:
            self._effect = QSoundEffect(self)
            self._effect.setSource(QUrl.fromLocalFile(str(_chime())))
            self._effect.setVolume(0.6)
        self._effect.play()
