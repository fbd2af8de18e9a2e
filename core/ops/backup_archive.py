"""The backup archive's format: one ZIP file, `printdesk-backup-YYYYMMDD-HHMMSSZ.zip` (UTC).

Members: `database/printdesk.db` (an SQLite snapshot) or `database/printdesk.pgdump` (pg_dump's
custom format), `storage/<path under the storage folder>` (every job's folder), optionally
`config/printdesk.toml`, and `manifest.json`, written last:
    {"format": 1, "created_at": ISO UTC, "version": ..., "schema": alembic revision,
     "database": "sqlite" | "postgresql", "jobs": n,
     "files": {member: {"size": bytes, "sha256": hex}}}
An archive whose manifest is missing, unreadable, or disagrees with any member (size, SHA-256,
a member missing or one too many) is not a backup: `verify` says what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.domain.errors import PrintDeskError
from storage.filestore import hash_file

if TYPE_CHECKING:
    from core.config import Config

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER, PG_MEMBER, CONFIG_MEMBER = ("database/printdesk.db", "database/printdesk.pgdump",
                                           "config/printdesk.toml")
NAME = re.compile(r"^printdesk-backup-\d{8}-\d{6}Z\.zip$")
STAMP = "%Y%m%d-%H%M%S"
CHUNK = 1 << 20


class BackupError(PrintDeskError):
    """A backup could not be made, or an archive is not a complete PrintDesk backup."""


def backup_folder(config: Config) -> Path:
    """[backup] folder, or <data folder>/backups."""
    return config.setting_path(config.backup.folder, "backups")


def archive_name(at: datetime) -> str:
    return f"printdesk-backup-{at.strftime(STAMP)}Z.zip"


def archive_time(path: Path) -> datetime:
    """When the archive was made, from its name (UTC)."""
    stamp = path.name.removeprefix("printdesk-backup-").removesuffix("Z.zip")
    return datetime.strptime(stamp, STAMP).replace(tzinfo=UTC)


def archives_in(folder: Path) -> list[Path]:
    """PrintDesk's archives in `folder`, oldest first (their names sort by time)."""
    try:
        return sorted(p for p in folder.iterdir() if p.is_file() and NAME.match(p.name))
    except OSError:  # no folder yet, or a share that is not there: no archives
        return []


def _open(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"{path} is not a complete backup archive (cut short or damaged: "
                          f"{exc})") from None


def read_manifest(path: Path) -> dict[str, Any]:
    with open_archive(path) as (_archive, manifest):
        return manifest


@contextmanager
def open_archive(path: Path) -> Iterator[tuple[zipfile.ZipFile, dict[str, Any]]]:
    """The open archive and its checked manifest (members not read back: see `verify`)."""
    with _open(path) as archive:
        yield archive, _manifest(archive, path)


def _manifest(archive: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    try:
        raw = archive.read(MANIFEST)
    except KeyError:
        raise BackupError(f"{path} has no {MANIFEST}: it is not a PrintDesk backup, or it was "
                          "cut short before it was finished") from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise BackupError(f"{path}: its {MANIFEST} cannot be read ({exc})") from None
    try:
        manifest = json.loads(raw)
        files = manifest["files"]
        if manifest.get("format") != FORMAT or not isinstance(files, dict):
            raise ValueError(f"format {manifest.get('format')!r}")
        for entry in files.values():
            int(entry["size"]), str(entry["sha256"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{path}: its {MANIFEST} is not one this version reads ({exc})") from None
    return manifest


def verify(path: Path) -> dict[str, Any]:
    """The manifest, once every member has been read back and matches it; else BackupError
    naming the first thing wrong."""
    with _open(path) as archive:
        manifest = _manifest(archive, path)
        listed = manifest["files"]
        present = {i.filename for i in archive.infolist() if not i.is_dir()} - {MANIFEST}
        missing, extra = sorted(set(listed) - present), sorted(present - set(listed))
        if missing:
            raise BackupError(f"{path} lacks {missing[0]} (and {len(missing) - 1} more) that its "
                              "manifest lists: the archive is incomplete")
        if extra:
            raise BackupError(f"{path} holds {extra[0]}, which its manifest does not list")
        if SQLITE_MEMBER not in listed and PG_MEMBER not in listed:
            raise BackupError(f"{path} holds no database")
        for member, expected in listed.items():
            digest, size = hashlib.sha256(), 0
            try:
                with archive.open(member) as handle:
                    while chunk := handle.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise BackupError(f"{path}: {member} cannot be read back, the archive is "
                                  f"damaged ({exc})") from None
            if size != int(expected["size"]) or digest.hexdigest() != expected["sha256"]:
                raise BackupError(f"{path}: {member} is not what was backed up (size or SHA-256 "
                                  "differs from the manifest): the archive is damaged")
    return manifest


class Writer:
    """Adds members to an open ZipFile, hashing each as it streams, for the manifest."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.files: dict[str, dict[str, Any]] = {}

    def add_file(self, source: Path, member: str, compress: bool = False) -> None:
        info = zipfile.ZipInfo.from_file(source, member)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        with self.archive.open(info, "w", force_zip64=True) as dst:
            size, sha256 = hash_file(source, dst.write)
        self.files[member] = {"size": size, "sha256": sha256}

    def finish(self, manifest: dict[str, Any]) -> None:
        body = json.dumps({**manifest, "format": FORMAT, "files": self.files}, indent=1)
        self.archive.writestr(MANIFEST, body, compress_type=zipfile.ZIP_DEFLATED)
