"""Start the staff console: `printdesk console`."""

from __future__ import annotations

import sys

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from core.config import Config
from core.desk import open_desk
from desktop.window import MainWindow

STYLE = """
QMainWindow, QDialog { background: #f6f4f9; }
QTabBar::tab { padding: 8px 14px; margin-right: 2px; background: #e7e3ee; border-radius: 6px 6px 0 0; }
QTabBar::tab:selected { background: #461D7C; color: white; font-weight: 600; }
QTableView { background: white; alternate-background-color: #faf8fc; selection-background-color: #d9cdea;
             selection-color: #1d1b22; gridline-color: #ece8f2; }
QHeaderView::section { background: #efebf5; padding: 6px; border: 0; border-bottom: 1px solid #d9d4e2;
                       font-weight: 600; }
QPushButton { padding: 6px 12px; border-radius: 6px; background: white; border: 1px solid #b9b0c7; }
QPushButton:default, QPushButton:focus { border: 2px solid #461D7C; }
QPushButton:hover { background: #f0ebf7; }
QLineEdit, QPlainTextEdit, QComboBox { padding: 5px; border: 1px solid #b9b0c7; border-radius: 5px;
                                       background: white; }
QSpinBox { padding: 4px; }
#lockBox { background: white; border: 1px solid #d9d4e2; border-radius: 12px; padding: 18px; }
#lockTitle { font-size: 18pt; font-weight: 700; color: #461D7C; }
"""


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv)
    app.setApplicationName("PrintDesk")
    app.setOrganizationName("PrintDesk")
    font = QFont(app.font())
    font.setPointSize(max(font.pointSize(), 10))
    app.setFont(font)
    app.setStyleSheet(STYLE)
    return app


def run_console(config: Config) -> int:
    app = make_app()
    desk = open_desk(config)
    window = MainWindow(desk)
    window.show()
    try:
        return app.exec()
    finally:
        desk.close()
