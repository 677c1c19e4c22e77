"""A small clamd for tests: speaks INSTREAM on a unix socket, and finds only EICAR.

Real signatures cannot be downloaded on the build machines, so the protocol is
tested against this: ``zINSTREAM\\0``, chunks each prefixed by a 4-byte
big-endian length, a zero length to end; the reply ``stream: OK\\0`` or
``stream: Eicar-Test-Signature FOUND\\0``. ``broken=True`` answers nonsense,
as a scanner in trouble might.
"""

from __future__ import annotations

import shutil
import socketserver
import struct
import tempfile
import threading
from pathlib import Path
from types import TracebackType

#: The EICAR anti-virus test file, in two halves so this source is not itself a "virus".
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class _Handler(socketserver.BaseRequestHandler):
    server: FakeClamdServer

    def handle(self) -> None:
        command = self._exactly(len(b"zINSTREAM\0"))
        if command != b"zINSTREAM\0":
            self.request.sendall(b"UNKNOWN COMMAND\0")
            return
        received = b""
        while True:
            (length,) = struct.unpack(">I", self._exactly(4))
            if length == 0:
                break
            received += self._exactly(length)
        self.server.scanned.append(received)
        if self.server.broken:
            self.request.sendall(b"INSTREAM size limit exceeded. ERROR\0")
        elif EICAR in received:
            self.request.sendall(b"stream: Eicar-Test-Signature FOUND\0")
        else:
            self.request.sendall(b"stream: OK\0")

    def _exactly(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            part = self.request.recv(size - len(data))
            if not part:
                raise ConnectionError("client went away")
            data += part
        return data


class FakeClamdServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, broken: bool = False) -> None:
        super().__init__(path, _Handler)
        self.broken = broken
        self.scanned: list[bytes] = []


class FakeClamd:
    """``with FakeClamd() as clamd:`` serves on ``clamd.path`` until the block ends."""

    def __init__(self, *, broken: bool = False) -> None:
        # A short folder: a unix socket path may be at most about 100 bytes.
        self.folder = Path(tempfile.mkdtemp(prefix="clamd", dir="/tmp"))
        self.path = str(self.folder / "clamd.sock")
        self.server = FakeClamdServer(self.path, broken)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeClamd:
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def scanned(self) -> list[bytes]:
        return self.server.scanned
