"""Email end to end: each message type reaches a real SMTP server (aiosmtpd) with the right
recipient, subject and escaped content and links that work; a server that is down, that refuses,
that needs STARTTLS with the lab's own CA; two workers; a worker killed mid-send."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from core.config import load_config
from core.config.file import update_config_file
from core.desk import Desk, open_desk
from core.domain.statuses import Status
from core.mail import outbox
from core.mail.reminders import send_reminders
from core.worker.tasks import make_worker
from storage.tables import LeaseRow, OutboxRow
from tests.helpers import ROOT, csrf_token, submit
from tests.smtpserver import SmtpServer

NAME = "<b>Jane</b> & Doe"
EMAIL = "jane.doe@example.edu"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def open_lab(template: Path, data: Path, smtp_values: dict | None) -> Desk:
    shutil.copytree(template, data)
    target = data / "printdesk.toml"
    update_config_file(target, "email", {"pickup_where": "Room 101, Design Building",
                                         "pickup_when": "Mon–Fri 9:00–17:00"})
    if smtp_values is not None:
        update_config_file(target, "smtp", smtp_values)
    return open_desk(load_config(data_dir=data, env={}))


@pytest.fixture
def lab(template_data_dir: Path, tmp_path: Path, smtp: SmtpServer) -> Iterator[Desk]:
    desk = open_lab(template_data_dir, tmp_path / "data", smtp.settings())
    yield desk
    desk.close()


def send(desk: Desk) -> int:
    return make_worker(desk).run_once()


def due_now(desk: Desk) -> None:
    """Time passes: every waiting message is due again, and a dead worker's lease runs out."""
    past = desk.now() - timedelta(seconds=1)
    with desk.db.write() as session:
        session.execute(update(OutboxRow).values(next_attempt_at=past))
        session.execute(update(LeaseRow).values(expires_at=past))


def approved(desk: Desk):
    job = submit(desk, student_name=NAME, student_email=EMAIL).job
    return desk.workflow.approve(job.id, job.version, weight_g="47.3", print_time_h="3.2",
                                 material="Filament", printer="Prusa MK4S")


def link_in(text: str, kind: str) -> str:
    found = re.search(rf"https?://\S+/{kind}/\S+", text)
    assert found, f"no {kind} link in:\n{text}"
    return found.group(0)


# --- each message type --------------------------------------------------------------------------

def test_approval_reaches_the_student_and_its_link_confirms(lab: Desk, smtp: SmtpServer) -> None:
    job = approved(lab)
    assert send(lab) >= 1
    [mail] = smtp.received
    assert mail.recipients == [EMAIL]
    assert mail.message["To"] == EMAIL and "fablab@example.edu" in mail.message["From"]
    assert job.short_id.upper() in mail.message["Subject"] and "$4.73" in mail.message["Subject"]
    assert mail.message["Message-ID"]
    for part in (mail.text, mail.html):
        for fact in ("$4.73", "47.3", "3.5", "Prusa MK4S", "Filament", "Blue"):
            assert fact in part
    assert NAME in mail.text  # plain text says it as typed
    assert "&lt;b&gt;Jane&lt;/b&gt; &amp; Doe" in mail.html and "<b>Jane</b>" not in mail.html
    expires = job.confirm_expires_at.astimezone(lab.config.tz)
    assert expires.strftime("%B") in mail.text and str(expires.year) in mail.text
    assert link_in(mail.text, "status").startswith(lab.config.base_url)
    # The student follows the link from the email and confirms.
    from intake import create_app

    client = create_app(lab.config, lab, {"TESTING": True}).test_client()
    path = link_in(mail.text, "confirm").removeprefix(lab.config.base_url)
    page = client.get(path)
    assert page.status_code == 200 and "$4.73" in page.get_data(as_text=True)
    token = csrf_token(client, path)
    assert client.post(path, data={"choice": "confirm", "csrf_token": token}).status_code == 200
    assert lab.queries.job(job.id).status is Status.READY_TO_PRINT


def test_rejection_lists_every_reason_and_how_to_resubmit(lab: Desk, smtp: SmtpServer) -> None:
    job = submit(lab, student_name=NAME, student_email=EMAIL).job
    lab.workflow.reject(job.id, job.version, ["Walls too thin", "Please add a <base> & fillet"])
    send(lab)
    [mail] = smtp.received
    assert "cannot be printed" in mail.message["Subject"] and job.short_id.upper() in mail.message[
        "Subject"]
    assert "Walls too thin" in mail.text and "Please add a <base> & fillet" in mail.text
    assert "Please add a &lt;base&gt; &amp; fillet" in mail.html
    assert lab.config.base_url + "/" in mail.text  # where to submit again


def test_resent_confirmation_kills_the_old_link(lab: Desk, smtp: SmtpServer) -> None:
    job = approved(lab)
    send(lab)
    lab.workflow.resend_confirmation(job.id, job.version)
    send(lab)
    first, second = smtp.received
    assert "new link" in second.message["Subject"]
    old, new = link_in(first.text, "confirm"), link_in(second.text, "confirm")
    assert old != new
    from intake import create_app

    client = create_app(lab.config, lab, {"TESTING": True}).test_client()
    assert client.get(old.removeprefix(lab.config.base_url)).status_code == 410
    assert client.get(new.removeprefix(lab.config.base_url)).status_code == 200


