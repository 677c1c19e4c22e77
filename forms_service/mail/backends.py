"""Sending a built message: real SMTP (TLS, verified, with timeouts) or a pickup directory.

Failures are sorted into two kinds, as RFC 5321 reply classes suggest:

* ``TransientSendError`` - 4xx replies, refused or dropped connections,
  timeouts, TLS failures, a server that does not offer STARTTLS: retry later.
* ``PermanentSendError`` - 5xx replies, a message too large: do not retry.

Both carry a short ``reason`` (never personal data, never the server's free
text, which may echo addresses) and, for SMTP replies, the ``code``.
The envelope recipients always come from the caller, never from headers.
A caller may name some of them ``optional`` (a copy to the referrer): their
refusal is returned, not raised, so the message to the others still counts
as sent and is not sent to them again.
"""

from __future__ import annotations

import ipaddress
import os
import re
import smtplib
import ssl
import tempfile
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from .message import is_plain_address, message_size, safe_filename

__all__ = [
    "Backend",
    "PermanentSendError",
    "PickupDirectoryBackend",
    "SendError",
    "SmtpBackend",
    "SmtpSettings",
    "TransientSendError",
    "backend_from_url",
    "check_size",
    "parse_smtp_url",
    "tls_context",
]

DEFAULT_TIMEOUT = 30.0
DEFAULT_PORTS = {"plain": 25, "starttls": 587, "implicit": 465}
SCHEMES = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "implicit"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_ENHANCED_STATUS = re.compile(rb"^\s*([245]\.\d{1,3}\.\d{1,3})\b")


class SendError(Exception):
    """A delivery attempt failed; ``reason`` is short and free of personal data."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class TransientSendError(SendError):
    """Worth retrying later (4xx, network, timeout, TLS)."""


class PermanentSendError(SendError):
    """Retrying will not help (5xx, too large)."""


class Backend(Protocol):
    """Anything that can deliver a message to the given envelope recipients."""

    def send(
        self, msg: EmailMessage, recipients: Sequence[str], *, optional: Collection[str] = ()
    ) -> list[str]: ...


def check_size(msg: EmailMessage, cap_bytes: int) -> int:
    """Raise ``PermanentSendError('too_large: ...')`` if ``msg`` exceeds the cap; else its size."""
    size = message_size(msg)
    if size > cap_bytes:
        raise PermanentSendError(f"too_large: {size} bytes > cap {cap_bytes}")
    return size


def _check_recipients(recipients: Sequence[str]) -> list[str]:
    if isinstance(recipients, str):
        raise TypeError("recipients must be a sequence of addresses, not a string")
    result = list(recipients)
    if not result:
        raise ValueError("at least one envelope recipient is required")
    for address in result:
        if not is_plain_address(address):
            raise ValueError("envelope recipient is not a single plain email address")
    return result


# --------------------------------------------------------------------------- SMTP


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to connect; from ``parse_smtp_url``."""

    host: str
    port: int
    security: str  # "plain" | "starttls" | "implicit"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    verify: bool = True
    cafile: str | None = None

    @property
    def encrypted(self) -> bool:
        return self.security != "plain"


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _flag(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"SMTP URL option {name} must be true or false")


