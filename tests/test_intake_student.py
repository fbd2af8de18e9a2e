"""The student's link pages: job status, and confirming or declining a quote."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from core.desk import open_desk
from intake import create_app
from tests.helpers import csrf_token, submit


def approve(desk, job):
    return desk.workflow.approve(job.id, job.version, weight_g="47.3", print_time_h="2",
                                 material="Filament", printer="Prusa MK4S")


def confirm_path(desk, job) -> str:
    return "/confirm/" + desk.queries.confirm_url(job.id).rsplit("/", 1)[1]


def status_path(desk, job) -> str:
    return "/status/" + desk.queries.status_token(job.id)


def test_status_page_shows_status_timeline_cost_and_queue(client, desk) -> None:
    older = submit(desk).job
    older = approve(desk, older)
    desk.workflow.confirm_on_behalf(older.id, older.version, "in person")
    job = approve(desk, submit(desk, student_name="Sam Lee").job)
    page = client.get(status_path(desk, job)).get_data(as_text=True)
    assert "Quoted, waiting for your confirmation" in page and "$4.73" in page
    assert "Approved: quote sent" in page and "Submitted" in page
    assert "Queue position" not in page
    job = desk.workflow.confirm(confirm_path(desk, job).rsplit("/", 1)[1])
    page = client.get(status_path(desk, job)).get_data(as_text=True)
    assert "in the print queue" in page and "Queue position</dt><dd>2 of 2" in page
    assert "You confirmed the quote" in page
    desk.workflow.edit_notes(job.id, job.version, "staff-only remark")
    assert "staff-only remark" not in client.get(status_path(desk, job)).get_data(as_text=True)
    # Lab time zone: America/Chicago is shown as CST/CDT, never UTC.
    assert re.search(r"\b(CST|CDT)\b", page) and " UTC" not in page


def test_status_token_opens_only_its_job(client, desk) -> None:
    job = submit(desk).job
    good = status_path(desk, job)
    assert client.get(good).status_code == 200
    for bad in (good[:-2] + "xx", "/status/" + job.id, "/status/" + job.short_id, "/status/x.y"):
        response = client.get(bad)
        assert response.status_code == 404 and "not valid" in response.get_data(as_text=True)


def test_confirm_page_shows_the_quote_and_confirms(client, desk) -> None:
    job = approve(desk, submit(desk).job)
    path = confirm_path(desk, job)
    page = client.get(path).get_data(as_text=True)
    for text in ("$4.73", "47.3 g", "2.0 h", "Prusa MK4S", "Blue", "Confirm and print", "Decline"):
        assert text in page, text
    response = client.post(path, data={"choice": "confirm", "csrf_token": csrf_token(client, path)})
    assert response.status_code == 200 and "in the queue" in response.get_data(as_text=True)
    assert desk.queries.job(job.id).status.value == "ReadyToPrint"
    used = client.get(path)
    assert used.status_code == 410 and "already been used" in used.get_data(as_text=True)
    # The used link's page sends the student to the job's status page, which works.
    status_link = re.search(r'href="(/status/[^"]+)">See your job&#39;s status',
                            used.get_data(as_text=True))
    assert status_link, used.get_data(as_text=True)
    assert "in the print queue" in client.get(html.unescape(status_link.group(1))).get_data(as_text=True)
    again = client.post(path, data={"choice": "confirm", "csrf_token": csrf_token(client)})
    assert again.status_code == 410


def test_decline_closes_the_job(client, desk) -> None:
    job = approve(desk, submit(desk).job)
    path = confirm_path(desk, job)
    response = client.post(path, data={"choice": "decline", "csrf_token": csrf_token(client, path)})
    assert "nothing will be printed" in response.get_data(as_text=True)
    assert desk.queries.job(job.id).reject_reasons == ("Declined by student",)


def test_confirm_without_csrf_is_refused(client, desk) -> None:
    job = approve(desk, submit(desk).job)
    response = client.post(confirm_path(desk, job), data={"choice": "confirm"})
    assert response.status_code == 400
    assert desk.queries.job(job.id).status.value == "Pending"


def test_tampered_replaced_and_expired_tokens_get_friendly_pages(client, desk) -> None:
    job = approve(desk, submit(desk).job)
    first = confirm_path(desk, job)
    tampered = client.get(first[:-4] + "AAAA")
    assert tampered.status_code == 404 and "not valid" in tampered.get_data(as_text=True)
    job = desk.workflow.resend_confirmation(job.id, job.version)
    replaced = client.get(first)
    assert replaced.status_code == 410 and "newer confirmation link" in replaced.get_data(as_text=True)
    later = open_desk(desk.config, now=lambda: datetime.now(UTC) + timedelta(days=8))
    try:
        late_client = create_app(later.config, later, {"TESTING": True}).test_client()
        expired = late_client.get(confirm_path(desk, job))
        assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    finally:
        later.close()
    for response in (tampered, replaced, expired):
        assert "Traceback" not in response.get_data(as_text=True)


def test_the_status_page_shows_the_models_picture_once_drawn(client, desk) -> None:
    from tests.helpers import run_worker_once

    result = submit(desk)
    page = client.get(f"/status/{result.status_token}").get_data(as_text=True)
    assert "thumbnail.png" not in page  # not drawn yet: no broken image
    assert client.get(f"/status/{result.status_token}/thumbnail.png").status_code == 404
    run_worker_once(desk)
    page = client.get(f"/status/{result.status_token}").get_data(as_text=True)
    assert f'src="/status/{result.status_token}/thumbnail.png"' in page
    picture = client.get(f"/status/{result.status_token}/thumbnail.png")
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    assert picture.data.startswith(b"\x89PNG")
    assert client.get("/status/forged-token/thumbnail.png").status_code == 404


def test_pages_promise_email_only_when_it_can_go(client, desk) -> None:
    from core.config.file import update_config_file

    result = submit(desk)
    form = client.get("/").get_data(as_text=True)
    success = client.get(f"/submitted/{result.status_token}").get_data(as_text=True)
    assert "We send your quote and pickup notice here." not in form
    assert "You receive an email" not in success
    assert "The lab tells you the cost and gives you a link to confirm it." in success
    update_config_file(desk.config.config_target, "smtp",
                       {"host": "smtp.office365.com", "from_address": "fablab@example.edu"})
    form = client.get("/").get_data(as_text=True)
    success = client.get(f"/submitted/{result.status_token}").get_data(as_text=True)
    assert "We send your quote and pickup notice here." in form
    assert "You receive an email at" in success