def printed(desk: Desk):
    w = desk.workflow
    job = approved(desk)
    job = w.confirm_on_behalf(job.id, job.version, "in person")
    job = w.start_printing(job.id, job.version)
    return w.complete(job.id, job.version)


def test_completion_says_where_when_and_how_much(lab: Desk, smtp: SmtpServer) -> None:
    printed(lab)
    send(lab)
    mail = smtp.received[-1]
    assert "ready for pickup" in mail.message["Subject"]
    for fact in ("$4.73", "Room 101, Design Building", "Mon–Fri 9:00–17:00"):
        assert fact in mail.text and fact in mail.html


def test_an_override_emails_only_when_notify_is_ticked(lab: Desk, smtp: SmtpServer) -> None:
    job = submit(lab, student_email=EMAIL).job
    job = lab.workflow.override_status(job.id, job.version, Status.PRINTING, "rush job")
    lab.workflow.override_status(job.id, job.version, Status.COMPLETED, "printed on the XL",
                                 notify=True)
    send(lab)
    [mail] = smtp.received
    assert "is now completed" in mail.message["Subject"]
    assert "printed on the XL" in mail.text


def test_reminders_go_once_each(lab: Desk, smtp: SmtpServer) -> None:
    job = approved(lab)
    real = lab.now
    try:
        lab.now = lambda: real() + timedelta(days=6, hours=12)  # expires in half a day
        assert send_reminders(lab) == 1
        assert send_reminders(lab) == 0  # once
        job = lab.queries.job(job.id)
        w = lab.workflow
        job = w.confirm_on_behalf(job.id, job.version, "in person")
        job = w.start_printing(job.id, job.version)
        job = w.complete(job.id, job.version)
        lab.now = lambda: real() + timedelta(days=6, hours=12) + timedelta(days=3, hours=1)
        assert send_reminders(lab) == 1  # day 3
        assert send_reminders(lab) == 0
        lab.now = lambda: real() + timedelta(days=6, hours=12) + timedelta(days=7, hours=1)
        assert send_reminders(lab) == 1  # day 7
        lab.now = lambda: real() + timedelta(days=30)
        assert send_reminders(lab) == 0  # nothing after the last
        send(lab)
    finally:
        lab.now = real
    kinds = [m.message["Subject"] for m in smtp.received]
    assert sum("please confirm" in s for s in kinds) == 1
    pickups = [m for m in smtp.received if "still waiting for you" in m.message["Subject"]]
    assert [("3 days" in m.text, "7 days" in m.text) for m in pickups] == [(True, False),
                                                                          (False, True)]
    reminders = [e for e in lab.queries.events(job.id) if e.type == "reminder"]
    assert [e.details["kind"] for e in reminders] == ["confirmation", "pickup", "pickup"]


def test_reminders_can_be_switched_off(template_data_dir: Path, tmp_path: Path,
                                       smtp: SmtpServer) -> None:
    desk = open_lab(template_data_dir, tmp_path / "data", smtp.settings())
    update_config_file(desk.config.config_target, "email", {"confirmation_reminder": False})
    desk.close()
    desk = open_desk(load_config(data_dir=tmp_path / "data", env={}))
    try:
        approved(desk)
        real = desk.now
        desk.now = lambda: real() + timedelta(days=6, hours=12)
        assert send_reminders(desk) == 0
    finally:
        desk.close()


# --- delivery ----------------------------------------------------------------------------------

def test_a_server_that_is_down_gets_the_message_exactly_once_when_back(
        template_data_dir: Path, tmp_path: Path) -> None:
    server = SmtpServer()  # not started: nobody listens on its port
    desk = open_lab(template_data_dir, tmp_path / "data", server.settings())
    try:
        approved(desk)
        send(desk)
        [entry] = outbox.entries(desk)
        assert entry.state == "queued" and entry.attempts == 1
        assert "cannot reach the server" in entry.last_error
        wait = entry.next_attempt_at - desk.now()
        assert timedelta(seconds=40) < wait < timedelta(seconds=80)  # backed off, with jitter
        send(desk)
        assert outbox.entries(desk)[0].attempts == 1  # not yet due
        server.start()
        due_now(desk)
        send(desk)
        due_now(desk)
        send(desk)
        assert len(server.received) == 1
        assert outbox.entries(desk)[0].state == "sent"
    finally:
        server.stop()
        desk.close()


def test_a_refusing_server_fails_the_message_visibly_and_it_can_be_retried(
        lab: Desk, smtp: SmtpServer) -> None:
    smtp.handler.refuse = "550 5.1.1 Recipient address rejected"
    approved(lab)
    for _ in range(3):  # [smtp] max_attempts = 3 here
        send(lab)
        due_now(lab)
    [entry] = outbox.entries(lab)
    assert entry.state == "failed" and entry.attempts == 3
    assert "550 5.1.1 Recipient address rejected" in entry.last_error
    assert outbox.counts(lab)["failed"] == 1
    send(lab)
    assert outbox.entries(lab)[0].attempts == 3  # a failed message is left alone
    smtp.handler.refuse = None
    outbox.retry(lab, entry.id)
    send(lab)
    assert outbox.entries(lab)[0].state == "sent" and len(smtp.received) == 1


