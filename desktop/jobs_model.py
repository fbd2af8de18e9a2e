"""The queue's table model (Vorta's ArchiveTableModel idea): plain Job values in, Qt roles out.

Testable without widgets. `set_rows()` replaces the rows and `sort()` orders them (numerically
for age and cost) with Python's sort on precomputed keys; the proxy in front only filters by
status tab and search text. Sorting in the proxy instead would call back into Python for every
comparison: ~150 ms per search keystroke over 10,000 jobs, against a few ms this way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont, QPixmap

from core.domain.statuses import Status
from core.domain.values import Job
from desktop.plain import plain_tip

COL_THUMB, COL_NEW, COL_NAME, COL_STANDARD, COL_SUBMITTED, COL_AGE, COL_PRINTER, COL_COLOR, \
    COL_METHOD, COL_COST = range(10)
HEADERS = ("", "", "Student", "Standard name", "Submitted", "Age", "Printer", "Color",
           "Material", "Cost")

JOB_ROLE = Qt.ItemDataRole.UserRole + 1  # the Job value of the row
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # a sortable key for the column
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 3  # lower-case text the search box matches
STATUS_ROLE = Qt.ItemDataRole.UserRole + 4
AGE_HOURS_ROLE = Qt.ItemDataRole.UserRole + 5

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


def expired(job: Job, now: datetime) -> bool:
    return job.confirmation_expired(now)


class JobTableModel(QAbstractTableModel):
    def __init__(self, tz: ZoneInfo, clock: Clock | None = None) -> None:
        super().__init__()
        self.tz = tz
        self.clock = clock or (lambda: datetime.now(UTC))
        self._jobs: list[Job] = []
        self._row_of: dict[str, int] = {}
        self._haystacks: list[str] = []  # per row, so a search keystroke is a plain scan
        self._statuses: list[str] = []
        self._sort_column, self._sort_order = COL_AGE, Qt.SortOrder.AscendingOrder
        self.overdue_days = 3  # a Completed job waits this long before it is shown OVERDUE
        self._thumbs: dict[str, QPixmap] = {}
        self._placeholder = QPixmap(48, 48)
        self._placeholder.fill(QColor("#e7e3ee"))
        # Per model, not module-level: a global QFont outlives QApplication and crashes at exit.
        self._bold = QFont()
        self._bold.setBold(True)

    # --- data in ---------------------------------------------------------------------------

    def set_rows(self, jobs: Sequence[Job]) -> None:
        self.beginResetModel()
        self._jobs = self._sorted(jobs)
        self._index_rows()
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column, self._sort_order = column, order
        self.layoutAboutToBeChanged.emit()
        old = {job.id: row for row, job in enumerate(self._jobs)}
        self._jobs = self._sorted(self._jobs)
        self._index_rows()
        moved_from = [self.index(old[job.id], c) for job in self._jobs for c in range(len(HEADERS))]
        moved_to = [self.index(r, c) for r in range(len(self._jobs)) for c in range(len(HEADERS))]
        self.changePersistentIndexList(moved_from, moved_to)
        self.layoutChanged.emit()

    def sort_state(self) -> tuple[int, Qt.SortOrder]:
        return self._sort_column, self._sort_order

    def _sorted(self, jobs: Sequence[Job]) -> list[Job]:
        now = self.clock()
        column = self._sort_column

        def key(job: Job) -> Any:
            hours = (now - job.submitted_at).total_seconds() / 3600
            return self._sort_key(job, column, hours)

        return sorted(jobs, key=key, reverse=self._sort_order == Qt.SortOrder.DescendingOrder)

    def _index_rows(self) -> None:
        self._row_of = {job.id: row for row, job in enumerate(self._jobs)}
        self._haystacks = [_haystack(job) for job in self._jobs]
        self._statuses = [job.status.value for job in self._jobs]

    def update_job(self, job: Job) -> bool:
        """Replace one row in place (after this console's own action, before the refresh)."""
        row = self._row_of.get(job.id)
        if row is None:
            return False
        self._jobs[row] = job
        self._haystacks[row] = _haystack(job)
        self._statuses[row] = job.status.value
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))
        return True

    def upsert(self, jobs: Sequence[Job]) -> None:
        """Update the rows of these jobs, adding the ones not shown yet (kept in sort order)."""
        added = [job for job in jobs if not self.update_job(job)]
        if not added:
            return
        first = len(self._jobs)
        self.beginInsertRows(QModelIndex(), first, first + len(added) - 1)
        self._jobs.extend(added)
        self._index_rows()
        self.endInsertRows()
        self.sort(self._sort_column, self._sort_order)

    def set_thumbnail(self, job_id: str, pixmap: QPixmap) -> None:
        self._thumbs[job_id] = pixmap
        row = self._row_of.get(job_id)
        if row is not None:
            index = self.index(row, COL_THUMB)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def has_thumbnail(self, job_id: str) -> bool:
        return job_id in self._thumbs

    def jobs(self) -> list[Job]:
        return list(self._jobs)

    def job(self, job_id: str) -> Job | None:
        row = self._row_of.get(job_id)
        return None if row is None else self._jobs[row]

    def row_of(self, job_id: str) -> int | None:
        return self._row_of.get(job_id)

    def matches(self, row: int, status: str | None, needle: str) -> bool:
        """The proxy's filter, answered from plain lists (no QModelIndex per row and call)."""
        if status is not None and self._statuses[row] != status:
            return False
        return not needle or needle in self._haystacks[row]

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
        if not index.isValid() or not 0 <= index.row() < len(self._jobs):
            return None
        job, column = self._jobs[index.row()], index.column()
        if role == JOB_ROLE:
            return job
        if role == STATUS_ROLE:
            return job.status.value
        if role == SEARCH_ROLE:
            return self._haystacks[index.row()]
        now = self.clock()
        hours = max(0.0, (now - job.submitted_at).total_seconds() / 3600)
        if role == AGE_HOURS_ROLE:
            return hours
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(job, column, hours, now)
        if role == SORT_ROLE:
            return self._sort_key(job, column, hours)
        if role == Qt.ItemDataRole.DecorationRole and column == COL_THUMB:
            return self._thumbs.get(job.id, self._placeholder)
        if role == Qt.ItemDataRole.BackgroundRole and column == COL_AGE:
            return QBrush(QColor(AGE_COLOURS[age_band(hours)]))
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_NEW and (
                expired(job, now) or job.pickup_overdue(now, self.overdue_days)):
            return QBrush(QColor("#a4001d"))
        if role == Qt.ItemDataRole.FontRole and job.is_new:
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(job, column, now)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == COL_COST:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, job: Job, column: int, hours: float, now: datetime) -> str | None:
        if column == COL_NEW:
            if expired(job, now):
                return "EXPIRED"
            if job.pickup_overdue(now, self.overdue_days):
                return "OVERDUE"
            return "NEW" if job.is_new else ""
        if column == COL_NAME:
            return job.student_name
        if column == COL_STANDARD:
            return job.folder_name
        if column == COL_SUBMITTED:
            return job.submitted_at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        if column == COL_AGE:
            return age_text(hours)
        if column == COL_PRINTER:
            return job.printer
        if column == COL_COLOR:
            return job.color
        if column == COL_METHOD:
            return job.material or job.print_method
        if column == COL_COST:
            return f"${job.cost:.2f}" if job.cost is not None else ""
        return None

    def _sort_key(self, job: Job, column: int, hours: float) -> Any:
        if column == COL_AGE:  # ascending age: the youngest first, like the column reads
            return -job.submitted_at.timestamp()
        if column in (COL_SUBMITTED, COL_THUMB):
            return job.submitted_at.timestamp()
        if column == COL_COST:
            return float(job.cost) if job.cost is not None else -1.0
        if column == COL_NEW:
            return int(job.is_new)
        return (self._display(job, column, hours, self.clock()) or "").lower()

    def _tooltip(self, job: Job, column: int, now: datetime) -> str | None:
        if column == COL_NEW and expired(job, now):
            return "The student's confirmation link has expired: resend it or confirm on behalf."
        if column == COL_NEW and job.pickup_overdue(now, self.overdue_days):
            return "Printed long ago and not picked up: the student has been reminded by email."
        if column == COL_STANDARD:  # the student chose the file name: shown as text, never markup
            return plain_tip(f"Reference {job.short_id.upper()} · {job.original_filename}")
        return None


