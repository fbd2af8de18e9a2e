"""`printdesk cleanup [--days N] [--apply]`: list (and with --apply remove) the files of jobs
finished more than N days ago. A dry run changes nothing."""

from __future__ import annotations

import argparse

from core.config import Config
from core.domain.errors import ValidationError
from core.ops.doctor_report import size_text
from printdesk.cli import OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=int, metavar="N",
                        help="jobs finished more than N days ago (default [limits] "
                             "retention_days)")
    parser.add_argument("--apply", action="store_true",
                        help="remove the files (without it, only list what would go)")


def run(args: argparse.Namespace, config: Config) -> int:
    from core.desk import open_desk
    from core.ops.cleanup import apply_cleanup, plan_cleanup

    if args.days is not None and not 0 <= args.days <= 36500:
        raise ValidationError({"days": "--days must be between 0 and 36500."})
    desk = open_desk(config, repair=args.apply)  # a dry run changes nothing, not even repairs
    try:
        plan = plan_cleanup(desk, args.days)
        tz = config.tz
        print(f"Jobs rejected or picked up more than {plan.days} "
              f"{'day' if plan.days == 1 else 'days'} ago "
              f"(before {plan.cutoff.astimezone(tz):%Y-%m-%d %H:%M}):")
        for job in plan.jobs:
            print(f"  {job.reference:<10} {job.student_name:<28} {job.status:<18} since "
                  f"{job.since.astimezone(tz):%Y-%m-%d}  {size_text(job.size):>10}")
        if not plan.jobs:
            print("  none: nothing to clean up.")
            return OK
        print(f"{len(plan.jobs)} job(s), {size_text(plan.total)} to free.")
        if not args.apply:
            print("Nothing was changed (a dry run): add --apply to remove these files. Each "
                  "job's record, history and metadata.json stay.")
            return OK
        result = apply_cleanup(desk, plan)
    finally:
        desk.close()
    print(f"Removed the files of {len(result.purged)} job(s): {size_text(result.freed)} freed; "
          "their records and history stay.")
    if result.skipped:
        print(f"  left alone, changed meanwhile: {', '.join(result.skipped)}")
    return OK
