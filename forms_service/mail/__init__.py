"""Email, and nothing else: build a message (``message.py``) and send it (``backends.py``:
SMTP or a pickup directory).

It knows nothing of submissions, documents or the database: ``delivery/``
decides what to send and records what happened. No Flask imports here.
"""

from .backends import (
    Backend,
    PermanentSendError,
    PickupDirectoryBackend,
    SendError,
    SmtpBackend,
    SmtpSettings,
    TransientSendError,
    backend_from_url,
    check_size,
    parse_smtp_url,
    tls_context,
)
from .message import Attachment, build_email, build_message, message_size

__all__ = [
    "Attachment",
    "Backend",
    "PermanentSendError",
    "PickupDirectoryBackend",
    "SendError",
    "SmtpBackend",
    "SmtpSettings",
    "TransientSendError",
    "backend_from_url",
    "build_email",
    "build_message",
    "check_size",
    "message_size",
    "parse_smtp_url",
    "tls_context",
]
