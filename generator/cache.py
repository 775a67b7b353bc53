"""Where clientgen keeps its caches (validation verdicts, black's output): ``$CLIENTGEN_CACHE_DIR``, else
``$XDG_CACHE_HOME/clientgen``, else ``~/.cache/clientgen``. Losing it only costs time.

A cache is input clientgen did not check, so every entry carries an HMAC of its kind, key and content
under a per-user secret (``secret``, created 0600 beside the entries): an entry edited or planted by
anyone without the secret (a shared or copied cache, a hand edit) fails the check and is ignored and
rebuilt. ``--no-cache`` (or ``CLIENTGEN_NO_CACHE=1``) reads and writes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import stat
from functools import cache
from pathlib import Path

_SECRET_BYTES = 32
_TAG_BYTES = 64  # hex sha256


def cache_dir() -> Path:
    explicit = os.environ.get("CLIENTGEN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clientgen"


_switched_off = False


def use_cache(on: bool) -> None:
    """``--no-cache`` switches it off for the command being run (set by the CLI on every command)."""
    global _switched_off
    _switched_off = not on


def enabled() -> bool:
    return not _switched_off and os.environ.get("CLIENTGEN_NO_CACHE", "") in ("", "0")


@cache
def _secret(folder: Path) -> bytes | None:
    """The per-user key, created on first use; None (no caching) when it cannot be trusted: not a
    regular file of this user, or readable by others."""
    path = folder / "secret"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(os.urandom(_SECRET_BYTES))
        facts = os.lstat(path)
        if not stat.S_ISREG(facts.st_mode) or facts.st_mode & 0o077:
            return None
        if hasattr(os, "getuid") and facts.st_uid != os.getuid():
            return None
        secret = path.read_bytes()
    except OSError:
        return None
    return secret if len(secret) == _SECRET_BYTES else None


def _tag(secret: bytes, kind: str, key: str, *content: bytes | memoryview) -> bytes:
    mac = hmac.new(secret, f"{kind}\0{key}\0".encode(), hashlib.sha256)
    for part in content:
        mac.update(part)  # not joined to the prefix: an entry of megabytes is not copied to be checked
    return mac.hexdigest().encode()


def read_entry(kind: str, key: str) -> bytes | None:
    """The content stored under ``kind``/``key``, if it is there and provably written by this user's
    clientgen for that key; else None."""
    content = read_view(kind, key)
    return bytes(content) if content is not None else None


def read_view(kind: str, key: str) -> memoryview | None:
    """``read_entry``'s content as a view of the entry as read, not copied: for entries of megabytes, read once
    and unpickled (a copy of GitHub's component state, 8.4 MB, cost ~5 ms, most of it the kernel's handing out
    fresh pages)."""
    if not enabled():
        return None
    folder = cache_dir()
    secret = _secret(folder)
    if secret is None:
        return None
    return _checked(os.path.join(folder, kind, key), secret, kind, key)


def _checked(path: str, secret: bytes, kind: str, key: str) -> memoryview | None:
    """The content of the entry at ``path`` if its tag holds."""
    try:
        with open(path, "rb") as entry:
            stored = entry.read()
    except OSError:
        return None
    content = memoryview(stored)[_TAG_BYTES + 1 :]
    if len(stored) <= _TAG_BYTES or not hmac.compare_digest(stored[:_TAG_BYTES], _tag(secret, kind, key, content)):
        return None
    return content


def read_entries(kind: str, keys: list[str]) -> dict[str, bytes]:
    """``read_entry`` for many keys: only those the folder lists are read (one listing instead of a
    failed open per key absent: a cold run's 2,724 pieces of Kubernetes' client cost ~80 ms)."""
    if not enabled():
        return {}
    folder = os.path.join(cache_dir(), kind)
    try:
        present = set(os.listdir(folder))
    except OSError:
        return {}
    secret = _secret(cache_dir())
    if secret is None:
        return {}
    found = {key: _checked(os.path.join(folder, key), secret, kind, key) for key in keys if key in present}
    return {key: bytes(content) for key, content in found.items() if content is not None}


def write_entry(kind: str, key: str, content: bytes) -> None:
    """Store ``content`` under ``kind``/``key`` with its tag; an unwritable cache only costs time."""
    secret = _usable_secret()
    if secret is not None:
        _write(kind, key, [_tag(secret, kind, key, content), b"\n", content])


def write_parts(kind: str, key: str, head: bytes, tail: bytes) -> None:
    """Store an entry read in two parts (``read_head``): ``head`` at once, ``tail`` only where asked for. Each
    part has its tag; the tail's holds the head's, so that the two are one entry's."""
    secret = _usable_secret()
    if secret is None:
        return
    size = len(head).to_bytes(8, "big")
    head_tag = _tag(secret, kind, key, size, head)
    tail_tag = _tag(secret, f"{kind}\0tail", key, head_tag, tail)
    _write(kind, key, [head_tag, b"\n", tail_tag, b"\n", size, head, tail])


def _usable_secret() -> bytes | None:
    return _secret(cache_dir()) if enabled() else None


