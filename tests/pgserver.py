"""A throwaway PostgreSQL server for the test session (pytest plugin: `tests.pgserver`).

`pg_url` (session) is a database on a server started with initdb/pg_ctl in a temporary folder,
listening on a unix socket in that folder and on 127.0.0.1 at a free port (password auth over
TCP); `pg_database_url` (per test) is a fresh database that is dropped afterwards. As root
(initdb refuses root) the server runs as the `postgres` system user. Without PostgreSQL
binaries the tests are skipped with the package to install.

Enable it with `pytest_plugins = ["tests.pgserver"]` (in tests/conftest.py or a test module).
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

try:
    import pwd
except ImportError:  # Windows: no pwd, no geteuid; the fixture skips there
    pwd = None  # type: ignore[assignment]

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in "
    "/usr/lib/postgresql/*/bin: install the Debian/Ubuntu package `postgresql` "
    "(`apt-get install postgresql`)"
)
SETTINGS = """
# --- added by tests/pgserver.py: a disposable, fast, local-only test server ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '{socket_dir}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
# Not UTC on purpose: code that leans on the server's time zone shows up in the tests.
timezone = 'America/Chicago'
"""


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl: PATH first, then Debian's versioned folders."""
    found = shutil.which("initdb")
    candidates = [str(Path(found).resolve().parent)] if found else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True,
                         key=lambda p: [int(n) for n in re.findall(r"\d+", p)])
    for bindir in candidates:
        if (Path(bindir) / "initdb").exists() and (Path(bindir) / "pg_ctl").exists():
            return Path(bindir)
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgServer:
    def __init__(self, bindir: Path, account: pwd.struct_passwd | None) -> None:
        self.bindir, self.account = bindir, account
        # Short path under /tmp: unix socket paths are limited to ~100 characters.
        # /tmp also lets the `postgres` user reach it even when TMPDIR is under /root.
        self.root = Path(tempfile.mkdtemp(prefix="printdesk-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.password = secrets.token_urlsafe(18)
        self.port = 0
        if account is not None:
            os.chown(self.root, account.pw_uid, account.pw_gid)

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL program, as the service account when we are root."""
        extra = {}
        if self.account is not None:
            extra = {"user": self.account.pw_uid, "group": self.account.pw_gid, "extra_groups": []}
        env = {**os.environ, "LC_ALL": "C", "LANG": "C", "HOME": str(self.root)}
        return subprocess.run(
            [str(self.bindir / args[0]), *args[1:]], cwd=self.root, env=env, text=True,
            capture_output=True, timeout=timeout, check=False, **extra,
        )

    def start(self) -> None:
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.account is not None:
            os.chown(pwfile, self.account.pw_uid, self.account.pw_gid)
        done = self.run("initdb", "-D", str(self.data), "-U", "postgres", "-E", "UTF8",
                        "--locale=C", "--no-sync", "--auth-local=trust",
                        "--auth-host=scram-sha-256", f"--pwfile={pwfile}")
        pwfile.unlink()
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout}\n{done.stderr}")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(SETTINGS.format(socket_dir=self.root))
        for _attempt in range(3):  # another process may grab the free port before we bind it
            self.port = free_port()
            done = self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                            "-o", f"-p {self.port}", "start")
            if done.returncode == 0:
                return
            self.stop()
        raise RuntimeError(f"pg_ctl start failed:\n{done.stdout}\n{done.stderr}\n{self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return "server log:\n" + "\n".join(self.log.read_text().splitlines()[-30:])
        except OSError:
            return "(no server log)"

    def stop(self) -> None:
        """Stop the server if it runs: fast, then immediate, then SIGKILL to its postmaster."""
        pidfile = self.data / "postmaster.pid"
        for mode in ("fast", "immediate"):
            if not pidfile.exists():
                return
            self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")
        # Only if that pid still is *our* postmaster, never a process that reused the pid.
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(pidfile.read_text().split()[0])
            if str(self.data) in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
                os.kill(pid, signal.SIGKILL)

    def cleanup(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def admin(self) -> psycopg.Connection:
        """A superuser connection over the unix socket (trust auth), in autocommit mode."""
        return psycopg.connect(host=str(self.root), port=self.port, user="postgres",
                               dbname="postgres", autocommit=True, connect_timeout=10)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        with self.admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:  # FORCE: end connections a test left open
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _service_account() -> pwd.struct_passwd:
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    pytest.skip("running as root, and neither a `postgres` nor a `nobody` user exists to run "
                "PostgreSQL (initdb refuses root): install the Debian package `postgresql`")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    if os.name != "posix":
        pytest.skip("the PostgreSQL test server is started on POSIX systems only")
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(INSTALL_HINT)
    account = _service_account() if os.geteuid() == 0 else None
    server = PgServer(bindir, account)
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
def pg_url(pg_server: PgServer) -> str:
    """A database for the whole session (dropped with the server at the end)."""
    return pg_server.create_database("printdesk")


@pytest.fixture
def pg_database_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"printdesk_{uuid.uuid4().hex[:12]}"
    url = pg_server.create_database(name)
    try:
        yield url
    finally:
        pg_server.drop_database(name)