def parse_smtp_url(url: str) -> SmtpSettings:
    """Parse ``smtp+starttls://user:pass@host:587?timeout=30&verify=true&cafile=/path``.

    Schemes: ``smtp+starttls`` (STARTTLS required), ``smtps`` (implicit TLS) and
    ``smtp`` (plain text). Plain text is only accepted to a loopback host, or
    with the explicit option ``insecure=true`` (a relay on a trusted network).
    Credentials are percent-decoded. Unknown options are an error.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ValueError("SMTP URL scheme must be smtp, smtp+starttls or smtps")
    security = SCHEMES[scheme]
    host = parts.hostname
    if not host:
        raise ValueError("SMTP URL has no host")
    try:
        port = parts.port or DEFAULT_PORTS[security]
    except ValueError as exc:
        raise ValueError("SMTP URL has an invalid port") from exc
    if parts.path not in ("", "/"):
        raise ValueError("SMTP URL must not have a path")

    options: dict[str, str] = {}
    for key, values in parse_qs(parts.query, keep_blank_values=True, strict_parsing=False).items():
        if key not in {"timeout", "verify", "cafile", "insecure"}:
            raise ValueError(f"unknown SMTP URL option {key!r}")
        options[key] = values[-1]

    timeout = DEFAULT_TIMEOUT
    if "timeout" in options:
        try:
            timeout = float(options["timeout"])
        except ValueError as exc:
            raise ValueError("SMTP URL option timeout must be a number") from exc
        if not 0 < timeout <= 600:
            raise ValueError("SMTP URL option timeout must be between 0 and 600 seconds")
    verify = _flag(options["verify"], "verify") if "verify" in options else True
    cafile = options.get("cafile") or None
    insecure = _flag(options["insecure"], "insecure") if "insecure" in options else False

    if security == "plain" and not (insecure or _is_loopback(host)):
        raise ValueError(
            "plain smtp:// is only allowed to a loopback host or with insecure=true; "
            "use smtp+starttls:// or smtps://"
        )

    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return SmtpSettings(
        host=host,
        port=port,
        security=security,
        username=username or None,
        password=password if username else None,
        timeout=timeout,
        verify=verify,
        cafile=cafile,
    )


def tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """A client context: TLS 1.2+, certificate and hostname checked unless verify=false."""
    context = ssl.create_default_context(cafile=settings.cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if not settings.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _reply_error(code: int, message: bytes | str | None, stage: str) -> SendError:
    raw = message.encode("utf-8", "replace") if isinstance(message, str) else (message or b"")
    match = _ENHANCED_STATUS.match(raw)
    detail = f" {match.group(1).decode()}" if match else ""
    reason = f"smtp {code}{detail} at {stage}"
    if 400 <= code < 500:
        return TransientSendError(reason, code)
    if 500 <= code < 600:
        return PermanentSendError(reason, code)
    return TransientSendError(f"unexpected smtp reply {code} at {stage}", code)


class SmtpBackend:
    """Deliver over SMTP with a timeout, mandatory TLS (unless plain) and no fallback."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(
        self,
        msg: EmailMessage,
        recipients: Sequence[str],
        envelope_from: str | None = None,
        *,
        optional: Collection[str] = (),
    ) -> list[str]:
        """Send ``msg`` to exactly ``recipients`` (the envelope; headers are ignored).

        Returns the refusal reasons of ``optional`` recipients (no addresses);
        the refusal of any other recipient raises.
        """
        to_addrs = _check_recipients(recipients)
        from_addr = envelope_from or parseaddr(str(msg.get("From", "")))[1]
        if not is_plain_address(from_addr):
            raise ValueError("envelope sender is not a single plain email address")
        size = message_size(msg)
        stage = "connect"
        client: smtplib.SMTP | None = None
        try:
            client = self._connect()
            stage = "ehlo"
            client.ehlo()
            if self.settings.security == "starttls":
                if not client.has_extn("starttls"):
                    raise TransientSendError("server does not offer STARTTLS")
                stage = "starttls"
                client.starttls(context=tls_context(self.settings))
                stage = "ehlo"
                client.ehlo()
            if self.settings.username:
                stage = "login"
                client.login(self.settings.username, self.settings.password or "")
            if client.has_extn("size"):
                limit = _int_or_zero(client.esmtp_features.get("size", ""))
                if limit and size > limit:
                    raise PermanentSendError(f"too_large: {size} bytes > server SIZE {limit}")
            stage = "send"
            refused = client.send_message(msg, from_addr, to_addrs=to_addrs)
            required = [reply for address, reply in refused.items() if address not in optional]
            if required:
                code, text = required[0]
                raise _reply_error(code, text, "rcpt")
            return [_reply_error(code, text, "rcpt").reason for code, text in refused.values()]
        except SendError:
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (451, b""))
            raise _reply_error(code, text, "rcpt") from None
        except smtplib.SMTPResponseException as exc:
            raise _reply_error(exc.smtp_code, exc.smtp_error, _stage_of(exc, stage)) from None
        except smtplib.SMTPServerDisconnected as exc:
            timed_out = "timed out" in str(exc)
            what = "timed out" if timed_out else "server disconnected"
            raise TransientSendError(f"{what} at {stage}") from None
        except ssl.SSLCertVerificationError as exc:
            raise TransientSendError(
                f"tls certificate verify failed: {exc.verify_message}"[:200]
            ) from None
        except ssl.SSLError as exc:
            raise TransientSendError(f"tls error at {stage}: {exc.reason or 'unknown'}") from None
        except TimeoutError:
            raise TransientSendError(f"timed out at {stage}") from None
        except ConnectionRefusedError:
            raise TransientSendError("connection refused") from None
        except smtplib.SMTPException as exc:  # e.g. SMTPNotSupportedError
            raise TransientSendError(f"smtp error at {stage}: {type(exc).__name__}") from None
        except OSError as exc:
            raise TransientSendError(f"network error at {stage}: {type(exc).__name__}") from None
        finally:
            if client is not None:
                _close(client)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "implicit":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=tls_context(s))
        return smtplib.SMTP(s.host, s.port, timeout=s.timeout)


def _stage_of(exc: smtplib.SMTPResponseException, stage: str) -> str:
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return "mail"
    if isinstance(exc, smtplib.SMTPDataError):
        return "data"
    if isinstance(exc, smtplib.SMTPConnectError):
        return "connect"
    return stage


def _int_or_zero(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except Exception:  # noqa: S110  (best effort; the socket is closed below anyway)
        pass
    finally:
        client.close()


# --------------------------------------------------------------------------- pickup directory


class PickupDirectoryBackend:
    """Write each message as ``<message-id>.eml`` into a directory, atomically.

    The same Message-ID gives the same file name, so a resend replaces the file
    rather than adding a duplicate.
    """

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def path_for(self, msg: EmailMessage) -> Path:
        message_id = str(msg.get("Message-ID", "")).strip().strip("<>")
        name = safe_filename(message_id) if message_id else f"message-{uuid.uuid4().hex}"
        return self.directory / f"{name}.eml"

    def send(
        self,
        msg: EmailMessage,
        recipients: Sequence[str] | None = None,
        *,
        optional: Collection[str] = (),
    ) -> list[str]:
        """Write ``msg``; ``recipients`` are validated but not written (none is refused)."""
        if recipients is not None:
            _check_recipients(recipients)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self.path_for(msg)
            data = msg.as_bytes()
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".eml", dir=self.directory)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            _fsync_dir(self.directory)
        except OSError as exc:
            reason = f"pickup directory write failed: {type(exc).__name__}"
            raise TransientSendError(reason) from None
        return []


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def backend_from_url(
    smtp_url: str | None, pickup_dir: Path
) -> SmtpBackend | PickupDirectoryBackend:
    """An SMTP backend for a URL, or the pickup directory when no URL is set."""
    if smtp_url is None or not smtp_url.strip():
        return PickupDirectoryBackend(pickup_dir)
    return SmtpBackend(parse_smtp_url(smtp_url))
