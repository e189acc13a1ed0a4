"""A ZIP written while it is sent: each file goes out as soon as it is added, so memory holds
one file at a time however many there are."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator


class _Sink:
    """A write-only, unseekable file: ZipFile then writes each entry's sizes after its data."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def stream_zip(files: Iterable[tuple[str, bytes]]) -> Iterator[bytes]:
    """The bytes of a ZIP of `files` ((name, content) pairs), piece by piece. PDFs are
    compressed already, so entries are stored, not deflated again."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, content in files:
            archive.writestr(name, content)
            yield sink.take()
    yield sink.take()
