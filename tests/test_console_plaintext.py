"""Nothing a student types is ever rendered as markup in the console: a file name such as
`<img src=&#47;dev&#47;zero>.stl` once made a queue tooltip read /dev/zero until the console died.
Markup goes into every free-text student field and the file name; the queue, the detail pane,
the history and the action dialogs must show it character for character."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from desktop.dialogs import ApproveDialog, RejectDialog
from desktop.jobs_model import HEADERS
from tests.console_helpers import on_next_dialog, select, unlock
from tests.helpers import model

IMG = "<img src=&#47;dev&#47;zero>"
NAME = "<b>Jane</b> <i>Doe</i>"
CLASS = "<u>ARCH</u> <img src=x>"
FILENAME = f"{IMG}.stl"
MARKUP = (IMG, NAME, CLASS, "<b>", "<img")


def shown_as(text: str) -> str:
    """What Qt displays for `text` where it may read rich text (a tooltip, an AutoText label)."""
    if not GuiQt.mightBeRichText(text):
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def assert_literal(text: str, where: str) -> None:
    """If the text holds student markup, it is shown literally, not interpreted."""
    if any(m in text for m in MARKUP) or "&lt;" in text:
        shown = shown_as(text)
        assert any(m in shown for m in (IMG, NAME, CLASS)), f"{where}: shows {shown!r}"


def check_labels(widget: QWidget, where: str) -> int:
    checked = 0
    for label in widget.findChildren(QLabel):
        if any(m in label.text() for m in MARKUP):
            checked += 1
            assert label.textFormat() == Qt.TextFormat.PlainText, f"{where}: {label.text()!r}"
        if label.toolTip():
            assert_literal(label.toolTip(), f"{where} tooltip")
    return checked


def test_student_markup_is_shown_as_text_everywhere(qtbot, window, desk) -> None:
    from core.domain.values import SubmissionForm, Upload

    form = SubmissionForm(student_name=NAME, student_email="jane.doe@example.edu",
                          discipline="Architecture", class_number=CLASS,
                          print_method="Filament", color="Blue", printer="Prusa MK4S",
                          consent="yes")
    job = desk.workflow.submit(form, Upload(model("20mm-xyz-cube.stl"), FILENAME)).job
    assert job.original_filename == FILENAME and job.student_name == NAME
    desk.workflow.edit_notes(job.id, job.version, f"Staff wrote {IMG} too")
    unlock(qtbot, window)
    qtbot.waitUntil(lambda: window.model.job(job.id) is not None)
    select(qtbot, window, job.id)
    qtbot.waitUntil(lambda: window.detail.history.rowCount() >= 2)

    # The queue: every cell's text and tooltip.
    model_ = window.model
    row = model_.row_of(job.id)
    for column in range(len(HEADERS)):
        index = model_.index(row, column)
        tip = model_.data(index, Qt.ItemDataRole.ToolTipRole)
        if tip:
            assert_literal(tip, f"queue column {HEADERS[column]!r} tooltip")
    standard_tip = model_.data(model_.index(row, HEADERS.index("Standard name")),
                               Qt.ItemDataRole.ToolTipRole)
    assert FILENAME in shown_as(standard_tip)

    # The detail pane and its history.
    assert check_labels(window.detail, "detail pane") >= 3  # name, class, file at least
    history = window.detail.history
    for r in range(history.rowCount()):
        for c in range(history.columnCount()):
            item = history.item(r, c)
            if item is not None and item.toolTip():
                assert_literal(item.toolTip(), f"history {r},{c}")
    assert any(IMG in shown_as(history.item(r, 3).toolTip()) for r in range(history.rowCount()))

    # The dialogs that quote the student.
    seen: list[int] = []
    for dialog_class, action in ((ApproveDialog, "approve"), (RejectDialog, "reject")):
        def inspect(dialog, kind=dialog_class) -> None:
            assert isinstance(dialog, kind)
            seen.append(check_labels(dialog, kind.__name__))
            dialog.reject()
        on_next_dialog(inspect)
        window.detail.buttons[action].click()  # returns once the dialog's own loop ended
        qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None)
    assert len(seen) == 2 and seen[0] >= 1  # the approve dialog names the student, as text
