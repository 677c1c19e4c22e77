"""A real SMTP server on loopback for tests (aiosmtpd), plus a few network helpers.

Usage::

    with SmtpTestServer() as smtp:                       # plain
        ...send to smtp.url()...
        assert smtp.messages[0].rcpt_tos == ["spoc@example.gov.uk"]

    with SmtpTestServer(starttls=True, tmp_dir=tmp_path) as smtp:  # STARTTLS, self-signed
        smtp.url("smtp+starttls", cafile=smtp.certfile)

    smtp.fail_next(451, count=5)           # next 5 messages get 451 at DATA
    smtp.fail_next(550, stage="RCPT")      # next RCPT gets 550
    smtp.refuse("someone@school.example.sch.uk")  # every RCPT of this address gets 550

The certificate is generated at test time with ``cryptography`` when it is
installed, otherwise with the ``openssl`` command.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import ipaddress
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


@dataclass
class ReceivedMessage:
    """One accepted message and its envelope."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool = False
    mail_options: list[str] = field(default_factory=list)

    def parsed(self) -> EmailMessage:
        msg = email.message_from_bytes(self.data, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class _Failure:
    code: int
    count: int
    stage: str
    text: str


class _Handler:
    """aiosmtpd handler: records envelopes, answers configured failures."""

    def __init__(self, owner: SmtpTestServer) -> None:
        self.owner = owner

    def _reply_for(self, stage: str) -> str | None:
        with self.owner._lock:
            for failure in self.owner._failures:
                if failure.stage == stage and failure.count > 0:
                    failure.count -= 1
                    return f"{failure.code} {failure.text}"
        return None

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        reply = self._reply_for("MAIL")
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self._reply_for("RCPT")
        if reply:
            return reply
        with self.owner._lock:
            refused = self.owner._refused.get(address.lower())
        if refused is not None:
            return f"{refused} 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = self._reply_for("DATA")
        if reply:
            with self.owner._lock:
                self.owner.rejected += 1
            return reply
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        received = ReceivedMessage(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            data=bytes(data),
            tls=getattr(session, "ssl", None) is not None,
            mail_options=list(envelope.mail_options),
        )
        with self.owner._lock:
            self.owner.messages.append(received)
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A TCP port on loopback that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def closed_port() -> int:
    """A loopback port with nothing listening (connections are refused)."""
    return free_port()


@contextlib.contextmanager
def silent_listener() -> Iterator[int]:
    """A port that accepts TCP connections (via the backlog) but never says anything."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((HOST, 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def make_self_signed_cert(directory: Path, hostname: str = "localhost") -> tuple[Path, Path]:
    """Write ``cert.pem`` and ``key.pem`` for ``hostname`` and 127.0.0.1; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    certfile, keyfile = directory / "cert.pem", directory / "key.pem"
    try:
        _cert_with_cryptography(certfile, keyfile, hostname)
    except ImportError:
        _cert_with_openssl(certfile, keyfile, hostname)
    return certfile, keyfile


def _cert_with_cryptography(certfile: Path, keyfile: Path, hostname: str) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(hostname), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _cert_with_openssl(certfile: Path, keyfile: Path, hostname: str) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("need the cryptography package or the openssl command")
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(keyfile),
            "-out",
            str(certfile),
            "-days",
            "1",
            "-subj",
            f"/CN={hostname}",
            "-addext",
            f"subjectAltName=DNS:{hostname},IP:{HOST}",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ],
        check=True,
        capture_output=True,
    )


class SmtpTestServer:
    """aiosmtpd on 127.0.0.1 at a free port; a context manager.

    ``starttls=True`` offers STARTTLS with a freshly generated self-signed
    certificate (``certfile``); ``implicit_tls=True`` speaks TLS from the first
    byte (``smtps://``) with such a certificate; ``size_limit`` sets the
    advertised SIZE (None: not advertised).
    """

    def __init__(
        self,
        *,
        starttls: bool = False,
        implicit_tls: bool = False,
        require_starttls: bool = False,
        size_limit: int | None = 33_554_432,
        tmp_dir: Path | None = None,
    ) -> None:
        self.messages: list[ReceivedMessage] = []
        self.rejected = 0
        self._failures: list[_Failure] = []
        self._refused: dict[str, int] = {}
        self._lock = threading.Lock()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.certfile: Path | None = None
        self.keyfile: Path | None = None
        kwargs: dict[str, Any] = {"data_size_limit": size_limit}
        if starttls or implicit_tls:
            if tmp_dir is None:
                self._tmp = tempfile.TemporaryDirectory()
                tmp_dir = Path(self._tmp.name)
            self.certfile, self.keyfile = make_self_signed_cert(tmp_dir)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.certfile, self.keyfile)
            if implicit_tls:
                kwargs.update(ssl_context=context)
            else:
                kwargs.update(tls_context=context, require_starttls=require_starttls)
        self.host = HOST
        self.port = 0
        self._kwargs = kwargs
        self._controller: Controller | None = None

    def start(self, port: int | None = None) -> SmtpTestServer:
        """Listen on ``port`` (to bring a "down" server back up), or a free one."""
        last_error: Exception | None = None
        for _ in range(5):  # a free port can be taken between probing and binding
            self.port = port or free_port()
            controller = Controller(_Handler(self), hostname=HOST, port=self.port, **self._kwargs)
            try:
                controller.start()
            except Exception as exc:  # pragma: no cover - port race
                last_error = exc
                continue
            self._controller = controller
            return self
        raise RuntimeError(f"could not start the SMTP test server: {last_error}")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> SmtpTestServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def fail_next(
        self, code: int, count: int = 1, *, stage: str = "DATA", text: str | None = None
    ) -> None:
        """Answer ``code`` at ``stage`` (MAIL, RCPT or DATA) for the next ``count`` times."""
        if stage not in {"MAIL", "RCPT", "DATA"}:
            raise ValueError("stage must be MAIL, RCPT or DATA")
        default = "4.3.0 Try again later" if code < 500 else "5.7.1 Rejected"
        with self._lock:
            self._failures.append(_Failure(code, count, stage, text or default))

    def refuse(self, address: str, code: int = 550) -> None:
        """Answer ``code`` to every RCPT TO of ``address`` (a mailbox that does not exist)."""
        with self._lock:
            self._refused[address.lower()] = code

    def stop_refusing(self, address: str | None = None) -> None:
        """Accept ``address`` again (every refused address when None)."""
        with self._lock:
            if address is None:
                self._refused.clear()
            else:
                self._refused.pop(address.lower(), None)

    def url(
        self,
        scheme: str = "smtp",
        *,
        user: str | None = None,
        password: str | None = None,
        **options: object,
    ) -> str:
        """An SMTP URL for this server, e.g. ``url("smtp+starttls", cafile=...)``."""
        auth = ""
        if user is not None:
            auth = quote(user, safe="")
            if password is not None:
                auth += ":" + quote(password, safe="")
            auth += "@"
        query = urlencode(
            {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in options.items()}
        )
        return f"{scheme}://{auth}{self.host}:{self.port}" + (f"?{query}" if query else "")
