"""`printdesk backup [DEST]` and `printdesk restore ARCHIVE`: one dated archive of the database
and every job's files, made while the desk keeps working; restored only into an empty data
folder, after the whole archive has been checked against its manifest."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.config import Config
from printdesk.cli import OK, REFUSED, USAGE


def add_backup_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dest", nargs="?", type=Path, metavar="DEST",
                        help="folder for the archive (default [backup] folder, else "
                             "<data folder>/backups)")


def add_restore_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("archive", type=Path, help="a printdesk-backup-….zip")


def run_backup(args: argparse.Namespace, config: Config) -> int:
    from core.desk import open_desk
    from core.ops.backup import make_backup

    desk = open_desk(config)
    try:
        result = make_backup(desk, args.dest)
    finally:
        desk.close()
    print(f"Backed up {result.jobs} jobs ({result.files} files, {result.size / 2**20:.1f} MB) "
          f"in {result.seconds:.1f} s to {result.path}")
    return OK


def run_restore(args: argparse.Namespace, config: Config) -> int:
    from core.ops.backup import restore
    from core.ops.backup_archive import BackupError

    try:
        manifest = restore(args.archive, config)
    except FileExistsError as exc:
        print(f"printdesk: {exc} (give an empty or new folder with --data)", file=sys.stderr)
        return REFUSED
    except BackupError as exc:
        print(f"printdesk: not restored, nothing was written: {exc}", file=sys.stderr)
        return USAGE
    print(f"Restored {manifest.get('jobs', 0)} jobs from a backup made "
          f"{manifest['created_at']} (PrintDesk {manifest['version']}) into {config.data_dir}.")
    print("Check it with `printdesk doctor` (with the same --data) before the services use it.")
    return OK
