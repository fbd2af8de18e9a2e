"""The staff console's main window: it puts the lock screen, the queue, the detail pane and the
status bar together and routes between them. Loading rows (desktop/refresher.py), the detail
(desktop/detail_loader.py), thumbnails (desktop/thumbs.py) and actions (desktop/controller.py)
live in their own files; every core call goes through the TaskRunner, so nothing here blocks."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.config.keys import days_of
from core.console.services import EARLY_EXIT_S, ConsoleServices, Launched
from core.desk import Desk
from core.domain.statuses import STATUS_LABELS
from core.domain.values import Job, JobSummary, summary_of
from core.jobs.history import describe
from core.jobs.unit import Changed
from desktop import counts
from desktop.backup_status import install as install_backup_status
from desktop.cleanup_dialog import install as install_cleanup
from desktop.controller import ActionController
from desktop.detail import DetailPane
from desktop.detail_loader import DetailLoader
from desktop.icon import app_icon
from desktop.intake_status import install as show_intake_status
from desktop.live import LiveUpdates, Notifier
from desktop.lock import IdleWatcher, LockScreen
from desktop.outbox_view import OutboxPanel
from desktop.plain import plain_label, plain_tip
from desktop.queue_view import QueueView
from desktop.refresher import QueueRefresher
from desktop.reports_view import install as install_reports
from desktop.status_labels import show_checked, show_worker
from desktop.style import ALARM
from desktop.tasks import TaskRunner
from desktop.thumbs import FIRST_ROWS, ThumbnailFetcher

WORKER_CHECK_MS = 15_000  # how often the status bar re-reads whether a worker is alive


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
        self.controller = ActionController(desk, self.runner, self)
        self.notifier = Notifier(self)
        self.notifier.sound_on, self.notifier.tray_on = settings.sound, settings.notifications
        self.live = LiveUpdates(desk, live_interval, self)  # watching only while unlocked

        self.stack = QStackedWidget()
        self.lock_screen = LockScreen(desk, self.runner)
        self.workspace = self._build_workspace()
        self.stack.addWidget(self.lock_screen)
        self.stack.addWidget(self.workspace)
        self.setCentralWidget(self.stack)
        self._build_menus()
        self.worker_label = plain_label(wrap=False)
        self.email_label = plain_label(wrap=False)
        self.updated_label = QLabel("Not updated yet")
        self.statusBar().addPermanentWidget(self.email_label)
        self.statusBar().addPermanentWidget(self.worker_label)
        self.statusBar().addPermanentWidget(self.updated_label)

        self.refresher = QueueRefresher(desk, self.runner, self.model, self)
        self.thumbs = ThumbnailFetcher(self.services, self.runner, self.model, self)
        self.details = DetailLoader(desk, self.runner, self.detail, self.current_job,
                                    self._show_refusal, self)
        self.idle = IdleWatcher(self.services.idle_minutes, self)
        QApplication.instance().installEventFilter(self.idle)
        self._restore_columns()
        self.worker_timer = QTimer(self)
        self.worker_timer.setInterval(WORKER_CHECK_MS)
        self.worker_timer.timeout.connect(self.refresh)
        self._connect()
        self.lock()
        show_intake_status(self)  # says when the students' intake is down, offers to start it
        install_cleanup(self)  # Tools → Clean up old jobs…
        install_backup_status(self)  # "Last backup: …" and Tools → Back up now
        install_reports(self)  # Tools → Reports…

    # --- building ---------------------------------------------------------------------------

    def _build_workspace(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.queue = QueueView(self.services.tz, self)
        self.queue.model.overdue_days = min(days_of(self.desk.config.email.pickup_reminder_days)
                                            or (3,))
        # The parts tests and other modules reach through the window.
        self.model, self.table = self.queue.model, self.queue.table
        self.tabs, self.tab_statuses, self.search = (self.queue.tabs, self.queue.tab_statuses,
                                                     self.queue.search)
        self.banner = plain_label()  # refusals may quote what a student or staff typed
        self.banner.setObjectName("banner")
        self.banner.setStyleSheet("background: #fde2e4; color: #6b0012; padding: 6px 10px;"
                                  " border-radius: 6px; font-weight: 600;")
        self.banner.hide()
        self.detail = DetailPane(self.services.tz)
        self.messages = OutboxPanel(self.desk, self.runner, self.services.tz)
        self.detail.add_tab(self.messages, "&Messages")
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.queue.table)
        self.split.addWidget(self.detail)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        self.split.setSizes([880, 480])
        layout.addWidget(self.queue.bar)  # across the whole width: every tab title shows
        layout.addWidget(self.banner)
        layout.addWidget(self.split, 1)
        return page

    def _build_menus(self) -> None:
        menu = self.menuBar().addMenu("&File")
        for text, shortcut, slot in (
            ("&Settings…", QKeySequence.StandardKey.Preferences, self.open_settings),
            ("&Outbox…", QKeySequence("Ctrl+Shift+O"), self.open_outbox),
            ("&Lock", QKeySequence("Ctrl+L"), self.lock),
            ("&Refresh", QKeySequence.StandardKey.Refresh, lambda: self.refresh(full=True)),
            ("&Quit", QKeySequence.StandardKey.Quit, self.close),
        ):
            action = QAction(text, self)
            action.setShortcut(shortcut)
            action.triggered.connect(slot)
            menu.addAction(action)
            self.addAction(action)
        # Backups, cleanup and reports add their entries here (each from its own module).
        self.tools_menu = self.menuBar().addMenu("&Tools")
        find = QAction("Find", self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(lambda: (self.search.setFocus(), self.search.selectAll()))
        self.addAction(find)
        for number, status in enumerate(self.tab_statuses, 1):
            jump = QAction(f"Show {STATUS_LABELS[status]}", self)
            jump.setShortcut(QKeySequence(f"Alt+{number}"))
            jump.triggered.connect(lambda _c=False, n=number - 1: self.tabs.setCurrentIndex(n))
            self.addAction(jump)

    def _connect(self) -> None:
        self.idle.idle.connect(self.lock)
        self.lock_screen.unlocked.connect(self.unlock)
        self.queue.job_selected.connect(self._selected)
        self.queue.tab_shown.connect(self.refresher.show_tab)
        self.queue.search_changed.connect(self.refresher.search)
        self.refresher.searched.connect(self._update_counts)

        self.queue.open_requested.connect(self.open_in_slicer)
        self.detail.action_requested.connect(self._request)
        self.detail.open_requested.connect(self.open_in_slicer)
        self.detail.folder_requested.connect(self.show_in_folder)
        self.detail.notes_saved.connect(self._save_notes)
        self.detail.use_file_requested.connect(self._use_file)
        self.controller.changed.connect(self._after_action)
        self.controller.updated.connect(self._show_updated)
        self.controller.refused.connect(self._show_refusal)
        self.live.changed.connect(self.refresh)
        self.live.checked.connect(self._checked)
        self.refresher.refreshed.connect(self._refreshed)
        self.refresher.failed.connect(self._show_refusal)
        self.refresher.new_jobs.connect(self.notifier.new_jobs)
        self.refresher.answered.connect(self.notifier.student_answered)
        self.runner.busy_changed.connect(lambda busy: self.setCursor(
            Qt.CursorShape.BusyCursor if busy else Qt.CursorShape.ArrowCursor))

    def _restore_columns(self) -> None:
        widths = self.services.settings.column_widths
        for column, width in enumerate(widths[:self.model.columnCount()]):
            self.table.setColumnWidth(column, width)
        self._save_columns_timer = QTimer(self)
        self._save_columns_timer.setSingleShot(True)
        self._save_columns_timer.setInterval(800)  # a drag resizes many times: save once
        self._save_columns_timer.timeout.connect(self._save_columns)
        self.table.horizontalHeader().sectionResized.connect(
            lambda *_: self._save_columns_timer.start())

    def _save_columns(self) -> None:
        widths = tuple(self.table.columnWidth(c) for c in range(self.model.columnCount()))
        settings = replace(self.services.settings, column_widths=widths)
        self.runner.run(lambda: self.services.save(settings), failure=lambda _e: None)

    # --- lock -------------------------------------------------------------------------------

    def _keep_typed_notes(self) -> None:
        """Notes typed and not saved are saved now: leaving a job, locking or quitting."""
        job = self.detail.job
        if job is not None and self.detail.notes_changed():
            self.controller.save_notes(job, self.detail.notes.toPlainText())

    def lock(self) -> None:
        self._keep_typed_notes()
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
        self.worker_timer.stop()
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
        self.worker_timer.start()
        self.refresh(full=True)  # loads the tab shown, the counts, the worker and email state
        self.table.setFocus()

    @property
    def locked(self) -> bool:
        return self.stack.currentWidget() is self.lock_screen

    # --- refresh ----------------------------------------------------------------------------

    @property
    def last_updated(self) -> datetime | None:
        return self.refresher.last_updated

    @property
    def _refreshing(self) -> bool:
        return self.refresher.busy

    def refresh(self, full: bool = False) -> None:
        if not self.locked:
            self.refresher.refresh(full=full)

    def _refreshed(self) -> None:
        current = self.current_job()
        self._update_counts()
        checked = self.refresher.last_checked
        if checked is not None:
            self.updated_label.setText(f"Checked {checked.astimezone(self.services.tz):%H:%M:%S}")
            self.updated_label.setStyleSheet("")
        self._show_worker()
        email = self.refresher.email
        if email is not None:
            self.email_label.setText(email.short)
            self.email_label.setToolTip(plain_tip(email.summary))
            self.email_label.setStyleSheet("" if email.ready and not email.failed
                                           else ALARM)
        self.queue.keep_selection(current.id if current else None)
        self.thumbs.fetch(self.queue.visible_jobs(FIRST_ROWS))

    def _checked(self, ok: bool) -> None:
        show_checked(self.updated_label, ok, self.services.tz)

    def _show_worker(self) -> None:
        show_worker(self.worker_label, self.refresher.worker)

    # --- selection --------------------------------------------------------------------------

    def _selected(self, job: JobSummary | None) -> None:
        previous = self.detail.job
        if previous is not None and (job is None or job.id != previous.id):
            self._keep_typed_notes()
        self.details.load(job)
        self._show_messages(job)
        self.thumbs.fetch(self.queue.visible_jobs(FIRST_ROWS))

    def _show_messages(self, job: JobSummary | None) -> None:
        if job is None:
            self.messages.model.set_rows([])
        else:
            self.messages.show_job(job.id)

    def current_job(self) -> JobSummary | None:
        return self.queue.current_job()

    def acting_on(self) -> Job | None:
        """The selected job's full record, once the detail pane holds it (actions need it)."""
        current, full = self.current_job(), self.detail.job
        return full if current is not None and full is not None and full.id == current.id \
            else None

    def select_job(self, job_id: str) -> bool:
        return self.queue.select_job(job_id)

    # --- actions ----------------------------------------------------------------------------

    def _request(self, action: str) -> None:
        job = self.acting_on()
        if job is not None and not self.locked:
            self.banner.hide()
            self.controller.request(action, job)

    def _use_file(self, name: str) -> None:
        job = self.acting_on()
        if job is not None and not self.locked:
            self.controller.use_file(job, name)

    def _save_notes(self, notes: str) -> None:
        job = self.acting_on()
        if job is not None:
            self.controller.save_notes(job, notes)

    def _after_action(self, job: Job) -> None:
        self.banner.hide()
        self._show_updated(job)
        # Say what happened, as the history will: "ABC123: Staff notes changed".
        events = job.effects.events if isinstance(job, Changed) else ()
        what = describe(events[-1]) if events else f"now {job.status.value}"
        self.statusBar().showMessage(f"{job.short_id.upper()}: {what}", 8000)

    def _show_updated(self, job: Job) -> None:
        # The action's result carries the new version: the next action must not wait for a
        # refresh, and the refresh will know this change as this console's own.
        self.refresher.apply_own(summary_of(job))
        current = self.current_job()
        if current is not None and current.id == job.id:
            self.details.load(job)
        elif current is None:
            self.queue.keep_selection(None)
        self.refresh()  # the counts, at once

    def _update_counts(self) -> None:
        overview = self.refresher.overview
        if overview is None:
            return
        self.queue.set_tab_texts(counts.tab_texts(overview, self.tab_statuses,
                                                  self.refresher.matches))
        new = overview.waiting_new
        self.setWindowTitle(f"PrintDesk · {new} new" if new else "PrintDesk")
        self.notifier.set_count(new)

    def _show_refusal(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.show()
        self.refresh()

    def open_in_slicer(self) -> None:
        job = self.acting_on()
        if job is None or self.locked:
            return
        self.runner.run(lambda: self.services.open_in_slicer(job),
                        success=lambda launched: self._opened(job, launched),
                        failure=lambda e: self._show_refusal(str(e)))

    def _opened(self, job: Job, launched: Launched) -> None:
        self.banner.hide()
        self.statusBar().showMessage(f"Opened {job.short_id.upper()} in {launched.program}", 6000)
        self._watch_launch(launched)
        if job.is_new:  # opening the file is reviewing it
            self.controller.mark_reviewed_quietly(job)

    def show_in_folder(self) -> None:
        job = self.acting_on()
        if job is not None:
            self.runner.run(lambda: self.services.show_in_folder(job),
                            success=self._watch_launch,
                            failure=lambda e: self._show_refusal(str(e)))

    def _watch_launch(self, launched: Launched) -> None:
        """A program that gives up within a moment is reported, not silently gone."""
        def check() -> None:
            self.runner.run(lambda: self.services.launch_problem(launched),
                            success=lambda problem: problem and self._show_refusal(problem))
        QTimer.singleShot(int(EARLY_EXIT_S * 1000), check)

    def open_outbox(self) -> None:
        from desktop.outbox_view import OutboxDialog

        if self.locked:
            return
        dialog = OutboxDialog(self, self.desk, self.runner, self.services.tz)
        dialog.exec()
        dialog.deleteLater()
        self.refresh()

    def open_settings(self) -> None:
        from desktop.settings_dialog import open_settings

        open_settings(self)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.locked:
            self._keep_typed_notes()  # written before the runner's shutdown returns
        self.live.stop()
        self.idle.stop()
        self.worker_timer.stop()
        QApplication.instance().removeEventFilter(self.idle)
        self.runner.shutdown()
        super().closeEvent(event)
