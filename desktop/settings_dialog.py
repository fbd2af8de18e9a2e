"""Settings: this PC's console (sound, notifications, idle lock, time zone), its slicers per
file type, the lab's email server (desktop/email_settings.py), and, read-only, where the data
lives."""

from __future__ import annotations

import functools
import zoneinfo
from dataclasses import replace
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.console.services import ConsoleServices
from core.console.slicers import Slicer
from core.desk import Desk
from core.domain.errors import PrintDeskError, ValidationError
from core.domain.filetypes import OPENABLE_TYPES
from core.ops.health import safe_url
from desktop.email_settings import EmailSettings
from desktop.plain import plain_label
from desktop.style import ALARM
from desktop.tasks import TaskRunner


@functools.cache
def _zones() -> list[str]:
    """Listing the time-zone database reads ~600 files: once per run, not per dialog."""
    return sorted(zoneinfo.available_timezones())


class SettingsDialog(QDialog):
    def __init__(self, parent: QWidget | None, desk: Desk, services: ConsoleServices,
                 detected: list[Slicer] | None = None, runner: TaskRunner | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(760)
        self.services = services
        settings = services.settings
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        self.tabs.setUsesScrollButtons(False)  # every tab title shows: the dialog is as wide
        layout.addWidget(self.tabs, 1)

        slicers = QWidget()
        form = QFormLayout(slicers)
        form.addRow(plain_label("The program that opens each file type on this PC."))
        self.paths: dict[str, QLineEdit] = {}
        for ext in OPENABLE_TYPES:
            edit = QLineEdit(settings.slicers.get(ext, ""))
            edit.setPlaceholderText("automatic (detected)")
            browse = QPushButton("Browse…")
            browse.clicked.connect(lambda _c=False, e=edit: self._browse(e))
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(browse)
            form.addRow(ext, row)
            self.paths[ext] = edit
        self.detected = QLabel("Detected on this PC: …")
        self.detected.setWordWrap(True)
        form.addRow(self.detected)
        if detected is not None:
            self.show_detected(detected)

        general = QWidget()
        form = QFormLayout(general)
        self.sound = QCheckBox("Play a sound when a new job arrives")
        self.sound.setChecked(settings.sound)
        self.notify = QCheckBox("Show a desktop notification when a new job arrives")
        self.notify.setChecked(settings.notifications)
        self.idle = QSpinBox()
        self.idle.setRange(1, 1440)
        self.idle.setSuffix(" min")
        self.idle.setValue(services.idle_minutes)
        self.zone = QComboBox()
        self.zone.setEditable(True)
        self.zone.addItems(_zones())
        self.zone.setCurrentText(settings.zone(desk.config))
        form.addRow(self.sound)
        form.addRow(self.notify)
        form.addRow("Lock after &idle", self.idle)
        form.addRow("&Time zone", self.zone)
        self.email = EmailSettings(desk, runner or TaskRunner(self))

        data = QWidget()
        form = QFormLayout(data)
        form.addRow(plain_label("Set in printdesk.toml; restart PrintDesk to apply."))
        config = desk.config
        for label, value in (("Storage folder", str(config.storage_root)),
                             ("Database", safe_url(config.database_url)),
                             ("Config file", str(config.config_target or "none (defaults)")),
                             ("Students' address", config.base_url)):
            form.addRow(label, plain_label(value, selectable=True))
        for page, title in ((general, "This &console"), (slicers, "S&licers"),
                            (self.email, "&Email (all PCs)"), (data, "&Data")):
            self.tabs.addTab(page, title)

        self.problem = plain_label()
        self.problem.setStyleSheet(ALARM)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def show_detected(self, slicers: list[Slicer]) -> None:
        names = ", ".join(f"{s.name} ({' '.join(s.extensions)})" for s in slicers)
        self.detected.setText(f"Detected on this PC: {names or 'none'}. Leave a type empty to "
                              "use the first detected program that opens it.")

    def _browse(self, edit: QLineEdit) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the slicer program")
        if path:
            edit.setText(path)

    def save(self) -> None:
        chosen = {ext: e.text().strip() for ext, e in self.paths.items() if e.text().strip()}
        settings = replace(self.services.settings, slicers=chosen, sound=self.sound.isChecked(),
                           notifications=self.notify.isChecked(), idle_lock_minutes=self.idle.value(),
                           timezone=self.zone.currentText().strip())
        try:
            self.services.save(settings)
            if self.email.changed:
                self.email.save()
        except ValidationError as exc:
            self.problem.setText("\n".join(exc.errors.values()))
            return
        except PrintDeskError as exc:
            self.problem.setText(str(exc))
            return
        self.accept()


def open_settings(window: Any) -> None:
    """File → Settings…: the dialog, with the slicers detected off the UI thread meanwhile."""
    if window.locked:
        return
    dialog = SettingsDialog(window, window.desk, window.services, runner=window.runner)
    open_ = [True]  # a detection result arriving after the dialog closed is dropped
    window.runner.run(window.services.detected,
                      success=lambda found: open_[0] and dialog.show_detected(found),
                      failure=lambda _e: open_[0] and dialog.show_detected([]))
    saved = dialog.exec()
    open_[0] = False
    dialog.deleteLater()  # destroyed now, while Qt is alive, not by Python at exit
    if saved:
        settings = window.services.settings
        window.notifier.sound_on, window.notifier.tray_on = settings.sound, settings.notifications
        window.idle.set_minutes(window.services.idle_minutes)
        window.model.tz = window.detail.tz = window.services.tz
        window.refresh(full=True)
