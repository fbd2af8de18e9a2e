"""Screenshots of the console as staff see it, saved in test-artifacts/ to be looked at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PIL import Image
from PySide6.QtCore import Qt

from core.domain.statuses import Status
from tests.console_helpers import on_next_dialog, screenshot, select, unlock
from tests.helpers import run_worker_once, submit

PEOPLE = [
    ("Ana Silva", "ARCH 4000", "20mm-xyz-cube.stl", "Filament", "Blue", "Prusa MK4S", 2),
    ("José O'Brien", "ENGR 2200", "7_8ths_cube.stl", "Filament", "True Red", "Prusa XL", 30),
    ("Mary-Jane Watts", "N/A", "teapot.stl", "Filament", "Forest Green", "Prusa MK4S", 52),
    ("Søren Kierkegaard", "ART 1010", "rabbit.obj", "Resin", "Gray", "Formlabs Form 3", 80),
    ("Li Wei", "IDES 3100", "box.obj", "Filament", "Electric Blue", "Raise3D Pro 2 Plus", 5),
    ("Zoë Ångström", "LA 2050", "counterX.3MF", "Filament", "True White", "Prusa XL", 12),
    ("Kwame Mensah", "ENGR 1010", "pyramids.3mf", "Filament", "Copper", "Prusa XL", 26),
    ("Priya Natarajan", "ARCH 5000", "unit_sphere.STL", "Resin", "Clear", "Formlabs Form 3", 40),
    ("Tomás Ruiz", "N/A", "octagonal_pocket.stl", "Filament", "Gray", "Prusa MK4S", 60),
    ("Aiko Tanaka", "ART 3300", "cube_and_sphere_same_name.3mf", "Filament", "True Gold",
     "Prusa XL", 90),
    ("Eve <Hacker>", "CS 101", "two_objects.obj", "Filament", "Glow in the Dark", "Prusa MK4S", 8),
    ("Noah Fischer", "ENGR 4000", "large_block.STL", "Filament", "True Black", "Prusa XL", 18),
]


def dozen(desk) -> list:
    jobs, real_now = [], desk.now
    try:
        for n, (name, klass, model, method, color, printer, hours) in enumerate(PEOPLE):
            desk.now = lambda h=hours: datetime.now(UTC) - timedelta(hours=h)
            jobs.append(submit(desk, model, student_name=name, class_number=klass,
                               print_method=method, color=color, printer=printer,
                               student_email=f"student{n}@example.edu").job)
    finally:
        desk.now = real_now
    return jobs


def not_blank(path) -> bool:
    colours = Image.open(path).convert("RGB").getcolors(maxcolors=1 << 16)
    return colours is None or len(colours) > 20


def test_screens(qtbot, window, desk) -> None:
    qtbot.waitUntil(lambda: window.lock_screen.hint.text() != "")
    assert not_blank(screenshot(window, "console-lock.png"))
    jobs = dozen(desk)
    quoted = desk.workflow.approve(jobs[1].id, jobs[1].version, weight_g="47.3",
                                   print_time_h="3.2", material="Filament", printer="Prusa XL")
    # The worker draws each new job's thumbnail (and slices it for an estimate).
    assert run_worker_once(desk) >= len(jobs)
    unlock(qtbot, window)
    window.tabs.setCurrentIndex(0)
    qtbot.waitUntil(lambda: all(window.model.has_thumbnail(j.id) for j in jobs
                                if j.status is Status.UPLOADED and j.id != jobs[1].id),
                    timeout=60_000)
    qtbot.waitUntil(lambda: window.model.rowCount() == 11)
    queue = screenshot(window, "console-queue.png")
    assert not_blank(queue)
    select(qtbot, window, jobs[2].id)
    window.detail.tabs.setCurrentIndex(0)
    qtbot.waitUntil(lambda: window.detail.links["status_url"].text() != "")
    screenshot(window, "console-detail.png")
    select(qtbot, window, quoted.id)
    window.detail.tabs.setCurrentIndex(2)
    events = desk.queries.events(quoted.id)  # submitted, estimated, approved
    qtbot.waitUntil(lambda: window.detail.history.rowCount() == len(events) >= 2)
    screenshot(window, "console-detail-history.png")
    select(qtbot, window, jobs[0].id)
    shots: list[str] = []

    def capture(name: str, fill):
        def handler(dialog) -> None:
            fill(dialog)
            qtbot.wait(50)  # let the dialog lay itself out before the picture
            shots.append(str(screenshot(dialog, name)))
            dialog.reject()
        return handler

    def approve_values(dialog) -> None:
        dialog.weight.setText("12")
        dialog.hours.setText("2.1")

    def reject_values(dialog) -> None:
        dialog.boxes[0].setChecked(True)
        dialog.boxes[5].setChecked(True)
        dialog.other.setPlainText("Please add a 2 mm base so it stands.")

    for action, name, fill in (("approve", "console-approve.png", approve_values),
                               ("reject", "console-reject.png", reject_values)):
        on_next_dialog(capture(name, fill))
        qtbot.mouseClick(window.detail.buttons[action], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda n=name: any(s.endswith(n) for s in shots))
    assert all(not_blank(s) for s in shots)
    assert desk.queries.job(jobs[0].id).status is Status.UPLOADED  # cancelled, nothing changed
