"""Finding a lost or damaged model file in the backup archives, for `printdesk doctor --repair`.

Archives are ZIPs named `printdesk-backup-YYYYMMDD-HHMMSSZ.zip` in [backup] folder (default
<data folder>/backups); each holds a `manifest.json` ({"format": 1, "files": {member: {"size",
"sha256"}}}) and the storage folder's files as `storage/<path>`. The manifest only says where to
look: the member's bytes are hashed again while they are copied out, and a file replaces the
job's only when they match the SHA-256 recorded at submission.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from core.config import Config
from storage.filestore import fsync, fsync_dir

log = logging.getLogger(__name__)

ARCHIVE_RE = re.compile(r"^printdesk-backup-\d{8}-\d{6}Z\.zip$")
MANIFEST = "manifest.json"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Found:
    archive: Path
    member: str
    size: int


def backup_folder(config: Config) -> Path:
    if not config.backup.folder:
        return config.data_dir / "backups"
    folder = Path(config.backup.folder).expanduser()
    return folder if folder.is_absolute() else config.data_dir / folder


def archives(config: Config) -> list[Path]:
    """The backup archives, newest first (the name's timestamp sorts as text)."""
    folder = backup_folder(config)
    try:
        names = [p for p in folder.iterdir() if ARCHIVE_RE.match(p.name) and p.is_file()]
    except OSError:
        return []
    return sorted(names, key=lambda p: p.name, reverse=True)


def _manifest(archive: zipfile.ZipFile) -> dict[str, dict[str, object]]:
    with archive.open(MANIFEST) as handle:
        doc = json.load(handle)
    if not isinstance(doc, dict) or doc.get("format") != 1 or not isinstance(doc.get("files"), dict):
        raise ValueError("not a format 1 manifest")
    return doc["files"]


def find_file(config: Config, sha256: str, size: int) -> Found | None:
    """The newest archive's member recorded with this SHA-256 and size, if any archive has one."""
    for path in archives(config):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                for member, info in _manifest(archive).items():
                    if (isinstance(info, dict) and info.get("sha256") == sha256
                            and info.get("size") == size and member.startswith("storage/")
                            and member in names):
                        return Found(path, member, size)
        except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
            log.warning("backup %s skipped: it cannot be read (%s)", path.name, exc)
    return None


def restore_to(found: Found, sha256: str, target: Path) -> bool:
    """Copy the member over `target` (streamed, hashed on the way, replaced atomically); False,
    and nothing changed, when its bytes are not the recorded ones."""
    digest, written = hashlib.sha256(), 0
    fd, tmp = tempfile.mkstemp(prefix=".restore-", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, zipfile.ZipFile(found.archive) as archive, \
                archive.open(found.member) as source:
            while written <= found.size:  # never more than recorded: a forged size stops here
                chunk = source.read(CHUNK)
                if not chunk:
                    break
                digest.update(chunk)
                out.write(chunk)
                written += len(chunk)
            out.flush()
            fsync(out.fileno())
        if written != found.size or digest.hexdigest() != sha256:
            log.warning("backup %s: %s does not hold the recorded bytes", found.archive.name,
                        found.member)
            Path(tmp).unlink(missing_ok=True)
            return False
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)
    return True