def _write(kind: str, key: str, parts: list[bytes]) -> None:
    path = cache_dir() / kind / key
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as entry:
            entry.writelines(parts)
        temporary.replace(path)
    except OSError:
        with contextlib.suppress(OSError):  # a full disk: what was written of it goes, nothing is left behind
            temporary.unlink(missing_ok=True)


_PARTS_PREFIX = 2 * (_TAG_BYTES + 1) + 8  # the two tags, each with its line feed, and the head's size


def read_head(kind: str, key: str) -> tuple[memoryview, Tail] | None:
    """An entry written by ``write_parts``: its head, checked as ``read_entry`` checks an entry, and what reads its
    tail when called (never, where it is not needed: GitHub's component state is 8.4 MB, 4.7 of them a part that a
    regeneration seldom reads); None where there is no such entry."""
    secret = _usable_secret()
    if secret is None:
        return None
    try:
        descriptor = os.open(cache_dir() / kind / key, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        prefix = _pread(descriptor, _PARTS_PREFIX, 0)
        head_tag, tail_tag, size = prefix[:_TAG_BYTES], prefix[_TAG_BYTES + 1 : 2 * _TAG_BYTES + 1], prefix[-8:]
        head_size = int.from_bytes(size, "big")
        if head_size > os.fstat(descriptor).st_size - _PARTS_PREFIX:  # not such an entry: its "size" is whatever
            raise EOFError
        head = _pread(descriptor, head_size, _PARTS_PREFIX)
    except (OSError, EOFError):
        os.close(descriptor)
        return None
    if not hmac.compare_digest(head_tag, _tag(secret, kind, key, size, head)):
        os.close(descriptor)
        return None
    return memoryview(head), Tail(descriptor, _PARTS_PREFIX + len(head), secret, kind, key, head_tag, tail_tag)


class Tail:
    """The tail of an entry whose head ``read_head`` read: read and checked when called, once, from the file the
    head came from (kept open until then: an entry written under the key since, or the entry evicted, is another
    file); None where it does not check."""

    def __init__(
        self, descriptor: int, start: int, secret: bytes, kind: str, key: str, head_tag: bytes, tail_tag: bytes
    ) -> None:
        self._descriptor: int | None = descriptor
        self._start, self._secret, self._kind, self._key = start, secret, kind, key
        self._head_tag, self._tail_tag = head_tag, tail_tag

    def __call__(self) -> memoryview | None:
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is None:
            return None
        try:
            tail = _pread(descriptor, os.fstat(descriptor).st_size - self._start, self._start)
        except (OSError, EOFError):
            return None
        finally:
            os.close(descriptor)
        expected = _tag(self._secret, f"{self._kind}\0tail", self._key, self._head_tag, tail)
        return memoryview(tail) if hmac.compare_digest(self._tail_tag, expected) else None

    def __del__(self) -> None:
        if self._descriptor is not None:
            with contextlib.suppress(OSError):
                os.close(self._descriptor)


def _pread(descriptor: int, size: int, start: int) -> bytes:
    """``size`` bytes of the file from ``start``; EOFError where it has fewer. (A seek and reads: ``os.pread`` is
    not everywhere; the descriptor is this module's alone.)"""
    if size < 0:
        raise EOFError
    os.lseek(descriptor, start, os.SEEK_SET)
    parts: list[bytes] = []
    done = 0
    while done < size:
        part = os.read(descriptor, size - done)
        if not part:
            raise EOFError
        parts.append(part)
        done += len(part)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def newest_entries(kind: str, prefix: str, most: int) -> list[bytes]:
    """The contents of the newest ``most`` entries of ``kind`` whose keys start with ``prefix``, newest
    first, each checked as ``read_entry`` checks it (one that fails is left out)."""
    if not enabled():
        return []
    try:
        with os.scandir(cache_dir() / kind) as found:
            named = [(entry.stat().st_mtime_ns, entry.name) for entry in found if _is_key(entry.name, prefix)]
    except OSError:
        return []
    contents = (read_entry(kind, name) for _, name in sorted(named, reverse=True)[:most])
    return [content for content in contents if content is not None]


def keep_newest(kind: str, most: int) -> None:
    """Deletes all but the newest ``most`` entries of ``kind`` (entries that grow one per run)."""
    if not enabled():
        return
    folder = cache_dir() / kind
    try:
        with os.scandir(folder) as found:
            named = [(entry.stat().st_mtime_ns, entry.name) for entry in found if _is_key(entry.name, "")]
        for _, name in sorted(named, reverse=True)[most:]:
            (folder / name).unlink(missing_ok=True)
    except OSError:
        pass


def _is_key(name: str, prefix: str) -> bool:
    return name.startswith(prefix) and not name.endswith(".tmp")


def touch_entries(kind: str, keys: list[str]) -> None:
    """Marks entries of ``kind`` as just used, so ``keep_newest`` keeps what runs still read."""
    if not enabled():
        return
    folder = cache_dir() / kind
    for key in keys:
        with contextlib.suppress(OSError):
            os.utime(folder / key)


def has_entries(kind: str, prefix: str) -> bool:
    """Whether ``kind`` holds any entry whose key starts with ``prefix`` (not checked: only a hint)."""
    if not enabled():
        return False
    try:
        with os.scandir(cache_dir() / kind) as found:
            return any(_is_key(entry.name, prefix) for entry in found)
    except OSError:
        return False
