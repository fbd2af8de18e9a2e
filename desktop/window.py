"""The staff console's main window: lock screen, status tabs with counts, search, the queue, the
detail pane. Every query and action goes through the TaskRunner; nothing here blocks."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtGui import QAction, QCloseEvent, QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.console.services import ConsoleServices
from core.desk import Desk
from core.domain.statuses import ACTIVE_STATUSES, STATUS_LABELS, STATUS_ORDER, Status
from core.domain.values import Job
from desktop.controller import ActionController
from desktop.detail import DetailPane
from desktop.icon import app_icon
from desktop.jobs_model import COL_AGE, JOB_ROLE, JobFilterProxy, JobTableModel, expired
from desktop.live import LiveUpdates, Notifier
from desktop.lock import IdleWatcher, LockScreen
from desktop.plain import plain_label
from desktop.tasks import TaskRunner

THUMBS_PER_REFRESH = 60  # thumbnails are fetched for the rows staff can see first


class MainWindow(QMainWindow):
    def __init__(self, desk: Desk, services: ConsoleServices | None = None,
                 live_interval: float = 1.0) -> None:
        super().__init__()
        self.desk = desk
        self.runner = TaskRunner(self)
        self.services = services or ConsoleServices(desk)
        settings = self.services.settings
        self.setWindowTitle("PrintDesk")
        self.setWindowIcon(app_icon())
        self.resize(1400, 860)
        self.model = JobTableModel(self.services.tz)
        self.proxy = JobFilterProxy()
        self.proxy.setSourceModel(self.model)
        self.controller = ActionController(desk, self.runner, self)
        self.notifier = Notifier(self)
        self.notifier.sound_on, self.notifier.tray_on = settings.sound, settings.notifications
        self.live = LiveUpdates(desk, live_interval, self)  # watching only while unlocked
        self.known_ids: set[str] | None = None
        self.last_updated: datetime | None = None
        self._refresh_again = False
        self._refreshing = False

        self.stack = QStackedWidget()
        self.lock_screen = LockScreen(desk, self.runner)
        self.workspace = self._build_workspace()
        self.stack.addWidget(self.lock_screen)
        self.stack.addWidget(self.workspace)
        self.setCentralWidget(self.stack)
        self._build_menus()
        self.statusBar().addPermanentWidget(self.updated_label)

        self.idle = IdleWatcher(self.services.idle_minutes, self)
        QApplication.instance().installEventFilter(self.idle)
        self.idle.idle.connect(self.lock)
        self.lock_screen.unlocked.connect(self.unlock)
        self.controller.changed.connect(self._after_action)
        self.controller.updated.connect(self._show_updated)
        self.live.changed.connect(self.refresh)
        self.controller.refused.connect(self._show_refusal)
        self.runner.busy_changed.connect(
            lambda busy: self.setCursor(Qt.CursorShape.BusyCursor if busy else Qt.CursorShape.ArrowCursor))
        self.lock()

    # --- building ---------------------------------------------------------------------------

    def _build_workspace(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        top = QHBoxLayout()
        self.tabs = QTabBar()
        self.tabs.setExpanding(False)
        self.tab_statuses = list(STATUS_ORDER)
        for status in self.tab_statuses:
            self.tabs.addTab(STATUS_LABELS[status].replace("&", "&&"))
        self.tabs.currentChanged.connect(self._tab_changed)
        top.addWidget(self.tabs, 1)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search name, email, class, reference  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(320)
        self.search.textChanged.connect(self.proxy.set_search)
        top.addWidget(self.search)
        layout.addLayout(top)
        self.banner = plain_label()  # refusals may quote what a student or staff typed
        self.banner.setObjectName("banner")
        self.banner.setStyleSheet("background: #fde2e4; color: #6b0012; padding: 6px 10px;"
                                  " border-radius: 6px; font-weight: 600;")
        self.banner.hide()
        layout.addWidget(self.banner)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        # The model sorts itself (fast, see jobs_model); the header only shows and asks.
        header = self.table.horizontalHeader()
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.sortIndicatorChanged.connect(self._sort)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(52)
        self.table.setIconSize(QPixmap(48, 48).size())
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((56, 64, 170, 290, 140, 90, 150, 120, 80, 70)):
            self.table.setColumnWidth(column, width)
        self.table.doubleClicked.connect(lambda _i: self.open_in_slicer())
        self.table.activated.connect(lambda _i: self.open_in_slicer())  # Enter on a row
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.detail = DetailPane(self.services.tz)
        self.detail.action_requested.connect(self._request)
        self.detail.open_requested.connect(self.open_in_slicer)
        self.detail.folder_requested.connect(self.show_in_folder)
        self.detail.notes_saved.connect(self._save_notes)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([820, 560])
        layout.addWidget(split, 1)
        self.updated_label = QLabel("Not updated yet")
        header.setSortIndicator(COL_AGE, Qt.SortOrder.DescendingOrder)  # oldest first
        return page

    def _build_menus(self) -> None:
        menu = self.menuBar().addMenu("&File")
        for text, shortcut, slot in (
            ("&Settings…", QKeySequence.StandardKey.Preferences, self.open_settings),
            ("&Lock", QKeySequence("Ctrl+L"), self.lock),
            ("&Refresh", QKeySequence.StandardKey.Refresh, self.refresh),
            ("&Quit", QKeySequence.StandardKey.Quit, self.close),
        ):
            action = QAction(text, self)
            action.setShortcut(shortcut)
            action.triggered.connect(slot)
            menu.addAction(action)
            self.addAction(action)
        find = QAction("Find", self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(lambda: (self.search.setFocus(), self.search.selectAll()))
        self.addAction(find)
        for number, status in enumerate(self.tab_statuses, 1):
            jump = QAction(f"Show {STATUS_LABELS[status]}", self)
            jump.setShortcut(QKeySequence(f"Alt+{number}"))
            jump.triggered.connect(lambda _c=False, n=number - 1: self.tabs.setCurrentIndex(n))
            self.addAction(jump)

    # --- lock -------------------------------------------------------------------------------

    def lock(self) -> None:
        # Whatever was open closes unanswered: nobody acts through a dialog left on screen.
        while (dialog := QApplication.activeModalWidget()) is not None:
            if isinstance(dialog, QDialog):
                dialog.reject()
            else:
                dialog.close()
            QApplication.processEvents()  # let its exec() loop return before the next one
        self.menuBar().setEnabled(False)
        for action in self.actions():
            action.setEnabled(action.shortcut().toString() == "Ctrl+L")
        self.idle.stop()
        self.live.stop()
        self.stack.setCurrentWidget(self.lock_screen)
        self.setWindowTitle("PrintDesk · locked")
        self.lock_screen.prepare()

    def unlock(self) -> None:
        self.menuBar().setEnabled(True)
        for action in self.actions():
            action.setEnabled(True)
        self.stack.setCurrentWidget(self.workspace)
        self.idle.start()
        self.live.start()
        self.refresh()
        self.table.setFocus()

    @property
    def locked(self) -> bool:
        return self.stack.currentWidget() is self.lock_screen

    # --- refresh ----------------------------------------------------------------------------

    def refresh(self) -> None:
        if self.locked:
            return
        if self._refreshing:  # a burst of changes: one more refresh after this one, not ten
            self._refresh_again = True
            return
        self._refreshing = True
        self.runner.run(self.desk.queries.jobs, success=self._loaded, failure=self._load_failed)

    def _loaded(self, jobs: list[Job]) -> None:
        self._refreshing = False
        current = self.current_job()
        # A load that started before this console's own action must not bring back the older
        # version the action already replaced.
        shown = {j.id: j for j in self.model.jobs()}
        jobs = [shown[j.id] if j.id in shown and shown[j.id].version > j.version else j
                for j in jobs]
        self.model.set_rows(jobs)
        ids = {j.id for j in jobs}
        if self.known_ids is not None:
            new = [j.student_name for j in jobs if j.id not in self.known_ids
                   and j.status is Status.UPLOADED]
            if new:
                self.notifier.new_jobs(new)
        self.known_ids = ids
        self._update_counts(jobs)
        self.last_updated = datetime.now(UTC)
        stamp = self.last_updated.astimezone(self.services.tz).strftime("%H:%M:%S")
        self.updated_label.setText(f"Last updated {stamp}")
        if current is None or not self.select_job(current.id):
            if self.proxy.rowCount():  # something is always shown in the detail pane
                self.table.selectRow(0)
        self._fetch_thumbnails()
        if self._refresh_again:
            self._refresh_again = False
            self.refresh()

    def _load_failed(self, error: BaseException) -> None:
        self._refreshing = False
        self._show_refusal(f"Could not read the queue: {error}")

    def _update_counts(self, jobs: list[Job]) -> None:
        now = datetime.now(UTC)
        counts = {s: 0 for s in Status}
        for job in jobs:
            counts[job.status] += 1
        late = sum(1 for j in jobs if expired(j, now))
        for index, status in enumerate(self.tab_statuses):
            extra = f" · {late} expired" if status is Status.PENDING and late else ""
            label = STATUS_LABELS[status].replace("&", "&&")  # a lone & would be a mnemonic
            self.tabs.setTabText(index, f"{label} ({counts[status]}{extra})")
        new = sum(1 for j in jobs if j.is_new and j.status in ACTIVE_STATUSES)
        self.setWindowTitle(f"PrintDesk · {new} new" if new else "PrintDesk")
        self.notifier.set_count(new)

    def _fetch_thumbnails(self) -> None:
        wanted = []
        for row in range(min(self.proxy.rowCount(), THUMBS_PER_REFRESH)):
            job = self.proxy.index(row, 0).data(JOB_ROLE)
            if not self.model.has_thumbnail(job.id):
                wanted.append(job)
        for job in wanted:
            self.runner.run(lambda j=job: self.services.thumbnail(j),
                            success=lambda data, j=job: self._thumbnail(j.id, data),
                            failure=lambda _e: None)

    def _thumbnail(self, job_id: str, data: bytes | None) -> None:
        if data:
            image = QImage.fromData(data)
            if not image.isNull():
                self.model.set_thumbnail(job_id, QPixmap.fromImage(image).scaled(
                    48, 48, Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation))

    # --- selection and detail ---------------------------------------------------------------

    def current_job(self) -> Job | None:
        index = self.table.currentIndex()
        return index.data(JOB_ROLE) if index.isValid() else None

    def select_job(self, job_id: str) -> bool:
        row = self.model.row_of(job_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)
        return True

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        job = current.data(JOB_ROLE) if current.isValid() else None
        self.detail.show_job(job)
        if job is None:
            return
        queries = self.desk.queries
        self.runner.run(lambda: (queries.events(job.id), queries.files(job.id),
                                 queries.links(job.id)),
                        success=lambda r, jid=job.id: self._detail_loaded(jid, *r),
                        failure=lambda e: self._show_refusal(str(e)))

    def _detail_loaded(self, job_id: str, events: list, files: list, links: dict) -> None:
        job = self.current_job()
        if job is None or job.id != job_id:
            return  # the selection moved on meanwhile
        self.detail.show_job(job, links)
        self.detail.show_events(events)
        self.detail.show_files(files)

    def _sort(self, column: int, order: Qt.SortOrder) -> None:
        current = self.current_job()
        self.model.sort(column, order)
        if current is not None:
            self.select_job(current.id)

    def _tab_changed(self, index: int) -> None:
        status = self.tab_statuses[index]
        self.proxy.set_status(status)
        # Oldest first where work waits; newest first in the final tabs.
        order = Qt.SortOrder.DescendingOrder if status in ACTIVE_STATUSES else Qt.SortOrder.AscendingOrder
        header = self.table.horizontalHeader()
        if header.sortIndicatorSection() == COL_AGE and header.sortIndicatorOrder() == order:
            self._sort(COL_AGE, order)
        else:
            header.setSortIndicator(COL_AGE, order)
        self.table.selectRow(0) if self.proxy.rowCount() else self.detail.show_job(None)
        self._fetch_thumbnails()

    # --- actions ----------------------------------------------------------------------------

    def _request(self, action: str) -> None:
        job = self.current_job()
        if job is not None and not self.locked:
            self.banner.hide()
            self.controller.request(action, job)

    def _save_notes(self, notes: str) -> None:
        job = self.current_job()
        if job is not None:
            self.controller.save_notes(job, notes)

    def _after_action(self, job: Job) -> None:
        self.banner.hide()
        self._show_updated(job)
        self.statusBar().showMessage(f"{job.short_id.upper()}: now {job.status.value}", 6000)

    def _show_updated(self, job: Job) -> None:
        # The returned job carries the new version: the next action must not wait for the refresh.
        self.model.update_job(job)
        self._update_counts(self.model.jobs())
        current = self.current_job()
        if current is not None and current.id == job.id:
            self.detail.show_job(job, None)
        self.refresh()

    def _show_refusal(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.show()
        self.refresh()

    def open_in_slicer(self) -> None:
        job = self.current_job()
        if job is None or self.locked:
            return
        self.runner.run(lambda: self.services.open_in_slicer(job),
                        success=lambda name: self._opened(job, name),
                        failure=lambda e: self._show_refusal(str(e)))

    def _opened(self, job: Job, program: str) -> None:
        self.banner.hide()
        self.statusBar().showMessage(f"Opened {job.short_id.upper()} in {program}", 6000)
        if job.is_new:  # opening the file is reviewing it
            self.controller.mark_reviewed_quietly(job)

    def show_in_folder(self) -> None:
        job = self.current_job()
        if job is not None:
            self.runner.run(lambda: self.services.show_in_folder(job),
                            failure=lambda e: self._show_refusal(str(e)))

    def open_settings(self) -> None:
        from desktop.settings_dialog import SettingsDialog

        if self.locked:
            return
        dialog = SettingsDialog(self, self.desk, self.services)
        open_ = [True]  # a detection result arriving after the dialog closed is dropped
        self.runner.run(self.services.detected,
                        success=lambda found: open_[0] and dialog.show_detected(found),
                        failure=lambda _e: open_[0] and dialog.show_detected([]))
        saved = dialog.exec()
        open_[0] = False
        dialog.deleteLater()  # destroyed now, while Qt is alive, not by Python at exit
        if saved:
            settings = self.services.settings
            self.notifier.sound_on, self.notifier.tray_on = settings.sound, settings.notifications
            self.idle.set_minutes(self.services.idle_minutes)
            self.model.tz = self.detail.tz = self.services.tz
            self.refresh()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.live.stop()
        self.idle.stop()
        QApplication.instance().removeEventFilter(self.idle)
        self.runner.shutdown()
        super().closeEvent(event)