def _haystack(job: Job) -> str:
    return " ".join((job.student_name, job.student_email, job.class_number, job.short_id,
                     job.folder_name)).lower()


class JobFilterProxy(QSortFilterProxyModel):
    """Rows of one status tab that match the search text."""

    def __init__(self) -> None:
        super().__init__()
        self._status: str | None = Status.UPLOADED.value
        self._needle = ""
        self._jobs_model: JobTableModel | None = None
        self.setDynamicSortFilter(True)  # filters only: the source model is already sorted

    # invalidate() rebuilds the mapping in one go: half the time of an incremental filter change
    # (begin/endFilterChange) when a keystroke hides or shows thousands of rows.
    def set_status(self, status: Status | None) -> None:
        self._status = status.value if status is not None else None
        self.invalidate()

    def set_search(self, text: str) -> None:
        self._needle = text.strip().lower()
        self.invalidate()

    def setSourceModel(self, model: QAbstractTableModel) -> None:
        # sourceModel() hands back a generic wrapper; keep the Python model for the fast path.
        self._jobs_model = model if isinstance(model, JobTableModel) else None
        super().setSourceModel(model)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if self._jobs_model is not None:
            return self._jobs_model.matches(source_row, self._status, self._needle)
        model = self.sourceModel()
        index = model.index(source_row, 0, source_parent)
        if self._status is not None and model.data(index, STATUS_ROLE) != self._status:
            return False
        return not self._needle or self._needle in model.data(index, SEARCH_ROLE)
