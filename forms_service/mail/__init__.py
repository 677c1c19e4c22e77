"""The mail stage: build the referral email and send it (SMTP or pickup directory).

Engine code: no Flask imports here.
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
from .message import Attachment, build_message, message_size

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
    "build_message",
    "check_size",
    "message_size",
    "parse_smtp_url",
    "tls_context",
]
