"""`printdesk report [--from DATE] [--to DATE] [--csv DIR]`: the period's figures as text
tables, and with --csv one CSV file per table."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from core.config import Config
from core.domain.errors import ValidationError
from core.ops.report_csv import TABLES, rows_of, write_csv
from printdesk.cli import OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="start", metavar="YYYY-MM-DD",
                        help="first day (the lab's time zone; default: the first job)")
    parser.add_argument("--to", dest="end", metavar="YYYY-MM-DD",
                        help="last day, included (default: today)")
    parser.add_argument("--csv", type=Path, metavar="DIR", help="also write one CSV per table")


def _day(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError({flag: f"{flag} {text!r}: expected a date like 2026-09-01."}
                              ) from None


def run(args: argparse.Namespace, config: Config) -> int:
    from core.desk import open_desk
    from core.ops.reports import make_report

    start, end = _day(args.start, "--from"), _day(args.end, "--to")
    if start and end and start > end:
        raise ValidationError({"--from": f"--from {start} is after --to {end}."})
    desk = open_desk(config, repair=False)
    try:
        report = make_report(desk, start, end)
    finally:
        desk.close()
    period = f"{start or 'the first job'} to {end or 'today'}"
    print(f"PrintDesk report for {config.lab.name}, {period} ({config.lab.timezone})")
    print(f"  {report.submitted} jobs submitted; {len(report.payments)} picked up; "
          f"revenue ${report.revenue:.2f}")
    for name, (title, header) in TABLES.items():
        rows = rows_of(report, name)
        print(f"\n{title}")
        if not rows:
            print("  (none)")
            continue
        widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
        for row in (header, *rows):
            print("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    if args.csv is not None:
        written = write_csv(report, args.csv)
        print(f"\nWrote {len(written)} CSV files to {args.csv}: "
              f"{', '.join(p.name for p in written)}")
    return OK
