"""Evidence in a local directory: today's behaviour (``UPLOAD_ROOT``)."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

from portal.storage import StorageError, StoredObjectMissing

_TEMP_PREFIX = ".tmp-"
_TEMP_NAME = re.compile(r"\.tmp-[A-Za-z0-9_-]{22}")


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise StoredObjectMissing(name)
        return self.root / name

    def _ensure_root(self) -> Path:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.root

    def put(self, name: str, data: bytes) -> None:
        final = self._path(name)
        root = self._ensure_root()
        temp = root / f"{_TEMP_PREFIX}{secrets.token_urlsafe(16)}"
        try:
            _write_durably(temp, data)
            os.link(temp, final)  # fails if the name exists: never overwrites
            temp.unlink()
            _fsync_directory(root)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def get(self, name: str) -> bytes:
        path = self._path(name)
        if path.is_symlink() or not path.is_file():
            raise StoredObjectMissing(name)
        return path.read_bytes()

    def delete(self, name: str) -> bool:
        try:
            self._path(name).unlink()
        except (FileNotFoundError, StoredObjectMissing):
            return False
        _fsync_directory(self.root)
        return True

    def exists(self, name: str) -> bool:
        try:
            path = self._path(name)
        except StoredObjectMissing:
            return False
        return path.is_file() and not path.is_symlink()

    def touch(self, name: str) -> None:
        try:
            os.utime(self._path(name), follow_symlinks=False)
        except FileNotFoundError:
            raise StoredObjectMissing(name) from None

    def names(self, older_than: dt.datetime | None = None) -> Iterator[str]:
        if not self.root.is_dir():
            return
        cutoff = older_than.timestamp() if older_than else None
        with os.scandir(self.root) as entries:
            for entry in entries:
                if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                    continue
                if cutoff is not None and entry.stat(follow_symlinks=False).st_mtime > cutoff:
                    continue
                yield entry.name

    def sweep_temporaries(self, older_than: dt.datetime) -> list[str]:
        """Remove temporary files a crash left behind mid-``put``."""
        if not self.root.is_dir():
            return []
        cutoff = older_than.timestamp()
        removed = []
        with os.scandir(self.root) as entries:
            for entry in entries:
                if not _TEMP_NAME.fullmatch(entry.name) or not entry.is_file(follow_symlinks=False):
                    continue
                if entry.stat(follow_symlinks=False).st_mtime <= cutoff:
                    removed.append(entry.name)
        for name in removed:
            (self.root / name).unlink(missing_ok=True)
        if removed:
            _fsync_directory(self.root)
        return removed

    def ping(self) -> None:
        try:
            root = self._ensure_root()
            if not os.access(root, os.W_OK | os.X_OK):
                raise StorageError(f"{root} is not writable")
        except OSError as exc:
            raise StorageError(str(exc)) from exc

    def describe(self) -> str:
        return f"directory {self.root}"


def _write_durably(path: Path, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
