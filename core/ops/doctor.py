"""`printdesk doctor [--repair]`: every check, grouped by area (core.ops.doctor_report).

The job-folder check (database vs folders vs metadata.json) is start-up recovery's, run deep;
the others live in core.ops.doctor_files and core.ops.doctor_checks. Upload leftovers are
looked at first so that, with --repair, they are removed by the check that reports their size.
"""

from __future__ import annotations

from core.desk import Desk
from core.ops.doctor_checks import (
    check_disk,
    check_outbox,
    check_permissions,
    check_spool,
    check_worker,
)
from core.ops.doctor_files import check_files
from core.ops.doctor_report import AREAS, FIXED, OK, PROBLEM, Finding
from core.ops.health import run_checks

FOLDERS = "Job folders"


def _setup(desk: Desk) -> list[Finding]:
    return [Finding("Setup", OK if c.ok else PROBLEM, f"{c.label}: {c.detail}")
            for c in run_checks(desk)]


def _folders(desk: Desk, repair: bool) -> list[Finding]:
    problems = [p for p in desk.recovery.run(repair=repair, deep=True)
                if p.kind != "stale_upload"]  # reported, with its size, under Uploads
    if not problems:
        return [Finding(FOLDERS, OK, "every job's folder, metadata.json and database row agree")]
    return [Finding(FOLDERS, FIXED if p.repaired else PROBLEM, p.message) for p in problems]


def run_doctor(desk: Desk, repair: bool) -> list[Finding]:
    uploads = check_spool(desk, repair)
    findings = [*_setup(desk), *_folders(desk, repair), *uploads,
                *check_files(desk, repair), *check_outbox(desk), *check_worker(desk),
                *check_disk(desk), *check_permissions(desk)]
    order = {area: n for n, area in enumerate(AREAS)}
    return sorted(findings, key=lambda f: order.get(f.area, len(order)))  # stable within areas
