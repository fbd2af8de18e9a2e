"""Finding a lost or damaged model file in the backup archives, for `printdesk doctor --repair`.

The archives and their manifests are core.ops.backup_archive's. The manifest only says where to
look: the member's bytes are hashed again while they are copied out, and a file replaces the
job's only when they match the SHA-256 recorded at submission.
"""

from __future__ import annotations

import hashlib
import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from core.config import Config
from core.ops.backup_archive import CHUNK, BackupError, archives_in, backup_folder, open_archive
from storage.filestore import fsync, fsync_dir, new_temp_file

__all__ = ["Found", "backup_folder", "find_file", "restore_to"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Found:
    archive: Path
    member: str
    size: int


def find_file(config: Config, sha256: str, size: int) -> Found | None:
    """The newest archive's member recorded with this SHA-256 and size, if any archive has one."""
    for path in reversed(archives_in(backup_folder(config))):
        try:
            with open_archive(path) as (archive, manifest):
                names = set(archive.namelist())
                for member, info in manifest["files"].items():
                    if (info["sha256"] == sha256 and int(info["size"]) == size
                            and member.startswith("storage/") and member in names):
                        return Found(path, member, size)
        except (BackupError, OSError, zipfile.BadZipFile) as exc:
            log.warning("backup %s skipped: it cannot be read (%s)", path.name, exc)
    return None


def restore_to(found: Found, sha256: str, target: Path) -> bool:
    """Copy the member over `target` (streamed, hashed on the way, replaced atomically); False,
    and nothing changed, when its bytes are not the recorded ones."""
    digest, written = hashlib.sha256(), 0
    fd, tmp = new_temp_file(target.parent, ".restore-")
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
