"""Data at rest: answers, drafts and secrets sealed with MultiFernet; blind indexes.

Everything that could identify a family is stored as a Fernet token
(AES-128-CBC with an HMAC-SHA256, the ``cryptography`` package's recipe) under
the newest of ``FORMS_DATA_KEYS``; older keys still open what they sealed, so
keys can be rotated (``forms-service rotate-data-key`` re-seals every row with
the newest). Matching families without decrypting them uses *blind indexes*:
HMAC-SHA256 under a separate ``FORMS_INDEX_KEY`` of a normalised value (an NHS
number, a surname with a date of birth, a surname with a postcode), so equal
values give equal digests and the digest reveals nothing without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from .config import ConfigError


class SealBroken(Exception):
    """A sealed value cannot be opened with any configured key."""


class Vault:
    """Seals and opens values; computes blind indexes. One per process."""

    def __init__(self, data_keys: Sequence[str], index_key: str) -> None:
        if not data_keys:
            raise ConfigError("FORMS_DATA_KEYS must hold at least one key")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in data_keys])
        except (ValueError, TypeError):
            raise ConfigError(
                "FORMS_DATA_KEYS must be Fernet keys (32 url-safe base64 bytes each), "
                "comma-separated, newest first"
            ) from None
        if not index_key:
            raise ConfigError("FORMS_INDEX_KEY must be set")
        self._index_key = index_key.encode()

    def seal(self, value: Any) -> bytes:
        """``value`` as JSON, encrypted with the newest key."""
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return self._fernet.encrypt(text.encode())

    def open(self, token: bytes) -> Any:
        """The value sealed in ``token`` (any configured key)."""
        try:
            return json.loads(self._fernet.decrypt(bytes(token)))
        except InvalidToken:
            raise SealBroken("a stored value cannot be opened with FORMS_DATA_KEYS") from None

    def seal_bytes(self, content: bytes) -> bytes:
        """Raw bytes (an uploaded file) encrypted with the newest key, without a JSON detour."""
        return self._fernet.encrypt(content)

    def open_bytes(self, token: bytes) -> bytes:
        """The bytes sealed by :meth:`seal_bytes` (any configured key)."""
        try:
            return self._fernet.decrypt(bytes(token))
        except InvalidToken:
            raise SealBroken("a stored value cannot be opened with FORMS_DATA_KEYS") from None

    def seal_optional(self, value: Any) -> bytes | None:
        return None if value is None else self.seal(value)

    def open_optional(self, token: bytes | None) -> Any:
        return None if token is None else self.open(token)

    def reseal(self, token: bytes) -> bytes:
        """``token`` re-encrypted with the newest key (rotation)."""
        try:
            return self._fernet.rotate(bytes(token))
        except InvalidToken:
            raise SealBroken("a stored value cannot be opened with FORMS_DATA_KEYS") from None

    def blind_index(self, kind: str, value: str) -> str:
        """HMAC-SHA256 of ``kind`` and an already normalised ``value``, as hex."""
        message = f"{kind}\x1f{value}".encode()
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()


def token_digest(token: str) -> str:
    """How high-entropy tokens (sessions, API tokens, invitations) are stored: SHA-256.

    A fast hash is right here: the token is 256 random bits, so there is
    nothing to guess, and a stolen table gives no usable token.
    """
    return hashlib.sha256(token.encode()).hexdigest()
