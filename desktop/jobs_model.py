"""The queue's table model (Vorta's ArchiveTableModel idea): plain JobSummary values in, Qt roles
out; testable without widgets.

It holds one status tab's rows (loaded per tab, light columns only) and shows those the search
leaves: `set_rows()` replaces them, `upsert()`/`remove()` apply what changed, `set_filter()` takes
the ids a search found (a single set lookup per row, computed once per keystroke: no proxy model
calling back into Python for every row). `sort()` orders rows with Python's sort on keys.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPixmap

from core.domain.values import STAFF_WAITING, JobSummary
from desktop.plain import plain_tip
from desktop.style import ALARM_COLOUR

COL_THUMB, COL_NEW, COL_NAME, COL_STANDARD, COL_SUBMITTED, COL_AGE, COL_PRINTER, COL_COLOR, \
    COL_METHOD, COL_COST = range(10)
HEADERS = ("", "", "Student", "Standard name", "Submitted", "Age", "Printer", "Color",
           "Material", "Cost")

JOB_ROLE = Qt.ItemDataRole.UserRole + 1  # the JobSummary of the row
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # a sortable key for the column
AGE_HOURS_ROLE = Qt.ItemDataRole.UserRole + 5
_R = Qt.ItemDataRole
_FONT, _ALIGNMENT, _DECORATION = int(_R.FontRole), int(_R.TextAlignmentRole), int(_R.DecorationRole)
_ANSWERED = frozenset(int(r) for r in (
    JOB_ROLE, SORT_ROLE, AGE_HOURS_ROLE, _R.DisplayRole, _R.DecorationRole, _R.BackgroundRole,
    _R.ForegroundRole, _R.FontRole, _R.ToolTipRole, _R.TextAlignmentRole))
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

# Under 24 h, 24–48 h, 48–72 h, over 72 h: calm to urgent (text stays readable on each).
AGE_COLOURS = ("#d8f0dc", "#fff2b3", "#ffd8a8", "#f6c1c1")

Index = QModelIndex | QPersistentModelIndex
Clock = Callable[[], datetime]


def age_text(hours: float) -> str:
    """'2d 4h ago', '5h ago', 'just now'."""
    whole = int(hours)
    days, rest = divmod(whole, 24)
    if days:
        return f"{days}d {rest}h ago"
    if whole:
        return f"{whole}h ago"
    minutes = int(hours * 60)
    return f"{minutes}m ago" if minutes else "just now"


def age_band(hours: float) -> int:
    return 0 if hours < 24 else 1 if hours < 48 else 2 if hours < 72 else 3


class JobTableModel(QAbstractTableModel):
    def __init__(self, tz: ZoneInfo, clock: Clock | None = None) -> None:
        super().__init__()
        self.tz = tz
        self.clock = clock or (lambda: datetime.now(UTC))
        self._all: dict[str, JobSummary] = {}  # the tab's rows, shown or filtered out
        # The tab's rows in sort order, kept between keystrokes: a search then only filters
        # (sorting 20,000 rows in Python for every keystroke cost more than the search).
        self._order: list[JobSummary] | None = None
        self._jobs: list[JobSummary] = []  # shown, in order
        self._row_of: dict[str, int] = {}
        self._filter: frozenset[str] | None = None
        self._sort_column, self._sort_order = COL_AGE, Qt.SortOrder.AscendingOrder
        self.overdue_days = 3  # a Completed job waits this long before it is shown OVERDUE
        self._thumbs: dict[str, QPixmap] = {}
        self._placeholder = QPixmap(48, 48)
        self._placeholder.fill(QColor("#e7e3ee"))
        # Per model, not module-level: a global QFont outlives QApplication and crashes at exit.
        self._bold = QFont()
        self._bold.setBold(True)

    # --- data in ---------------------------------------------------------------------------

    def set_rows(self, jobs: Sequence[JobSummary]) -> None:
        """The tab's rows, all of them (the search filter still applies)."""
        self._all = {job.id: job for job in jobs}
        self._order = None
        self._rebuild()

    def set_filter(self, ids: Collection[str] | None) -> None:
        """Show only these jobs (a search's matches); None shows every row of the tab."""
        self._filter = None if ids is None else frozenset(ids)
        self._rebuild()

    def _rebuild(self) -> None:
        self.beginResetModel()
        if self._order is None:
            self._order = self._sorted(self._all.values())
        self._jobs = list(self._order) if self._filter is None else [
            j for j in self._order if j.id in self._filter]
        self._index_rows()
        self.endResetModel()

    def upsert(self, jobs: Sequence[JobSummary]) -> None:
        """Update the rows of these jobs, adding the ones not there yet (kept in order)."""
        added = []
        self._order = None
        for job in jobs:
            self._all[job.id] = job
            if not self.update_job(job) and (self._filter is None or job.id in self._filter):
                added.append(job)
        if not added:
            return
        first = len(self._jobs)
        self.beginInsertRows(QModelIndex(), first, first + len(added) - 1)
        self._jobs.extend(added)
        self._index_rows()
        self.endInsertRows()
        self.sort(self._sort_column, self._sort_order)

    def remove(self, job_ids: Collection[str]) -> None:
        """Jobs that left this tab (a status change elsewhere)."""
        for job_id in job_ids:
            self._all.pop(job_id, None)
            self._order = None
            row = self._row_of.get(job_id)
            if row is None:
                continue
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._jobs[row]
            self._index_rows()
            self.endRemoveRows()

    def update_job(self, job: JobSummary) -> bool:
        """Replace one shown row in place; False when it is not shown."""
        row = self._row_of.get(job.id)
        if row is None:
            return False
        self._all[job.id] = job
        self._order = None  # its place in the order may have changed
        self._jobs[row] = job
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))
        return True

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column, self._sort_order = column, order
        self._order = None
        self.layoutAboutToBeChanged.emit()
        # Only the indexes views hold on to (the selection, the current cell) follow their job:
        # mapping every cell instead cost ~1 s per new job in a 5,000-row tab.
        held = self.persistentIndexList()
        cells = [(self._jobs[i.row()].id, i.column())
                 if i.isValid() and i.row() < len(self._jobs) else None for i in held]
        self._jobs = self._sorted(self._jobs)
        self._index_rows()
        self.changePersistentIndexList(held, [
            self.index(self._row_of[cell[0]], cell[1])
            if cell is not None and cell[0] in self._row_of else QModelIndex() for cell in cells])
        self.layoutChanged.emit()

    def sort_state(self) -> tuple[int, Qt.SortOrder]:
        return self._sort_column, self._sort_order

    def _sorted(self, jobs: Collection[JobSummary]) -> list[JobSummary]:
        now = self.clock()
        column = self._sort_column

        def key(job: JobSummary) -> Any:
            hours = (now - job.submitted_at).total_seconds() / 3600
            return self._sort_key(job, column, hours)

        return sorted(jobs, key=key, reverse=self._sort_order == Qt.SortOrder.DescendingOrder)

    def _index_rows(self) -> None:
        self._row_of = {job.id: row for row, job in enumerate(self._jobs)}

    def set_thumbnail(self, job_id: str, pixmap: QPixmap) -> None:
        self._thumbs[job_id] = pixmap
        row = self._row_of.get(job_id)
        if row is not None:
            index = self.index(row, COL_THUMB)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def has_thumbnail(self, job_id: str) -> bool:
        return job_id in self._thumbs

    def jobs(self) -> list[JobSummary]:
        """The rows shown, in order."""
        return list(self._jobs)

    def job(self, job_id: str) -> JobSummary | None:
        """A job of this tab, shown or not."""
        return self._all.get(job_id)

    def row_of(self, job_id: str) -> int | None:
        return self._row_of.get(job_id)

    # --- Qt model API ----------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's API
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's API
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section] if 0 <= section < len(HEADERS) else None
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole
                and section in (COL_THUMB, COL_NEW)):
            return ("Preview", "NEW: not reviewed yet")[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called for every role of every visible cell at each repaint: roles this model never
        # answers return before any work, and the clock is read only for roles that need it.
        if role not in _ANSWERED or not index.isValid() \
                or not 0 <= index.row() < len(self._jobs):
            return None
        job, column = self._jobs[index.row()], index.column()
        if role == JOB_ROLE:
            return job
        if role == _FONT:
            return self._bold if job.is_new else None
        if role == _ALIGNMENT:
            return _RIGHT if column == COL_COST else None
        if role == _DECORATION:
            return self._thumbs.get(job.id, self._placeholder) if column == COL_THUMB else None
        now = self.clock()
        hours = max(0.0, (now - job.submitted_at).total_seconds() / 3600)
        if role == AGE_HOURS_ROLE:
            return hours
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(job, column, hours, now)
        if role == SORT_ROLE:
            return self._sort_key(job, column, hours)
        if role == Qt.ItemDataRole.BackgroundRole and column == COL_AGE and \
                job.status in STAFF_WAITING:
            # Urgency colours only where the next step is the staff's own.
            return QBrush(QColor(AGE_COLOURS[age_band(hours)]))
        if role == Qt.ItemDataRole.ForegroundRole and (
                (column == COL_NEW and self._late(job, now))
                or (column == COL_COST and job.estimate_failed)):
            return QBrush(QColor(ALARM_COLOUR))
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(job, column, now)
        return None

    def _late(self, job: JobSummary, now: datetime) -> bool:
        return job.confirmation_expired(now) or job.pickup_overdue(now, self.overdue_days)

    def _display(self, job: JobSummary, column: int, hours: float, now: datetime) -> str | None:
        if column == COL_NEW:
            if job.confirmation_expired(now):
                return "EXPIRED"
            if job.pickup_overdue(now, self.overdue_days):
                return "OVERDUE"
            return "NEW" if job.is_new else ""
        if column == COL_COST:
            if job.cost is not None:
                return f"${job.cost:.2f}"
            if job.estimate_failed:
                return "⚠ estimate"
            return f"≈${Decimal(job.suggested_cost):.2f}" if job.suggested_cost else ""
        values = {COL_NAME: job.student_name, COL_STANDARD: job.folder_name,
                  COL_PRINTER: job.printer, COL_COLOR: job.color,
                  COL_METHOD: job.material or job.print_method}
        if column in values:
            return values[column]
        if column == COL_SUBMITTED:
            return job.submitted_at.astimezone(self.tz).strftime("%b %d %H:%M")
        if column == COL_AGE:
            return age_text(hours)
        return None

    def _sort_key(self, job: JobSummary, column: int, hours: float) -> Any:
        if column == COL_AGE:  # ascending age: the youngest first, like the column reads
            return -job.submitted_at.timestamp()
        if column in (COL_SUBMITTED, COL_THUMB):
            return job.submitted_at.timestamp()
        if column == COL_COST:
            return float(job.cost) if job.cost is not None else -1.0
        if column == COL_NEW:
            return int(job.is_new)
        return (self._display(job, column, hours, self.clock()) or "").lower()

    def _tooltip(self, job: JobSummary, column: int, now: datetime) -> str | None:
        if column == COL_NEW and job.confirmation_expired(now):
            return "The student's confirmation link has expired: resend it or confirm on behalf."
        if column == COL_NEW and job.pickup_overdue(now, self.overdue_days):
            return "Printed long ago and not picked up: the student has been reminded by email."
        if column == COL_COST and job.cost is None and job.estimate_failed:
            return plain_tip(f"The automatic estimate failed: {job.estimate_failed}")
        if column == COL_COST and job.cost is None and job.suggested_cost:
            return "Estimated by the slicer; not quoted yet"
        if column == COL_STANDARD:  # the student chose the file name: shown as text, never markup
            return plain_tip(f"{job.folder_name}\nReference {job.short_id.upper()} · "
                             f"{job.original_filename}")
        if column == COL_SUBMITTED:
            return job.submitted_at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M %Z")
        return None
