"""Files several agents share: group-writable wherever the data dir is.

A team keeps the store in a setgid directory its agents' group owns. Whoever
creates a file there (the store, its lock, an attachment) creates it with their own
umask, often 022; made group-writable here, it never locks the others out.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["share_path", "share_with_group"]


def share_with_group(fd: int, data_dir: Path, *, directory: bool) -> None:
    """Add group read/write (and search, for a folder) when ``data_dir`` is group-writable."""
    try:
        if not os.stat(data_dir).st_mode & stat.S_IWGRP:
            return
        mode = os.fstat(fd).st_mode
        wanted = stat.S_IRGRP | stat.S_IWGRP | (stat.S_IXGRP if directory else 0)
        if mode & wanted != wanted:
            os.fchmod(fd, stat.S_IMODE(mode) | wanted)
    except OSError:
        pass  # not ours to change (another user's): the write itself says what is wrong


def share_path(path: Path, data_dir: Path, *, directory: bool) -> None:
    """:func:`share_with_group` for a file or folder by its path (one just made)."""
    try:
        fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    except OSError:
        return
    try:
        share_with_group(fd, data_dir, directory=directory)
    finally:
        os.close(fd)
