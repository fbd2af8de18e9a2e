"""Email in the console: the outbox view and a job's messages, the status bar when email is not
set up, Settings → Email (saved for the whole lab, the password never shown back, a test email),
and a heads-up when a student answers a quote."""

from __future__ import annotations

import stat
import tomllib

from PySide6.QtGui import QGuiApplication

from core.mail import outbox
from core.mail.settings import PASSWORD_FILE, smtp_settings
from desktop.outbox_view import OutboxDialog
from desktop.settings_dialog import SettingsDialog
from tests.console_helpers import on_next_dialog, screenshot, select, unlock
from tests.helpers import submit
from tests.smtpserver import SmtpServer


def approve(desk, email: str = "jane.doe@example.edu"):
    job = submit(desk, student_email=email).job
    return desk.workflow.approve(job.id, job.version, weight_g="20", print_time_h="1",
                                 material="Filament", printer="Prusa MK4S")


def test_without_smtp_the_status_bar_says_messages_wait(qtbot, window, desk) -> None:
    approve(desk)
    unlock(qtbot, window)
    qtbot.waitUntil(lambda: window.email_label.text() != "")
    assert window.email_label.text() == "Email not set up (1 waiting)"
    assert "Settings → Email" in window.email_label.toolTip()


def test_the_outbox_shows_states_errors_and_retries_cancels_copies(qtbot, window, desk) -> None:
    jobs = [approve(desk, f"s{n}@example.edu") for n in range(3)]
    failed, queued, _waiting = outbox.entries(desk)  # newest first
    from sqlalchemy import update

    from storage.tables import OutboxRow
    with desk.db.write() as session:  # as a refusing server would have left it
        session.execute(update(OutboxRow).where(OutboxRow.id == failed.id).values(
            state="failed", attempts=8, last_error="550 5.1.1 Recipient address rejected"))
    unlock(qtbot, window)
    shots: list[str] = []

    def inspect(dialog) -> None:
        assert isinstance(dialog, OutboxDialog)
        panel = dialog.panel
        qtbot.waitUntil(lambda: panel.model.rowCount() == 3)
        rows = {panel.model.entries[r].id: r for r in range(3)}
        cells = [panel.model.index(rows[failed.id], c).data() for c in range(8)]
        assert cells[3] == "failed" and cells[7] == "550 5.1.1 Recipient address rejected"
        assert "1 failed" in panel.summary.text()
        panel.table.selectRow(rows[failed.id])
        assert panel.retry.isEnabled() and panel.copy.isEnabled()
        panel.retry.click()
        qtbot.waitUntil(lambda: outbox.entries(desk)[0].state == "queued")
        panel.table.selectRow(rows[queued.id])
        panel.cancel.click()
        qtbot.waitUntil(lambda: any(e.state == "cancelled" for e in outbox.entries(desk)))
        qtbot.waitUntil(lambda: panel.model.rowCount() == 3 and any(
            e.state == "cancelled" for e in panel.model.entries))
        panel.table.selectRow([e.id for e in panel.model.entries].index(failed.id))
        panel.copy.click()
        copied = QGuiApplication.clipboard().text()
        assert copied.startswith(f"To: {failed.to}\nSubject: {failed.subject}\n\n")
        assert "confirm" in copied  # the whole message, link included
        shots.append(str(screenshot(dialog, "console-outbox.png")))
        dialog.accept()

    on_next_dialog(inspect)
    window.open_outbox()
    assert shots
    states = sorted(e.state for e in outbox.entries(desk))
    assert states == ["cancelled", "queued", "queued"]
    assert len(jobs) == 3


def test_a_jobs_detail_shows_its_messages(qtbot, window, desk) -> None:
    job = approve(desk)
    other = approve(desk, "other@example.edu")
    unlock(qtbot, window)
    select(qtbot, window, job.id)
    qtbot.waitUntil(lambda: window.messages.model.rowCount() == 1)
    [entry] = window.messages.model.entries
    assert entry.job_id == job.id and entry.kind == "approval"
    select(qtbot, window, other.id)
    qtbot.waitUntil(lambda: window.messages.model.entries
                    and window.messages.model.entries[0].job_id == other.id)


def test_settings_email_saves_for_the_lab_and_never_shows_the_password(qtbot, window, desk,
                                                                        tmp_path) -> None:
    server = SmtpServer().start()
    try:
        unlock(qtbot, window)
        sent: list[str] = []

        def fill(dialog) -> None:
            assert isinstance(dialog, SettingsDialog)
            email = dialog.email
            email.edits["host"].setText("127.0.0.1")
            email.port.setValue(server.port)
            email.security.setCurrentText("none")
            email.edits["from_address"].setText("fablab@example.edu")
            email.password.setText("s3cret-smtp")
            email.test_to.setText("staff@example.edu")
            email.test_button.click()
            qtbot.waitUntil(lambda: email.result.text().startswith("Sent to"), timeout=15000)
            sent.append(email.result.text())
            dialog.tabs.setCurrentWidget(email)
            screenshot(dialog, "console-settings-email.png")
            dialog.save()

        on_next_dialog(fill)
        window.open_settings()
        assert sent == ["Sent to staff@example.edu: check its inbox."]
        assert server.received[0].message["Subject"].endswith("test email from PrintDesk")
    finally:
        server.stop()
    written = tomllib.loads(desk.config.config_target.read_text())["smtp"]
    assert written["host"] == "127.0.0.1" and written["port"] == server.port
    assert written["password"] == "" and written["password_file"] == PASSWORD_FILE
    secret = desk.config.data_dir / PASSWORD_FILE
    assert secret.read_text() == "s3cret-smtp" and stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert smtp_settings(desk.config).host == "127.0.0.1"  # the worker sees it without restart

    def reopen(dialog) -> None:
        assert dialog.email.password.text() == ""  # never shown back
        assert "stored" in dialog.email.password.placeholderText()
        dialog.reject()

    on_next_dialog(reopen)
    window.open_settings()


def test_staff_hear_when_a_student_confirms(qtbot, window, desk) -> None:
    from core.domain import tokens

    job = approve(desk)
    unlock(qtbot, window)
    with desk.db.read() as session:
        from storage.tables import JobRow

        nonce = session.get(JobRow, job.id).confirm_nonce
    desk.workflow.confirm(tokens.confirm_token(desk.secret, job.id, nonce))  # from the web page
    qtbot.waitUntil(lambda: any("confirmed the quote" in n for n in window.notifier.notified),
                    timeout=5000)
    assert window.notifier.notified[-1] == f"Jane Doe confirmed the quote for {job.short_id.upper()}"
