"""Is a path on a network file system? SQLite's WAL must not be used there."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psutil

NETWORK_FS = {
    "nfs", "nfs4", "cifs", "smb", "smbfs", "smb2", "smb3", "afpfs", "ncpfs", "9p",
    "fuse.sshfs", "sshfs", "davfs", "fuse.davfs2", "webdav", "afs", "glusterfs", "ceph",
    "lustre", "fuse.rclone",
}


def is_network_path(path: Path) -> bool:
    resolved = Path(os.path.abspath(path))
    text = str(resolved)
    if sys.platform == "win32" and (text.startswith("\\\\") or text.startswith("//")):
        return True  # UNC path: \\server\share
    best: str | None = None
    fstype, opts = "", ""
    try:
        partitions = psutil.disk_partitions(all=True)
    except OSError:
        return False
    for part in partitions:
        mount = part.mountpoint.rstrip("\\/")
        inside = mount == "" or text == mount or text.startswith(mount + os.sep)
        if inside and (best is None or len(mount) > len(best)):
            best, fstype, opts = mount, part.fstype.lower(), part.opts.lower()
    return fstype in NETWORK_FS or "remote" in opts.split(",")
