"""Reading a file that a config names, confined to the config's directory.

A pull-request author controls the config and every file it names, and CI prints what sesctl
reads. So a named file must resolve (symlinks included) inside the base directory, be a
regular file (a FIFO would hang, a device never ends), stay under a size bound, and be UTF-8.
Each refusal is a `FileError` whose message says what and why, never what the file holds.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Literal

from .errors import SesctlError

Why = Literal["path", "missing", "outside", "special", "large", "encoding", "unreadable"]

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}
_SHOWN = 120  # characters of a path shown in a message
_LINE_BREAK = re.compile(r"\r\n?|\n")


class FileError(SesctlError):
    """A named file sesctl refuses or cannot read: `reason` is plain text (no file content),
    `why` its category, `line`/`column` where in the file the problem is, when known."""

    def __init__(
        self, relative: str, why: Why, reason: str, line: int = 0, column: int = 0
    ) -> None:
        where = f" at line {line}, column {column}" if line else ""
        name = shown(relative) or "''"
        super().__init__(f"cannot read {name}: {reason}{where}")
        self.why: Why = why
        self.reason = reason
        self.line = line
        self.column = column


def read_inside(base: Path, relative: str, limit: int) -> str:
    """The UTF-8 text of `relative` (a path from the config) under `base`, at most `limit`
    bytes; FileError if it leaves `base`, is not a regular file, is larger, or is not UTF-8."""
    return decode_utf8(read_bytes_inside(base, relative, limit), relative)


def read_bytes_inside(base: Path, relative: str, limit: int) -> bytes:
    """The bytes of `relative` under `base`, with the checks of `read_inside` but the encoding."""
    target = resolve_inside(base, relative)
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise _os_error(relative, exc) from None
    try:
        return _read_regular(fd, relative, limit)
    finally:
        os.close(fd)


def resolve_inside(base: Path, relative: str) -> str:
    """The real path of `relative` (an absolute one included) when it lies inside `base`."""
    if not relative:
        raise FileError(relative, "path", "the path is empty")
    if "\0" in relative:
        raise FileError(relative, "path", "the path contains a NUL character")
    root = os.path.realpath(base)
    target = os.path.realpath(os.path.join(root, relative))
    if target != root and not target.startswith(root.rstrip(os.sep) + os.sep):
        raise FileError(relative, "outside", "it is outside the config's directory")
    return target


def decode_utf8(data: bytes, relative: str) -> str:
    """`data` as text; FileError naming the line and column of the first byte that is not
    UTF-8 (counted in characters, as an editor shows them)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8")
        line, column = line_column(before, len(before))
        reason = f"not UTF-8 (byte 0x{data[exc.start]:02x})"
        raise FileError(relative, "encoding", reason, line, column) from None


def line_column(text: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of the character at `index` in `text`, lines ending in
    LF, CRLF or CR as editors and YAML count them."""
    line, line_start = 1, 0
    for end in _LINE_BREAK.finditer(text, 0, index):
        line, line_start = line + 1, end.end()
    return line, index - line_start + 1


def shown(text: str) -> str:
    """`text` as a message may show it: on one line, escaped if unprintable, and short."""
    out = text if text.isprintable() else repr(text)[1:-1]
    return out if len(out) <= _SHOWN else f"{out[:_SHOWN]}…"


def _read_regular(fd: int, relative: str, limit: int) -> bytes:
    """At most `limit` bytes of the open file, which must be a regular one."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        kind = _KINDS.get(stat.S_IFMT(info.st_mode), "a special file")
        raise FileError(relative, "special", f"it is not a regular file ({kind})")
    if info.st_size > limit:
        raise _too_large(relative, limit)
    chunks: list[bytes] = []
    size = 0
    while size <= limit:  # st_size may lie (files under /proc say 0): read one byte past
        try:
            chunk = os.read(fd, limit + 1 - size)
        except OSError as exc:
            raise _os_error(relative, exc) from None
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise _too_large(relative, limit)
    return b"".join(chunks)


def _too_large(relative: str, limit: int) -> FileError:
    return FileError(relative, "large", f"it is larger than {limit:,} bytes")


def _os_error(relative: str, exc: OSError) -> FileError:
    """An open or read failure in plain words (the path as written, not the resolved one)."""
    if exc.errno == errno.ENOENT:
        return FileError(relative, "missing", "file not found")
    if exc.errno == errno.ELOOP:
        return FileError(relative, "unreadable", "a symlink loop")
    return FileError(relative, "unreadable", exc.strerror or type(exc).__name__)


def write_atomically(path: str | Path, data: bytes, keep_mode: bool = False) -> None:
    """Replace `path` with `data` so that a kill or a crash leaves the old file or the new
    one, never part of one: a temporary file beside it, fsync'd, then os.replace. With
    `keep_mode` the new file keeps the old one's permissions (0644 for a new file)."""
    path = str(path)
    mode = None
    if keep_mode:
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            mode = 0o644
    directory, name = os.path.split(path)
    handle, temporary = tempfile.mkstemp(dir=directory or ".", prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
