"""The intake in a real browser: Debian's chromium driven by Playwright against the real app served
by waitress, checking what only a browser shows (SPEC §5: the JavaScript checks, the busy button,
the layout on a phone, no CDN, a CSP that nothing on the page violates).

Playwright never downloads a browser here: /usr/bin/chromium is launched directly. Full-page
screenshots go to test-artifacts/ (git-ignored) so a person can look at the pages.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from core.desk import Desk
from tests.helpers import ROOT, model, submit
from tests.intake_server import serving
from tests.realsize import model_of_size

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

FILAMENT_COLORS = [
    "True Red", "True Orange", "Light Orange", "True Yellow", "Dark Yellow", "Lime Green", "Green",
    "Forest Green", "Blue", "Electric Blue", "Midnight Purple", "Light Purple", "Clear",
    "True White", "Gray", "True Black", "Brown", "Copper", "Bronze", "True Silver", "True Gold",
    "Glow in the Dark", "Color Changing",
]
FILAMENT_PRINTERS = ["Prusa MK4S", "Prusa XL", "Raise3D Pro 2 Plus"]
STUDENT = {"name": "Jane Doe", "email": "jane.doe@example.edu", "discipline": "Architecture",
           "class_number": "ARCH 4000", "method": "Filament", "color": "Blue",
           "printer": "Prusa XL", "consent": "yes"}

# The options a student can actually pick in a <select>: not the placeholder, not in a hidden or
# disabled group.
OFFERED_JS = """select => [...select.options]
    .filter(o => o.value && !o.disabled && !o.parentElement.disabled && !o.parentElement.hidden)
    .map(o => o.value)"""
RECORD_SUBMIT_JS = """window.addEventListener("submit", e => {
    const b = document.getElementById("submit-button");
    sessionStorage.setItem("submitted", JSON.stringify({sent: !e.defaultPrevented,
        disabled: b.disabled, busy: b.getAttribute("aria-busy"), text: b.textContent}));
});"""
# Content-Security-Policy violations are reported as console errors too; this makes sure, and
# names them. Init scripts are injected by the browser itself, so the CSP does not apply to them.
CSP_LISTENER = """document.addEventListener("securitypolicyviolation", e =>
    console.error("CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI));"""

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    pytest.skip("the playwright package is not installed (pip install -e .[test])",
                allow_module_level=True)


# --- fixtures -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                              headless=True)
        yield launched
        launched.close()


@pytest.fixture
def server(desk: Desk) -> Iterator[str]:
    """The real intake app, served by waitress on a free local port in a background thread."""
    with serving(desk, RATELIMIT_ENABLED=False) as base:
        yield base


@dataclass
class Recorder:
    """What a page did besides rendering: every request, console errors, uncaught exceptions."""

    requests: list[tuple[str, str]] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        self.console_errors.append(f"{message.text} ({where})")

    def posts(self) -> list[str]:
        return [url for method, url in self.requests if method == "POST"]


@dataclass
class Session:
    page: Page
    log: Recorder
    base: str


@pytest.fixture
def open_session(browser: Browser, server: str) -> Iterator[Callable[..., Session]]:
    contexts = []

    def open_(**context_options: Any) -> Session:
        options = {"viewport": DESKTOP, **context_options}
        context = browser.new_context(base_url=server, **options)
        contexts.append(context)
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        log = Recorder()
        page.on("request", lambda r: log.requests.append((r.method, r.url)))
        page.on("console", log.on_console)
        page.on("pageerror", lambda e: log.page_errors.append(str(e)))
        return Session(page, log, server)

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def session(open_session: Callable[..., Session]) -> Session:
    return open_session()


# --- helpers ------------------------------------------------------------------------------------

def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def offered(page: Page, select: str) -> list[str]:
    return page.locator(select).evaluate(OFFERED_JS)


def fill_form(page: Page, file: Path | None, **overrides: str) -> None:
    """Fill the form the way a student does: type, pick, click."""
    values = {**STUDENT, **overrides}
    page.locator("#student_name").press_sequentially(values["name"])
    page.locator("#student_email").press_sequentially(values["email"])
    page.locator("#discipline").select_option(values["discipline"])
    page.locator("#class_number").press_sequentially(values["class_number"])
    page.locator(f"input[name=print_method][value={values['method']}]").click()
    page.locator("#color").select_option(values["color"])
    page.locator("#printer").select_option(values["printer"])
    page.locator(f"input[name=consent][value={values['consent']}]").check()
    if file is not None:
        page.locator("#file").set_input_files(str(file))


def assert_fits_width(page: Page, width: int) -> None:
    inner, scroll = page.evaluate("[innerWidth, document.documentElement.scrollWidth]")
    assert inner == width, f"the page was zoomed out to {inner} px: something is wider than the screen"
    assert scroll <= inner, f"the page scrolls sideways: {scroll} px of content in {inner} px"


def assert_clean(session: Session) -> None:
    foreign = [url for _, url in session.log.requests if not url.startswith(session.base + "/")]
    assert foreign == [], "requests left the intake's own server"
    assert session.log.console_errors == []
    assert session.log.page_errors == []


# --- tests --------------------------------------------------------------------------------------

def test_a_student_submits_a_model_and_follows_the_status_link(session, desk) -> None:
    page = session.page
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Submit a model for 3D printing")
    screenshot(page, "intake-form.png")

    page.locator("#student_name").press_sequentially(STUDENT["name"])
    page.locator("#student_email").press_sequentially(STUDENT["email"])
    page.locator("#discipline").select_option(STUDENT["discipline"])
    page.locator("#class_number").press_sequentially(STUDENT["class_number"])

    # Color (and printer) wait for the print method; then only that method's choices are offered.
    expect(page.locator("#color")).to_be_disabled()
    expect(page.locator("#printer")).to_be_disabled()
    page.locator("input[name=print_method][value=Filament]").click()
    expect(page.locator("#color")).to_be_enabled()
    expect(page.locator("#printer")).to_be_enabled()
    expect(page.locator("#hint-color")).to_have_text("Colors available for filament.")
    colors = offered(page, "#color")
    assert colors == FILAMENT_COLORS
    assert "Black" not in colors and "White" not in colors  # resin-only colors
    assert offered(page, "#printer") == FILAMENT_PRINTERS

    page.locator("#color").select_option(STUDENT["color"])
    page.locator("#printer").select_option(STUDENT["printer"])
    page.locator("input[name=consent][value=yes]").check()
    page.locator("#file").set_input_files(str(model("20mm-xyz-cube.stl")))
    page.get_by_role("button", name="Submit model").click()

    expect(page).to_have_url(re.compile(r"/submitted/[^/]+$"))
    [job] = desk.queries.jobs()
    assert (job.student_name, job.student_email, job.discipline, job.class_number) == (
        "Jane Doe", "jane.doe@example.edu", "Architecture", "ARCH 4000")
    assert (job.print_method, job.color, job.printer) == ("Filament", "Blue", "Prusa XL")
    assert job.original_filename == "20mm-xyz-cube.stl"
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, your model was received")
    expect(page.locator(".reference .ref")).to_have_text(job.short_id.upper())
    expect(page.get_by_role("heading", name="Model check")).to_be_visible()
    expect(page.locator(".check")).to_contain_text("20.0 × 20.0 × 20.0 mm")
    screenshot(page, "intake-success.png")

    page.get_by_role("link", name="See your job's status").click()
    expect(page).to_have_url(re.compile(r"/status/[^/]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Job {job.short_id.upper()}")
    expect(page.locator(".status-line")).to_contain_text("Received, waiting for review")
    expect(page.locator(".timeline li")).to_have_count(1)
    screenshot(page, "intake-status.png")
    assert_clean(session)


def test_switching_the_method_swaps_colors_and_printers(session) -> None:
    page = session.page
    page.goto("/")
    page.locator("input[name=print_method][value=Filament]").click()
    page.locator("#color").select_option("Gray")  # a name both methods have
    page.locator("#printer").select_option("Prusa XL")
    page.locator("input[name=print_method][value=Resin]").click()
    assert offered(page, "#color") == ["Black", "White", "Gray", "Clear"]
    assert offered(page, "#printer") == ["Formlabs Form 3"]
    expect(page.locator("#color")).to_have_value("")  # the filament Gray is not the resin Gray
    expect(page.locator("#printer")).to_have_value("Formlabs Form 3")  # the only one: chosen
    page.locator("input[name=print_method][value=Filament]").click()
    expect(page.locator("#printer")).to_have_value("")
    assert offered(page, "#color") == FILAMENT_COLORS
    assert_clean(session)


def test_a_wrong_file_type_is_flagged_as_soon_as_it_is_chosen(session, tmp_path) -> None:
    page = session.page
    exe = tmp_path / "homework.exe"
    exe.write_bytes(b"MZ\x90\x00" + b"\x00" * 60)
    page.goto("/")
    page.locator("#file").set_input_files(str(exe))
    error = page.locator("#err-file")
    expect(error).to_have_text("The file must be one of .stl, .obj, .3mf.")
    expect(page.locator("#file")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#file")).to_have_attribute("aria-describedby", re.compile(r"\berr-file\b"))
    # Choosing a good file clears it.
    page.locator("#file").set_input_files(str(model("20mm-xyz-cube.stl")))
    expect(error).to_have_count(0)
    expect(page.locator("#file")).not_to_have_attribute("aria-invalid", "true")
    assert session.log.posts() == []  # nothing was submitted
    assert_clean(session)


def test_an_empty_file_is_flagged_as_soon_as_it_is_chosen(session, tmp_path) -> None:
    page = session.page
    empty = tmp_path / "empty.stl"
    empty.write_bytes(b"")
    page.goto("/")
    page.locator("#file").set_input_files(str(empty))
    expect(page.locator("#err-file")).to_have_text("The file is empty.")
    assert session.log.posts() == []


def test_an_invalid_email_is_flagged_when_leaving_the_field(session) -> None:
    page = session.page
    page.goto("/")
    email = page.locator("#student_email")
    email.press_sequentially("jane.doe@example")
    expect(page.locator("#err-student_email")).to_have_count(0)  # not while typing
    email.press("Tab")
    expect(page.locator("#err-student_email")).to_have_text("Enter a valid email address.")
    expect(email).to_have_attribute("aria-invalid", "true")
    email.press_sequentially(".edu")
    email.blur()
    expect(page.locator("#err-student_email")).to_have_count(0)
    assert session.log.posts() == []
    assert_clean(session)


def test_submitting_with_client_errors_stays_and_focuses_the_first_one(session, tmp_path) -> None:
    page = session.page
    exe = tmp_path / "model.exe"
    exe.write_bytes(b"MZ")
    page.goto("/")
    fill_form(page, exe, email="not-an-email")
    page.get_by_role("button", name="Submit model").click()
    email = page.locator("#student_email")
    expect(email).to_be_focused()
    expect(email).to_be_in_viewport()
    expect(page.locator("#err-student_email")).to_have_text("Enter a valid email address.")
    expect(page.locator("#err-file")).to_contain_text("must be one of")
    expect(page.get_by_role("button", name="Submit model")).to_be_enabled()

    # With the email fixed, the file is the first problem left.
    email.fill("jane.doe@example.edu")
    page.get_by_role("button", name="Submit model").click()
    expect(page.locator("#err-student_email")).to_have_count(0)
    expect(page.locator("#file")).to_be_focused()
    expect(page.locator("#file")).to_be_in_viewport()
    assert session.log.posts() == []
    assert page.url == session.base + "/"
    assert_clean(session)


def test_every_required_field_is_checked_before_anything_is_sent(session) -> None:
    page = session.page
    page.goto("/")
    page.get_by_role("button", name="Submit model").click()
    expected = {
        "student_name": "Enter your name (2 to 100 characters).",
        "student_email": "Enter your email address.",
        "discipline": "Choose your discipline from the list.",
        "class_number": 'Enter your class number, e.g. "ARCH 4000", or "N/A".',
        "print_method": "Choose a print method.",
        "color": "Choose a print method first, then a color.",
        "printer": "Choose a printer.",
        "consent": "You must accept the minimum charge to submit.",
        "file": "Choose a model file to upload.",
    }
    for name, text in expected.items():
        expect(page.locator(f"#err-{name}")).to_have_text(text)
    expect(page.locator("#student_name")).to_be_focused()
    # Answering "No" to the minimum charge is an answer the form cannot take either.
    fill_form(page, model("20mm-xyz-cube.stl"), consent="no")
    page.get_by_role("button", name="Submit model").click()
    expect(page.locator("[id^=err-]")).to_have_count(1)
    expect(page.locator("#err-consent")).to_be_visible()
    assert session.log.posts() == []
    assert_clean(session)


def test_a_server_side_refusal_keeps_the_answers_and_the_file(session, desk) -> None:
    """The server alone knows the per-email cap: its refusal keeps every answer and the uploaded
    model, so the student fixes the email and submits without choosing the file again."""
    for _ in range(desk.config.limits.max_active_jobs_per_email):
        submit(desk, student_email="jane.doe@example.edu")
    page = session.page
    page.goto("/")
    fill_form(page, model("20mm-xyz-cube.stl"))
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        page.get_by_role("button", name="Submit model").click()
    assert response.value.status == 400
    expect(page.locator("#err-student_email")).to_contain_text("jobs in progress")
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Please fix 1 problem")
    expect(summary).to_contain_text("Your answers and your file are kept")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(page.locator("#kept-file")).to_contain_text("20mm-xyz-cube.stl")
    expect(page.locator("#student_name")).to_have_value("Jane Doe")
    expect(page.locator("#discipline")).to_have_value("Architecture")
    expect(page.locator("#class_number")).to_have_value("ARCH 4000")
    expect(page.locator("input[name=print_method][value=Filament]")).to_be_checked()
    expect(page.locator("#color")).to_be_enabled()
    expect(page.locator("#color")).to_have_value("Blue")
    expect(page.locator("#printer")).to_have_value("Prusa XL")
    expect(page.locator("input[name=consent][value=yes]")).to_be_checked()
    screenshot(page, "intake-form-errors.png")

    email = page.locator("#student_email")
    email.fill("jane.other@example.edu")
    page.get_by_role("button", name="Submit model").click()  # no file chosen: the kept one goes
    expect(page).to_have_url(re.compile(r"/submitted/"))
    [job] = [j for j in desk.queries.jobs() if j.student_email == "jane.other@example.edu"]
    assert (job.student_name, job.color, job.printer) == ("Jane Doe", "Blue", "Prusa XL")
    assert job.original_filename == "20mm-xyz-cube.stl" and job.file_size > 0
    assert list((desk.store.root / ".incoming").iterdir()) == []
    assert session.log.page_errors == []


def test_after_the_server_refuses_the_file_the_student_must_choose_one(session, tmp_path) -> None:
    page = session.page
    broken = tmp_path / "broken.stl"
    broken.write_bytes(b"this is not a model, whatever its name says" * 20)
    page.goto("/")
    fill_form(page, broken)
    page.get_by_role("button", name="Submit model").click()
    expect(page.locator("#err-file")).to_be_visible()
    expect(page.locator("#kept-file")).to_have_count(0)  # a refused file is never kept
    page.get_by_role("button", name="Submit model").click()  # the file was not chosen again
    expect(page.locator("#err-file")).to_have_text("Choose a model file to upload.")
    expect(page.locator("#file")).to_be_focused(timeout=2000)


def test_the_submit_button_turns_busy_once_a_valid_form_is_sent(session, desk) -> None:
    page = session.page
    # While a navigation is pending Playwright (and even the DevTools protocol) cannot look at the
    # old page, so the page notes the button's state itself the moment the form is sent: a window
    # listener runs after the form's own submit listener, just before the browser navigates.
    page.add_init_script(RECORD_SUBMIT_JS)
    page.goto("/")
    fill_form(page, model("20mm-xyz-cube.stl"))
    expect(page.locator("#submit-button")).to_be_enabled()
    expect(page.locator("#submit-button")).not_to_have_attribute("aria-busy", "true")
    page.get_by_role("button", name="Submit model").click()
    expect(page).to_have_url(re.compile(r"/submitted/"))
    assert page.evaluate("JSON.parse(sessionStorage.getItem('submitted'))") == {
        "sent": True, "disabled": True, "busy": "true", "text": "Uploading… please wait"}
    assert session.log.posts() == [session.base + "/"]
    assert len(desk.queries.jobs()) == 1

    # The Back button must not bring the form back with a stuck, disabled button.
    page.go_back()
    expect(page.get_by_role("button", name="Submit model")).to_be_enabled()
    expect(page.locator("#submit-button")).not_to_have_attribute("aria-busy", "true")


def test_pages_fit_a_phone_screen(open_session, desk) -> None:
    phone = open_session(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = phone.page
    page.goto("/")
    assert_fits_width(page, PHONE["width"])
    screenshot(page, "intake-form-phone.png")

    page.locator("#submit-button").click()  # client-side errors shown
    expect(page.locator("#err-file")).to_be_visible()
    assert_fits_width(page, PHONE["width"])

    page.reload()
    fill_form(page, model("20mm-xyz-cube.stl"))
    page.locator("#submit-button").click()
    expect(page).to_have_url(re.compile(r"/submitted/"))
    assert_fits_width(page, PHONE["width"])
    page.get_by_role("link", name="See your job's status").click()
    expect(page).to_have_url(re.compile(r"/status/"))
    assert_fits_width(page, PHONE["width"])
    assert_clean(phone)


def test_nothing_leaves_the_lab_and_nothing_breaks_the_security_policy(session, desk) -> None:
    page = session.page
    page.goto("/")
    fill_form(page, model("box.obj"))
    page.get_by_role("button", name="Submit model").click()
    expect(page).to_have_url(re.compile(r"/submitted/"))
    page.get_by_role("link", name="See your job's status").click()
    expect(page).to_have_url(re.compile(r"/status/"))
    methods = {m for m, _ in session.log.requests}
    assert methods == {"GET", "POST"}
    assert any(url.endswith("/static/intake.js") for _, url in session.log.requests)
    assert any(url.endswith("/theme.css") for _, url in session.log.requests)
    assert_clean(session)

    # The listener really reports violations: an inline script is refused and logged as an error.
    with page.expect_console_message(lambda m: "CSP violation: script-src" in m.text):
        # Playwright may report the refused script itself as an error.
        with contextlib.suppress(Exception):
            page.add_script_tag(content="window.injected = true")
    assert page.evaluate("window.injected") is None


@pytest.mark.slow
def test_a_25_mb_model_goes_through_the_browser(session, desk, tmp_path) -> None:
    """What students really send, through the real form in a real browser."""
    page = session.page
    big = model_of_size(tmp_path, "stl", 25)
    page.goto("/")
    fill_form(page, big, printer="Prusa XL")
    page.locator("#submit-button").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, your model was received", timeout=60_000)
    [job] = desk.queries.jobs()
    assert job.file_size == big.stat().st_size and job.analysis["watertight"] is True
    assert_clean(session)
