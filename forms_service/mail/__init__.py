"""Email, and nothing else: build a message (``message.py``) and send it (``backends.py``:
SMTP or a pickup directory).

It knows nothing of submissions, documents or the database: ``delivery/``
decides what to send and records what happened. No Flask imports here.
"""

from . import backends
from .backends import *  # noqa: F403  (re-exports exactly ``backends.__all__``)
from .message import Attachment, build_email, message_size

# The backends' public names are listed once, by backends.py; this package adds the
# message builders.
__all__ = [*backends.__all__, "Attachment", "build_email", "message_size"]
