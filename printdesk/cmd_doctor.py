"""`printdesk doctor [--repair]`: the report, area by area, and its exit code (0: fine, warnings
allowed; 1: problems found, or left after --repair)."""

from __future__ import annotations

import argparse

from core.config import Config
from core.ops.doctor_report import FIXED, PROBLEM, WARNING, Finding
from printdesk.cli import OK, PROBLEMS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repair", action="store_true", help="repair what can be repaired")


def report(findings: list[Finding], repair: bool) -> list[str]:
    lines: list[str] = []
    area = None
    for finding in findings:
        if finding.area != area:
            area = finding.area
            lines += [""] if lines else []
            lines.append(area)
        lines.append(f"[{finding.level}] {finding.text}")
    count = {level: sum(f.level == level for f in findings) for level in (PROBLEM, WARNING, FIXED)}
    summary = (f"{count[PROBLEM]} problem(s), {count[WARNING]} warning(s), "
               f"{count[FIXED]} repaired.")
    if count[PROBLEM] and not repair:
        summary += " `printdesk doctor --repair` fixes what it can."
    elif not count[PROBLEM]:
        summary += " Everything that matters is in order."
    lines += ["", summary]
    return lines


def run(args: argparse.Namespace, config: Config) -> int:
    from core.desk import open_desk
    from core.ops.doctor import run_doctor

    desk = open_desk(config, repair=False)
    try:
        findings = run_doctor(desk, repair=args.repair)
    finally:
        desk.close()
    print("\n".join(report(findings, args.repair)))
    return PROBLEMS if any(f.level == PROBLEM for f in findings) else OK
