"""The intake on a campus network: rate limits that never punish a correction, forwarded
headers believed only from trusted proxies, many idle connections, owner-only files, and a
clear "try again" page with nothing half done when the lab PC's disk or database fails."""

from __future__ import annotations

import contextlib
import html
import os
import socket
import sqlite3
import stat
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg import sql

from core.config import Config, load_config
from core.desk import Desk, init_desk, open_desk
from tests.helpers import PASSWORD, model, post_form
from tests.intake_server import serving
from tests.realsize import post_model, torus, write_binary_stl


def make_desk(tmp_path: Path, **env: str) -> Desk:
    config = load_config(data_dir=tmp_path / "data", env={f"PRINTDESK_{k.upper()}": v
                                                         for k, v in env.items()})
    init_desk(config, PASSWORD).close()
    return open_desk(config)


@pytest.fixture
def desk_with(tmp_path: Path) -> Iterator:
    opened: list[Desk] = []

    def make(**env: str) -> Desk:
        opened.append(make_desk(tmp_path / str(len(opened)), **env))
        return opened[-1]

    yield make
    for desk in opened:
        desk.close()


def nothing_stored(desk: Desk) -> None:
    root = desk.store.root
    files = [p for p in root.rglob("*") if p.is_file() and ".locks" not in p.parts]
    assert files == [], files


# --- rate limits and proxies --------------------------------------------------------------------

def test_only_accepted_submissions_count_towards_the_rate_limit(desk_with) -> None:
    desk = desk_with(intake_submit_rate_limit="2 per hour")
    cube = model("20mm-xyz-cube.stl")
    with serving(desk) as base:
        for _ in range(4):  # a student correcting a refused form is never locked out
            assert post_model(base, cube, fields={"student_email": "not-an-address"}).status == 400
        assert [post_model(base, cube).status for _ in range(2)] == [303, 303]
        third = post_model(base, cube)
        assert third.status == 429 and "Too many submissions" in third.body
        # Without trusted proxies a forged X-Forwarded-For changes nothing.
        assert post_model(base, cube, headers={"X-Forwarded-For": "10.9.8.7"}).status == 429


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(desk_with) -> None:
    desk = desk_with(intake_submit_rate_limit="1 per hour", intake_trusted_proxies="1")
    cube = model("20mm-xyz-cube.stl")
    with serving(desk) as base:
        first = {"X-Forwarded-For": "10.0.0.1"}
        assert post_model(base, cube, headers=first).status == 303
        assert post_model(base, cube, headers=first).status == 429
        # Another student behind the same proxy has their own count.
        assert post_model(base, cube, headers={"X-Forwarded-For": "10.0.0.2"}).status == 303


def test_a_hundred_idle_connections_do_not_lock_others_out(desk) -> None:
    with serving(desk, RATELIMIT_ENABLED=False) as base:
        port = int(base.rsplit(":", 1)[1])
        idle = []
        try:
            for _ in range(120):  # one client holding connections open without a request
                idle.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            with urllib.request.urlopen(base + "/", timeout=10) as response:
                assert response.status == 200
                assert b"Submit a model for 3D printing" in response.read()
        finally:
            for connection in idle:
                connection.close()


# --- files only their owner can read ------------------------------------------------------------

@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_data_folder_and_database_are_created_owner_only(tmp_path: Path) -> None:
    config = load_config(data_dir=tmp_path / "new" / "data", env={})
    init_desk(config, PASSWORD).close()
    desk = open_desk(config)
    try:
        desk.set_setting("probe", "written")  # the WAL and shared-memory files exist now
        names = ("printdesk.db", "printdesk.db-wal", "printdesk.db-shm")
        modes = {n: stat.S_IMODE((config.data_dir / n).stat().st_mode) for n in names}
    finally:
        desk.close()
    assert stat.S_IMODE(config.data_dir.stat().st_mode) == 0o700
    assert modes == dict.fromkeys(names, 0o600)


# --- faults: a clear page, nothing half done ------------------------------------------------------

def assert_try_again(response, why: str) -> None:
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 503, page[:400]
    assert "Please try again in a few minutes" in page and "files are safe" in page
    assert why in page
    assert response.headers["Retry-After"] == "120"
    assert "Traceback" not in page


def test_database_locked_past_the_busy_timeout_gives_a_try_again_page(desk_with) -> None:
    from intake import create_app

    desk = desk_with(database_busy_timeout_ms="200")
    client = create_app(desk.config, desk, {"TESTING": True, "RATELIMIT_ENABLED": False}
                        ).test_client()
    blocker = sqlite3.connect(desk.config.data_dir / "printdesk.db", isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        response = post_form(client)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert_try_again(response, "The lab's server is busy.")
    assert desk.queries.jobs() == []
    nothing_stored(desk)


@contextlib.contextmanager
def small_tmpfs(where: Path, size_kb: int) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("a full or read-only disk is made with a tmpfs mount, which needs root "
                    "(CI runs as root)")
    where.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(where)],
                   check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def desk_on(tmp_path: Path, storage: Path) -> Desk:
    return make_desk(tmp_path, paths_storage_root=str(storage))


def test_storage_full_gives_a_try_again_page_and_leaves_nothing(tmp_path: Path) -> None:
    from intake import create_app

    with small_tmpfs(tmp_path / "share", 600) as share:
        desk = desk_on(tmp_path, share / "storage")
        try:
            client = create_app(desk.config, desk, {"TESTING": True, "RATELIMIT_ENABLED": False}
                                ).test_client()
            big = tmp_path / "big.stl"
            write_binary_stl(big, *torus(30_000))  # 1.5 MB: more than the disk holds
            response = post_form(client, model_name=None, filename="big.stl",
                                 content=big.read_bytes())
            assert_try_again(response, "The lab's storage is full.")
            assert desk.queries.jobs() == []
            nothing_stored(desk)
        finally:
            desk.close()


def test_read_only_storage_gives_a_try_again_page(tmp_path: Path) -> None:
    from intake import create_app

    with small_tmpfs(tmp_path / "share", 4096) as share:
        desk = desk_on(tmp_path, share / "storage")
        try:
            client = create_app(desk.config, desk, {"TESTING": True, "RATELIMIT_ENABLED": False}
                                ).test_client()
            subprocess.run(["mount", "-o", "remount,ro", str(share)], check=True)
            response = post_form(client)
            assert_try_again(response, "cannot be written to")
            assert desk.queries.jobs() == []
            assert client.get("/healthz").json["storage"] == "unwritable or unreachable"
        finally:
            desk.close()


@pytest.mark.postgres
def test_unreachable_database_gives_a_try_again_page(tmp_path: Path, pg_server,
                                                     pg_database_url: str) -> None:
    from intake import create_app

    desk = make_desk(tmp_path, database_url=pg_database_url)
    try:
        client = create_app(desk.config, desk, {"TESTING": True, "RATELIMIT_ENABLED": False}
                            ).test_client()
        name = pg_database_url.rsplit("/", 1)[1]
        with pg_server.admin() as admin:  # the server goes away for this database
            admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(
                sql.Identifier(name)))
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s", (name,))
        response = post_form(client)
        assert_try_again(response, "cannot reach its storage or database")
        assert client.get("/healthz").json["database"] == "unreachable"
        with pg_server.admin() as admin:
            admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(
                sql.Identifier(name)))
        assert desk.queries.jobs() == []
        nothing_stored(desk)
    finally:
        desk.close()


def test_config_for_the_network_has_sensible_defaults(config: Config) -> None:
    assert config.intake.trusted_proxies == 0
    assert config.intake.connection_limit >= 200 and config.intake.channel_timeout_s >= 30
