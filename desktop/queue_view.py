"""The queue: status tabs, the search box and the job table, and the selection. It shows rows;
loading them (per tab) is the refresher's job, acting on them the window's."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import QItemSelectionModel, QObject, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QTabBar,
    QTableView,
    QWidget,
)

from core.domain.statuses import ACTIVE_STATUSES, STATUS_LABELS, STATUS_ORDER, Status
from core.domain.values import JobSummary
from desktop.jobs_model import COL_AGE, JOB_ROLE, JobTableModel

# Sized so the columns staff need most all show beside the detail pane at 1366 px; staff may
# resize them (remembered per PC).
COLUMN_WIDTHS = (48, 70, 128, 128, 96, 70, 104, 70, 78, 60)


def tab_label(status: Status) -> str:
    return STATUS_LABELS[status].replace("&", "&&")  # a lone & would be a mnemonic


class QueueView(QObject):
    """The queue's widgets (the window lays them out: the tab bar across the whole width, the
    table beside the detail pane) and what they mean."""

    job_selected = Signal(object)  # the JobSummary now current, or None
    open_requested = Signal()  # Enter or a double-click on a row
    tab_shown = Signal(object)  # the Status whose rows the view now wants
    search_changed = Signal(str)

    def __init__(self, tz: ZoneInfo, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = JobTableModel(tz)
        self.bar = QWidget()
        top = QHBoxLayout(self.bar)
        top.setContentsMargins(0, 0, 0, 0)
        self.tabs = QTabBar()
        self.tabs.setExpanding(False)
        self.tab_statuses = list(STATUS_ORDER)
        for status in self.tab_statuses:
            self.tabs.addTab(tab_label(status))
        self.tabs.currentChanged.connect(self._tab_changed)
        top.addWidget(self.tabs, 1)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search name, email, class, reference  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(320)
        self.search.textChanged.connect(self.search_changed.emit)
        top.addWidget(self.search)
        self.table = self._build_table()
        self.table.horizontalHeader().setSortIndicator(COL_AGE, Qt.SortOrder.DescendingOrder)

    def _build_table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.model)
        # The model sorts itself (fast, see jobs_model); the header only shows and asks.
        header = table.horizontalHeader()
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.sortIndicatorChanged.connect(self._sort)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(52)
        table.setIconSize(QPixmap(48, 48).size())
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate(COLUMN_WIDTHS):
            table.setColumnWidth(column, width)
        # `activated` alone: a double-click (and Enter) emits it once; connecting doubleClicked
        # too started the slicer twice.
        table.activated.connect(lambda _i: self.open_requested.emit())
        table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self.job_selected.emit(
                current.data(JOB_ROLE) if current.isValid() else None))
        return table

    # --- selection ------------------------------------------------------------------------------

    def current_job(self) -> JobSummary | None:
        index = self.table.currentIndex()
        return index.data(JOB_ROLE) if index.isValid() else None

    def select_job(self, job_id: str) -> bool:
        row = self.model.row_of(job_id)
        if row is None:
            return False
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)
        return True

    def keep_selection(self, job_id: str | None) -> None:
        """After the rows changed: the same job stays selected, else the first row is."""
        if (job_id is None or not self.select_job(job_id)) and self.model.rowCount():
            self.table.selectRow(0)  # something is always shown in the detail pane
        elif not self.model.rowCount():
            self.job_selected.emit(None)

    def visible_jobs(self, limit: int) -> list[JobSummary]:
        return self.model.jobs()[:limit]

    @property
    def status(self) -> Status:
        return self.tab_statuses[self.tabs.currentIndex()]

    # --- tabs and sorting -----------------------------------------------------------------------

    def set_tab_texts(self, texts: list[str]) -> None:
        for index, text in enumerate(texts):
            self.tabs.setTabText(index, text)

    def _sort(self, column: int, order: Qt.SortOrder) -> None:
        current = self.current_job()
        self.model.sort(column, order)
        if current is not None:
            self.select_job(current.id)

    def _tab_changed(self, index: int) -> None:
        status = self.tab_statuses[index]
        self.model.set_rows([])  # this tab's rows are on their way (the refresher loads them)
        # Oldest first where work waits; newest first in the final tabs.
        order = (Qt.SortOrder.DescendingOrder if status in ACTIVE_STATUSES
                 else Qt.SortOrder.AscendingOrder)
        header = self.table.horizontalHeader()
        if header.sortIndicatorSection() == COL_AGE and header.sortIndicatorOrder() == order:
            self._sort(COL_AGE, order)
        else:
            header.setSortIndicator(COL_AGE, order)
        self.job_selected.emit(None)
        self.tab_shown.emit(status)
