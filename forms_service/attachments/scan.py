"""Virus scanning: each file streamed to clamd with its INSTREAM command.

The protocol (clamd(8)): send ``zINSTREAM\\0``, then the file in chunks, each
prefixed by its length as 4 bytes big-endian, then a zero length; clamd
answers ``stream: OK`` or ``stream: <signature> FOUND`` (``z`` commands end
their reply with a NUL). ``FORMS_CLAMD_SOCKET`` is a unix socket path, or
``host:port`` for clamd's TCP socket. Anything but a clear ``OK`` refuses the
file: a scanner that cannot be reached, times out or answers oddly fails
closed.
"""

from __future__ import annotations

import socket
import struct

CHUNK = 64 * 1024
TIMEOUT_SECONDS = 30.0


class Infected(Exception):
    """clamd found something; ``signature`` is what it called it (never shown to users)."""

    def __init__(self, signature: str) -> None:
        super().__init__(signature)
        self.signature = signature


class ScannerFailed(Exception):
    """The scanner could not give a clear answer (so the file is refused)."""


def _connect(address: str, timeout: float) -> socket.socket:
    if address.startswith("/"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(address)
        return sock
    host, _, port = address.rpartition(":")
    return socket.create_connection((host, int(port)), timeout=timeout)


def scan(address: str, content: bytes, timeout: float = TIMEOUT_SECONDS) -> None:
    """Return if clamd at ``address`` says ``content`` is clean; else raise.

    Raises :class:`Infected` on a hit and :class:`ScannerFailed` on anything
    else that is not ``stream: OK``.
    """
    try:
        with _connect(address, timeout) as sock:
            sock.sendall(b"zINSTREAM\0")
            for start in range(0, len(content), CHUNK):
                chunk = content[start : start + CHUNK]
                sock.sendall(struct.pack(">I", len(chunk)) + chunk)
            sock.sendall(struct.pack(">I", 0))
            reply = _read_reply(sock)
    except (OSError, ValueError) as exc:
        raise ScannerFailed(type(exc).__name__) from None
    if reply == "stream: OK":
        return
    if reply.startswith("stream: ") and reply.endswith(" FOUND"):
        raise Infected(reply[len("stream: ") : -len(" FOUND")])
    raise ScannerFailed("unexpected reply")


def _read_reply(sock: socket.socket) -> str:
    """clamd's reply up to its NUL (or the end of the stream)."""
    data = b""
    while b"\0" not in data and len(data) < 4096:
        part = sock.recv(4096)
        if not part:
            break
        data += part
    return data.split(b"\0", 1)[0].decode("utf-8", "replace").strip()