def test_a_cancelled_message_is_never_sent(lab: Desk, smtp: SmtpServer) -> None:
    lab_without = lab
    approved(lab_without)
    [entry] = outbox.entries(lab_without)
    outbox.cancel(lab_without, entry.id)
    send(lab_without)
    assert smtp.received == [] and outbox.entries(lab_without)[0].state == "cancelled"


def test_without_smtp_messages_wait_untouched(template_data_dir: Path, tmp_path: Path) -> None:
    desk = open_lab(template_data_dir, tmp_path / "data", None)
    try:
        approved(desk)
        send(desk)
        [entry] = outbox.entries(desk)
        assert entry.state == "queued" and entry.attempts == 0 and entry.last_error is None
    finally:
        desk.close()


def test_starttls_with_the_labs_own_ca_and_never_without_checking(template_data_dir: Path,
                                                                   tmp_path: Path) -> None:
    server = SmtpServer(tls_dir=tmp_path).start()
    values = server.settings()
    desk = open_lab(template_data_dir, tmp_path / "data", {**values, "ca_file": ""})
    try:
        approved(desk)
        send(desk)  # the certificate is not trusted: refused, not sent unchecked
        [entry] = outbox.entries(desk)
        assert entry.state == "queued" and "certificate" in entry.last_error
        assert server.received == []
        update_config_file(desk.config.config_target, "smtp", values)  # the lab's CA file
        due_now(desk)
        send(desk)
        assert outbox.entries(desk)[0].state == "sent" and len(server.received) == 1
    finally:
        server.stop()
        desk.close()


def worker_process(desk: Desk) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "printdesk", "worker", "--data",
                             str(desk.config.data_dir)], cwd=ROOT, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(desk.config.data_dir)})


@pytest.mark.slow
def test_two_workers_send_each_message_once(lab: Desk, smtp: SmtpServer) -> None:
    for n in range(12):
        job = submit(lab, student_email=f"s{n}@example.edu").job
        lab.workflow.approve(job.id, job.version, weight_g="10", print_time_h="1",
                             material="Filament", printer="Prusa MK4S")
    workers = [worker_process(lab), worker_process(lab)]
    try:
        deadline = time.monotonic() + 60
        while outbox.counts(lab)["sent"] < 12 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
            w.wait(30)
    assert outbox.counts(lab)["sent"] == 12
    ids = [m.message["Message-ID"] for m in smtp.received]
    assert len(ids) == 12 and len(set(ids)) == 12


@pytest.mark.slow
def test_a_worker_killed_mid_send_loses_no_message(lab: Desk, smtp: SmtpServer) -> None:
    smtp.handler.hold = threading.Event()
    approved(lab)
    worker = worker_process(lab)
    try:
        assert smtp.handler.holding.wait(60)  # the server has the message, not yet answered
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        smtp.handler.hold.set()
    [entry] = outbox.entries(lab)
    assert entry.state == "queued"  # not marked sent: the server never said it accepted it
    due_now(lab)
    send(lab)
    assert outbox.entries(lab)[0].state == "sent"
    ids = {m.message["Message-ID"] for m in smtp.received}
    assert ids == {entry.message_id}  # sent again (at least once), as the same message


def test_every_message_type_has_templates_a_lab_can_replace(lab: Desk, smtp: SmtpServer) -> None:
    from core.mail.render import KINDS, lab_templates, render

    folder = lab_templates(lab.config)
    folder.mkdir()
    (folder / "rejection.subject.txt").write_text("Sorry from {{ lab.name }} ({{ job.reference }})")
    job = submit(lab, student_email=EMAIL).job
    lab.workflow.reject(job.id, job.version, ["Walls too thin"])
    send(lab)
    assert smtp.received[0].message["Subject"] == f"Sorry from Fab Lab 3D Printing ({job.short_id.upper()})"
    for kind in KINDS:  # every default template renders with the context it is given
        assert (Path(__file__).parent.parent / "core/mail/templates" / f"{kind}.html").is_file()
    assert render(lab.config, "test", {}).subject == "Fab Lab 3D Printing: test email from PrintDesk"


def test_a_template_added_or_edited_while_running_is_used_at_once(lab: Desk) -> None:
    """Templates are compiled once and kept; a lab's new or edited file still counts."""
    import os

    from core.mail.render import lab_templates, render

    assert render(lab.config, "test", {}).subject.endswith("test email from PrintDesk")
    folder = lab_templates(lab.config)
    folder.mkdir()
    override = folder / "test.subject.txt"
    override.write_text("First words")
    assert render(lab.config, "test", {}).subject == "First words"
    override.write_text("Second words")
    stat = override.stat()
    os.utime(override, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert render(lab.config, "test", {}).subject == "Second words"
    override.unlink()
    assert render(lab.config, "test", {}).subject.endswith("test email from PrintDesk")
