"""The staff console's main window: it puts the lock screen, the queue, the detail pane and the
status bar together and routes between them. Loading rows (desktop/refresher.py), the detail
(desktop/detail_loader.py), thumbnails (desktop/thumbs.py) and actions (desktop/controller.py)
live in their own files; every core call goes through the TaskRunner, so nothing here blocks."""

from __future__ import annotations

from datetime import UTC, datetime

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
from core.console.services import ConsoleServices
from core.desk import Desk
from core.domain.statuses import STATUS_LABELS
from core.domain.values import Job
from desktop import counts
from desktop.controller import ActionController
from desktop.detail import DetailPane
from desktop.detail_loader import DetailLoader
from desktop.icon import app_icon
from desktop.live import LiveUpdates, Notifier
from desktop.lock import IdleWatcher, LockScreen
from desktop.outbox_view import OutboxPanel
from desktop.plain import plain_label
from desktop.queue_view import QueueView
from desktop.refresher import QueueRefresher
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
        self.worker_timer = QTimer(self)
        self.worker_timer.setInterval(WORKER_CHECK_MS)
        self.worker_timer.timeout.connect(self.refresh)
        self._connect()
        self.lock()

    # --- building ---------------------------------------------------------------------------

    def _build_workspace(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.queue = QueueView(self.services.tz)
        self.queue.model.overdue_days = min(days_of(self.desk.config.email.pickup_reminder_days)
                                            or (3,))
        # The parts tests and other modules reach through the window.
        self.model, self.proxy, self.table = self.queue.model, self.queue.proxy, self.queue.table
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
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.queue)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([820, 560])
        layout.addWidget(self.banner)
        layout.addWidget(split, 1)
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
        self.queue.job_selected.connect(self.details.load)
        self.queue.job_selected.connect(self._show_messages)
        self.queue.job_selected.connect(lambda _j: self.thumbs.fetch(
            self.queue.visible_jobs(FIRST_ROWS)))
        self.queue.open_requested.connect(self.open_in_slicer)
        self.detail.action_requested.connect(self._request)
        self.detail.open_requested.connect(self.open_in_slicer)
        self.detail.folder_requested.connect(self.show_in_folder)
        self.detail.notes_saved.connect(self._save_notes)
        self.controller.changed.connect(self._after_action)
        self.controller.updated.connect(self._show_updated)
        self.controller.refused.connect(self._show_refusal)
        self.live.changed.connect(self.refresh)
        self.refresher.refreshed.connect(self._refreshed)
        self.refresher.failed.connect(self._show_refusal)
        self.refresher.new_jobs.connect(self.notifier.new_jobs)
        self.refresher.answered.connect(self.notifier.student_answered)
        self.runner.busy_changed.connect(lambda busy: self.setCursor(
            Qt.CursorShape.BusyCursor if busy else Qt.CursorShape.ArrowCursor))

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
        self.refresh(full=True)
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
        stamp = self.refresher.last_updated.astimezone(self.services.tz).strftime("%H:%M:%S")
        self.updated_label.setText(f"Last updated {stamp}")
        self._show_worker()
        email = self.refresher.email
        if email is not None:
            self.email_label.setText(email.summary)
            self.email_label.setStyleSheet("" if email.ready and not email.failed
                                           else "color: #a4001d; font-weight: 600;")
        self.queue.keep_selection(current.id if current else None)
        self.thumbs.fetch(self.queue.visible_jobs(FIRST_ROWS))

    def _show_worker(self) -> None:
        info = self.refresher.worker
        if info is not None and info.alive(datetime.now(UTC)):
            self.worker_label.setText(f"Background worker: running on {info.machine}")
            self.worker_label.setStyleSheet("")
        else:
            self.worker_label.setText("No background worker is running: thumbnails (and "
                                      "later email) wait. Start `printdesk intake` or "
                                      "`printdesk worker`.")
            self.worker_label.setStyleSheet("color: #a4001d; font-weight: 600;")

    # --- selection --------------------------------------------------------------------------

    def _show_messages(self, job: Job | None) -> None:
        if job is None:
            self.messages.model.set_rows([])
        else:
            self.messages.show_job(job.id)

    def current_job(self) -> Job | None:
        return self.queue.current_job()

    def select_job(self, job_id: str) -> bool:
        return self.queue.select_job(job_id)

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
        # The action's result carries the new version: the next action must not wait for a
        # refresh, and the refresh will know this change as this console's own.
        self.refresher.apply_own(job)
        current = self.current_job()
        if current is not None and current.id == job.id:
            self.details.load(job)
        self._update_counts()

    def _update_counts(self) -> None:
        jobs = self.model.jobs()
        self.queue.set_tab_texts(counts.tab_texts(jobs, self.tab_statuses, datetime.now(UTC),
                                                  self.model.overdue_days))
        new = counts.new_count(jobs)
        self.setWindowTitle(f"PrintDesk · {new} new" if new else "PrintDesk")
        self.notifier.set_count(new)

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

    def open_outbox(self) -> None:
        from desktop.outbox_view import OutboxDialog

        if self.locked:
            return
        dialog = OutboxDialog(self, self.desk, self.runner, self.services.tz)
        dialog.exec()
        dialog.deleteLater()
        self.refresh()

    def open_settings(self) -> None:
        from desktop.settings_dialog import SettingsDialog

        if self.locked:
            return
        dialog = SettingsDialog(self, self.desk, self.services, runner=self.runner)
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
            self.refresh(full=True)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.live.stop()
        self.idle.stop()
        self.worker_timer.stop()
        QApplication.instance().removeEventFilter(self.idle)
        self.runner.shutdown()
        super().closeEvent(event)
