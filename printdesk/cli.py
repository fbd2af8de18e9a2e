"""`printdesk` and its subcommands. Exit codes: 0 fine, 1 problems found, 2 bad usage or
configuration, 3 not initialised or storage unreachable, 4 refused (would lose data)."""

from __future__ import annotations

import argparse
import errno
import getpass
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence

from core import __version__
from core.config import Config, load_config
from core.domain.errors import (
    ConfigError,
    NotInitialisedError,
    PrintDeskError,
    StorageError,
    ValidationError,
)
from core.ops.logsetup import kind_for, setup_logging

OK, PROBLEMS, USAGE, NOT_READY, REFUSED = 0, 1, 2, 3, 4


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--data", metavar="DIR", default=default,
                        help="data folder (default: PRINTDESK_DATA or the user data folder)")
    parser.add_argument("--config", metavar="FILE", default=default,
                        help="configuration file (default: PRINTDESK_CONFIG, see README)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        default=argparse.SUPPRESS if suppress else False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="printdesk", description="PrintDesk: the 3D-print job desk for small fab labs."
    )
    parser.add_argument("--version", action="version", version=f"printdesk {__version__}")
    _common(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, text: str, run: Callable[[argparse.Namespace, Config], int]
                ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=text, description=text)
        _common(p, suppress=True)
        p.set_defaults(run=run)
        return p

    init = command("init", "Create the data folder, database and storage folders; set the "
                   "staff password.", cmd_init)
    secret = init.add_mutually_exclusive_group()
    secret.add_argument("--password-stdin", action="store_true",
                        help="read the staff password from standard input (for scripts)")
    secret.add_argument("--no-password", action="store_true",
                        help="leave the staff password unset: the console asks for it at its "
                             "first start (an installer run without a terminal)")
    init.add_argument("--port", type=int, metavar="PORT",
                      help="record the intake's port ([intake] port; default 8080)")
    where = init.add_mutually_exclusive_group()
    where.add_argument("--public-url", metavar="URL",
                       help="the address students use to reach the intake, e.g. "
                            "http://labpc.example.edu:8080 (default: asked, or derived)")
    where.add_argument("--local-only", action="store_true",
                       help="serve the intake to this PC only (links say localhost)")
    password = command("password", "Set or change the shared staff password.", cmd_password)
    password.add_argument("--password-stdin", action="store_true")
    from printdesk import cmd_backup, cmd_cleanup, cmd_doctor, cmd_report

    cmd_backup.add_backup_arguments(command(
        "backup", "Make one dated archive of the database and every job's files (while the "
        "desk keeps working), with a SHA-256 manifest.", cmd_backup.run_backup))
    cmd_backup.add_restore_arguments(command(
        "restore", "Restore a backup archive into an empty data folder (--data), after "
        "checking every file in it.", cmd_backup.run_restore))
    cmd_report.add_arguments(command(
        "report", "Jobs, revenue, payments, times per stage and reject reasons for a period "
        "(the lab's time zone); --csv writes each table as a CSV file.", cmd_report.run))
    cmd_doctor.add_arguments(command(
        "doctor", "Check the data folder, every job's files, email, the worker, disk space and "
        "permissions; with --repair, fix what can be fixed.", cmd_doctor.run))
    cmd_cleanup.add_arguments(command(
        "cleanup", "Remove the files of jobs finished more than --days ago (default [limits] "
        "retention_days); a dry run unless --apply. Rows and history stay.", cmd_cleanup.run))
    rebuild = command("rebuild", "Recreate the database from the job folders' metadata.json.",
                      cmd_rebuild)
    rebuild.add_argument("--force", action="store_true",
                         help="on a database server: drop the existing tables first")
    command("console", "Open the staff console (the queue window).", cmd_console)
    sliced = command("read-sliced", "Show what PrintDesk reads from a sliced file (G-code, "
                     ".bgcode, .3mf, .sl1, .ufp, .ctb …), to check a new slicer version.",
                     cmd_read_sliced)
    sliced.add_argument("file", help="the sliced file")
    sliced.add_argument("--json", action="store_true", help="machine-readable output")
    demo = command("demo", "Fill the data folder with realistic sample jobs to try the console.",
                   cmd_demo)
    demo.add_argument("--jobs", type=int, default=60, help="how many jobs (default 60)")
    demo.add_argument("--workers", type=int, default=0,
                      help="processes filling in parallel (default 0: one per processor, "
                           "at most 4)")
    intake = command("intake", "Serve the students' intake web page (waitress).", cmd_intake)
    intake.add_argument("--host", help="address to listen on (default from config: 127.0.0.1)")
    intake.add_argument("--port", type=int, help="port (default from config: 8080)")
    intake.add_argument("--no-worker", action="store_true",
                        help="do not run the background worker in this process")
    worker = command("worker", "Run the background worker alone (thumbnails, email, sliced "
                     "files, estimates, backups, cleanup); one is active at a time across PCs.", cmd_worker)
    worker.add_argument("--once", action="store_true",
                        help="do what is due now and exit (if no other worker is active)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    multiprocessing.freeze_support()  # `printdesk demo --workers` spawns; frozen builds need it
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        args.run = cmd_default
    try:
        config = load_config(args.data, args.config)
    except ConfigError as exc:
        print(f"printdesk: {exc}", file=sys.stderr)
        return USAGE
    try:
        # Never create a data folder (nor, for restore, fill an empty one) just to log into it.
        if config.data_dir.is_dir() and getattr(args, "command", None) != "restore":
            setup_logging(config, kind_for(args.command), args.verbose)
        return int(args.run(args, config))
    except ValidationError as exc:
        for message in exc.errors.values():
            print(f"printdesk: {message}", file=sys.stderr)
        return USAGE
    except ConfigError as exc:
        print(f"printdesk: {exc}", file=sys.stderr)
        return USAGE
    except (NotInitialisedError, StorageError) as exc:
        print(f"printdesk: {exc}", file=sys.stderr)
        return NOT_READY
    except PrintDeskError as exc:
        print(f"printdesk: {exc}", file=sys.stderr)
        return REFUSED
    except KeyboardInterrupt:
        return 130


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New staff password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise ValidationError({"password": "The two passwords differ; nothing was changed."})
    return first


def cmd_init(args: argparse.Namespace, config: Config) -> int:
    from core.desk import init_desk, password_is_set

    if args.public_url:  # refused before anything is created
        from core.config import check_base_url

        check_base_url(args.public_url.rstrip("/"), "--public-url")
    if args.port is not None and not 1 <= args.port <= 65535:
        raise ValidationError({"port": f"--port {args.port} is not a TCP port (1-65535)."})
    had_password = password_is_set(config)
    password = None
    if args.password_stdin or not (had_password or args.no_password):
        if not args.password_stdin and not sys.stdin.isatty():
            raise ValidationError({"password": "No terminal to ask for the staff password: "
                                   "pass it with --password-stdin."})
        password = _read_password(args.password_stdin)
    # The password is checked before anything is created: a refused init leaves nothing behind.
    desk = init_desk(config, password)
    desk.close()
    setup_logging(config, kind_for(args.command), args.verbose)
    if args.port is not None and args.port != config.intake.port and config.config_target:
        from core.config.file import update_config_file

        update_config_file(config.config_target, "intake", {"port": args.port})
        config = load_config(args.data, args.config)
    config = setup_address(args, config, interactive=sys.stdin.isatty() and not args.password_stdin)
    print(f"PrintDesk data folder ready: {config.data_dir}")
    print(f"  database: {_safe(config.database_url)}")
    print(f"  storage:  {config.storage_root}")
    print(f"  students: {config.base_url}/")
    if password is None and not had_password:
        print("  the staff password is not set yet: the console asks for it at its first start")
    elif password is None:
        print("  the staff password was already set (change it with `printdesk password`)")
    return OK


def setup_address(args: argparse.Namespace, config: Config, interactive: bool) -> Config:
    """Record the address students use (asked, given, or derived) in the configuration file,
    unless one is configured already; returns the configuration as it now reads."""
    from core.config import check_base_url
    from core.config.address import suggested_base_url
    from core.config.file import update_config_file

    public = getattr(args, "public_url", None)
    local = getattr(args, "local_only", False)
    if (config.base_url_set and not public and not local) or config.config_target is None:
        return config
    if not local:
        url = public or suggested_base_url(config.intake.port)
        if interactive and not public:
            print("Students open the intake page from their own computers; every link PrintDesk "
                  "shows or emails starts with their address.")
            answer = input(f"Students' address [{url}] (or 'local' for this PC only): ").strip()
            local = answer.lower() == "local"
            url = answer or url
    if local:
        values = {"host": "127.0.0.1", "base_url": f"http://localhost:{config.intake.port}"}
    else:
        values = {"host": "0.0.0.0", "base_url": check_base_url(url.rstrip("/"), "address")}
    update_config_file(config.config_target, "intake", values)
    return load_config(getattr(args, "data", None), getattr(args, "config", None))


def cmd_password(args: argparse.Namespace, config: Config) -> int:
    from core.desk import open_desk

    desk = open_desk(config, repair=False)
    try:
        desk.set_password(_read_password(args.password_stdin))
    finally:
        desk.close()
    print("Staff password changed.")
    return OK


def cmd_rebuild(args: argparse.Namespace, config: Config) -> int:
    from core.ops.rebuild import rebuild

    report = rebuild(config, force=args.force)
    print(f"Rebuilt the database from {report.jobs} job folders ({report.events} events).")
    if report.kept_old_database:
        print(f"  the old database was kept as {report.kept_old_database}")
    if not report.settings_carried:
        print("  the old settings could not be read: a new signing secret was made (earlier "
              "student links no longer work); set the staff password with `printdesk password`")
    for problem in report.problems:
        print(f"[{'fixed' if problem.repaired else '!!'}] {problem.message}")
    return PROBLEMS if any(not p.repaired for p in report.problems) else OK


def cmd_default(args: argparse.Namespace, config: Config) -> int:
    """`printdesk` alone: set up the data folder if needed and open the console (which asks for
    the staff password on first start). The intake is not the console's: it runs as a service
    or on its own, and the console offers to start one when none answers; quitting the console
    leaves it serving."""
    from core.desk import init_desk

    if not config.data_dir.exists():
        init_desk(config, None).close()
        print(f"Created the PrintDesk data folder {config.data_dir}")
        setup_logging(config, kind_for(args.command), args.verbose)
        config = setup_address(args, config, interactive=False)
        print(f"Students reach the intake at {config.base_url}/ (change it in "
              f"{config.config_target}, [intake] base_url)")
    return cmd_console(args, config)


def cmd_read_sliced(args: argparse.Namespace, config: Config) -> int:
    import json
    from pathlib import Path

    from core.sliced import FIELDS, SlicedFileError, grams, read_sliced

    try:
        info = read_sliced(Path(args.file))
    except (SlicedFileError, OSError) as exc:
        print(f"printdesk: {args.file}: {exc}", file=sys.stderr)
        return USAGE
    if args.json:
        print(json.dumps(info.to_json(), indent=2))
        return OK
    print(f"{args.file}: {info.format}")
    for name in FIELDS:
        value = getattr(info, name)
        print(f"  {name:<13} {value if value is not None else 'not in the file'}")
    weight, how = grams(info, "Filament", config.densities)
    if weight is not None and info.weight_g is None:
        print(f"  weight from length or volume: {how}")
    if info.project_without_results:
        print("  a slicer project that was never sliced: it holds no results")
    for note in info.notes:
        print(f"  note: {note}")
    return OK


def cmd_console(args: argparse.Namespace, config: Config) -> int:
    from printdesk.launcher import has_display

    if not has_display():
        print("printdesk: no desktop display here, so the console cannot open. Run it on the "
              "lab PC's desktop (the intake runs headless: `printdesk intake`).", file=sys.stderr)
        return NOT_READY
    from desktop.app import run_console

    return run_console(config)


def cmd_demo(args: argparse.Namespace, config: Config) -> int:
    from core.desk import init_desk, open_desk
    from printdesk.demo import fill_demo

    if args.jobs < 1 or args.jobs > 100_000:
        raise ValidationError({"jobs": "--jobs must be between 1 and 100000."})
    if not config.data_dir.exists():
        init_desk(config, None).close()
    desk = open_desk(config)
    try:
        workers = args.workers or min(os.cpu_count() or 1, 4)
        report = fill_demo(desk, args.jobs, workers=max(1, min(workers, 16)))
    finally:
        desk.close()
    print(f"Added {report.jobs} sample jobs to {config.data_dir} in {report.seconds:.0f} s:")
    for status, count in report.by_status.items():
        print(f"  {status}: {count}")
    if report.expired_pending:
        print(f"  ({report.expired_pending} pending with an expired confirmation link)")
    return OK


def cmd_intake(args: argparse.Namespace, config: Config) -> int:
    from intake.serve import serve

    try:
        serve(config, args.host, args.port, worker=not args.no_worker)
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
            raise
        host = args.host or config.intake.host
        port = args.port or config.intake.port
        print(f"printdesk: cannot listen on {host}:{port}: {exc.strerror}. Another program "
              "(or another intake) uses that port, or the address is not this PC's; choose "
              "another with --port or [intake] port.", file=sys.stderr)
        return NOT_READY
    return OK


def cmd_worker(args: argparse.Namespace, config: Config) -> int:
    from core.desk import open_desk
    from core.worker.signals import stop_on_signals
    from core.worker.tasks import make_worker

    desk = open_desk(config)
    worker = make_worker(desk)
    if args.once:
        try:
            done = worker.run_once()
        finally:
            desk.close()
        print(f"Handled {done} queued task(s).")
        return OK
    print(f"PrintDesk worker for {config.lab.name} on {desk.machine} (Ctrl+C stops it); "
          "if another worker is active, this one waits and takes over when it stops.",
          flush=True)
    try:
        with stop_on_signals(worker.stop):
            worker.run()
    except KeyboardInterrupt:
        worker.stop()
    finally:
        desk.close()
    return OK


def _safe(url: str) -> str:
    from core.ops.health import safe_url

    return safe_url(url)


if __name__ == "__main__":
    sys.exit(main())

