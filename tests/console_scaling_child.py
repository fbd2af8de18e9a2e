"""The console at one display scale, in its own process (Qt's scale is fixed per process):
python -m tests.console_scaling_child DATA_DIR SCALE OUT_DIR

Fills a data folder with realistic jobs, opens the window at 1366 × 768 (scaled), unlocks it,
opens every dialog, saves a screenshot of each, and prints as JSON every widget whose text does
not fit (a button narrower than its text, a one-line label cut off, a tab squeezed)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QLabel,
    QTabBar,
    QWidget,
)

from core.config import load_config
from core.console.services import ConsoleServices
from core.desk import init_desk, open_desk
from desktop.app import make_app
from desktop.window import MainWindow
from tests.helpers import PASSWORD, submit


def clipped(root: QWidget) -> list[str]:
    """Visible widgets whose text is cut off."""
    found = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible() or widget.width() <= 0:
            continue
        name = f"{type(widget).__name__} {getattr(widget, 'text', lambda: '')()!r}"
        if isinstance(widget, QAbstractButton) and widget.text():
            if widget.width() < widget.minimumSizeHint().width() - 1:
                found.append(f"{name}: {widget.width()} < {widget.minimumSizeHint().width()}")
        elif isinstance(widget, QLabel) and widget.text() and widget.pixmap().isNull():
            if widget.wordWrap():
                need = widget.heightForWidth(widget.width())
                if need > widget.height() + 1:
                    found.append(f"{name}: height {widget.height()} < {need}")
            elif widget.width() < widget.sizeHint().width() - 1:
                found.append(f"{name}: width {widget.width()} < {widget.sizeHint().width()}")
        elif isinstance(widget, QTabBar):
            for index in range(widget.count()):
                rect, hint = widget.tabRect(index), widget.tabSizeHint(index)
                if rect.width() < hint.width() - 1 and widget.isTabVisible(index):
                    found.append(f"tab {widget.tabText(index)!r}: {rect.width()} < "
                                 f"{hint.width()}")
    return found


def main() -> None:
    data, scale, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    config = load_config(data_dir=data, env={"PRINTDESK_SLICING_ESTIMATE": "false"})
    init_desk(config, PASSWORD).close()
    desk = open_desk(config)
    names = ("Ana Silva", "José O'Brien", "Mary-Jane Watts-Llewellyn", "Søren Kierkegaard")
    jobs = [submit(desk, student_name=n, student_email=f"s{i}@example.edu").job
            for i, n in enumerate(names)]
    desk.workflow.approve(jobs[1].id, jobs[1].version, weight_g="47.3", print_time_h="3.2",
                          material="Filament", printer="Prusa MK4S")
    app = make_app([])
    window = MainWindow(desk, ConsoleServices(desk, detected=[]))
    window.resize(1366, 768)
    window.show()
    report: dict[str, list[str]] = {}

    def wait(condition, then) -> None:
        def poll() -> None:
            if condition():
                then()
            else:
                QTimer.singleShot(20, poll)
        poll()

    def shot(widget: QWidget, name: str) -> None:
        widget.grab().save(str(out / f"{name}-{scale}x.png"))
        report[name] = clipped(widget)

    dialogs = ["approve", "reject", "override_status", "edit_fields"]

    def next_dialog() -> None:
        if not dialogs:
            shot(window, "window")
            print(json.dumps(report))
            app.quit()
            return
        action = dialogs.pop(0)

        def inspect() -> None:
            dialog = QApplication.activeModalWidget()
            assert isinstance(dialog, QDialog)
            shot(dialog, f"dialog-{action}")
            dialog.reject()
            QTimer.singleShot(50, next_dialog)

        wait(lambda: QApplication.activeModalWidget() is not None, inspect)
        window.detail.buttons[action].click()

    def columns() -> None:
        # Every column, Cost last, shows without scrolling sideways at 1366 px (issue 11).
        table = window.table
        cost = table.model().columnCount() - 1
        right = table.columnViewportPosition(cost) + table.columnWidth(cost)
        report["columns"] = [] if right <= table.viewport().width() else [
            f"Cost column ends at {right} px, the table shows {table.viewport().width()} px"]

    def unlocked() -> None:
        wait(lambda: window.detail.job is not None and window.detail.buttons.get("approve")
             is not None, lambda: (shot(window, "queue"), columns(), next_dialog()))

    def ready() -> None:
        window.lock_screen.password.setText(PASSWORD)
        window.lock_screen.submit()
        wait(lambda: not window.locked and window.model.rowCount() == 3, unlocked)

    wait(lambda: window.lock_screen.button.isEnabled(), ready)
    app.exec()
    window.close()
    desk.close()


if __name__ == "__main__":
    main()
