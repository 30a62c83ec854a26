"""One fix to Whoosh (whoosh-reloaded 2.7.5), applied when the search package is imported.

Whoosh maps each compound segment file into memory, then wraps every sub-file it opens in
``BytesIO(memoryview)``, which *copies* it: the postings, the stored fields and the
columns of a segment end up duplicated on the Python heap, once per reader, and this app
keeps a reader per thread. At 50,000 articles that was about 200 MB per thread and put a
serving worker at 1.3 GB. :class:`MappedFile` reads the mapped bytes in place instead.
"""

from __future__ import annotations

from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile

_PEEK = 256


class _MappedReader:
    """The file-like part of a mapped sub-file: a position over a memoryview, no copy."""

    __slots__ = ("_buf", "_pos")

    def __init__(self, buf: memoryview):
        self._buf = buf
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        start = self._pos
        if start >= len(self._buf):
            return b""  # at or past the end (seeking past it is allowed, as in BytesIO)
        end = len(self._buf) if size is None or size < 0 else min(start + size, len(self._buf))
        self._pos = end
        return bytes(self._buf[start:end])

    def peek(self, size: int = 0) -> bytes:
        """Bytes ahead without moving. With it, ``pickle.load`` reads a posting block's
        header in one go instead of one ``read`` an opcode (217,000 reads, a sixth of the
        first search's time at 50,000 articles). A pickle is short: a small window does."""
        return bytes(self._buf[self._pos : self._pos + min(max(size, 1), _PEEK)])

    def readline(self, size: int = -1) -> bytes:
        if self._pos >= len(self._buf):
            return b""
        rest = bytes(self._buf[self._pos :])
        line = rest.split(b"\n", 1)[0] + (b"\n" if b"\n" in rest else b"")
        if size is not None and size >= 0:
            line = line[:size]
        self._pos += len(line)
        return line

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 1:
            offset += self._pos
        elif whence == 2:
            offset += len(self._buf)
        self._pos = max(0, offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def write(self, data: bytes) -> int:
        raise OSError("a mapped index file is read-only")

    def truncate(self, size: int | None = None) -> int:
        raise OSError("a mapped index file is read-only")

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._buf = memoryview(b"")


class MappedFile(BufferFile):
    """Whoosh's BufferFile without the copy."""

    def __init__(self, buf, name=None, onclose=None):
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = _MappedReader(buf)

    def subset(self, position, length, name=None):
        return MappedFile(self._buf[position : position + length], name=name or self._name)


def apply() -> None:
    compound.BufferFile = MappedFile
