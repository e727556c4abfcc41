"""Files are written atomically: a temporary file in the same directory, fsync, rename.

A reader (or a crash) therefore sees either the old file or the new one, never half.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .errors import InputError, StorageError
from .i18n import _
from .platform_guard import set_fd_mode


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_writer(
    path: str | os.PathLike[str],
    mode: int = 0o644,
    binary: bool = True,
    encoding: str = "utf-8",
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """Yield a file object; on success the file replaces ``path`` atomically with ``mode``."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise StorageError(_("{path} is a directory, not a file", path=target), _("give a file name"))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except FileNotFoundError as exc:
        raise StorageError(
            _("Cannot write {path}: the folder does not exist", path=target),
            _("create the folder first or choose another path"),
        ) from exc
    except OSError as exc:
        raise StorageError(
            _("Cannot write {path}: {reason}", path=target, reason=exc.strerror),
            _("check the folder's permissions and free space"),
        ) from exc
    try:
        set_fd_mode(fd, mode)
        if binary:
            fh: IO[Any] = os.fdopen(fd, "wb")
        else:
            fh = os.fdopen(fd, "w", encoding=encoding, newline=newline)
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        _fsync_dir(directory)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise StorageError(
            _("Cannot write {path}: {reason}", path=target, reason=exc.strerror),
            _("check the folder's permissions and free space"),
        ) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, mode: int = 0o644) -> None:
    with atomic_writer(path, mode=mode) as fh:
        fh.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str, mode: int = 0o644) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def read_input_bytes(path: str | os.PathLike[str], *, limit: int | None = None) -> bytes:
    """Read a user-supplied file with one clear error for each way it can fail."""
    p = Path(path)
    try:
        if p.is_dir():
            raise InputError(_("{path} is a directory, not a file", path=p), _("give a file name"))
        with open(p, "rb") as fh:
            data = fh.read(limit + 1 if limit else -1)
    except FileNotFoundError as exc:
        raise InputError(_("File not found: {path}", path=p), _("check the path")) from exc
    except PermissionError as exc:
        raise InputError(_("Cannot read {path}: permission denied", path=p), _("check the file's permissions")) from exc
    except IsADirectoryError as exc:
        raise InputError(_("{path} is a directory, not a file", path=p), _("give a file name")) from exc
    except OSError as exc:
        raise InputError(_("Cannot read {path}: {reason}", path=p, reason=exc.strerror), _("check the path")) from exc
    if limit and len(data) > limit:
        raise InputError(
            _("{path} is too large (more than {limit} bytes)", path=p, limit=limit),
            _("check that this is the right file"),
        )
    return data
