"""Passwords: argon2id hashes, and NCSC-style rules (length and a deny list, no composition).

The deny list is zxcvbn's list of the 30,000 most common passwords; a
password is also refused when, with digits and symbols stripped from its
ends, it is a common password ("Password123!"), when it is one character
repeated, or when it contains the person's name, email or this service's name.
"""

from __future__ import annotations

import functools
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256
#: Words a guesser would try first for this service.
CONTEXT_WORDS = ("earlyhelp", "southend", "cspoc", "familysupport")
#: Words that make any password guessable, wherever they appear.
GUESSABLE_WORDS = ("password", "qwerty")
TOO_SHORT = f"Your password must be {MIN_LENGTH} characters or more"
TOO_LONG = f"Your password must be {MAX_LENGTH} characters or fewer"
TOO_COMMON = (
    "This password is too easy to guess because it is commonly used. Choose a different "
    "password: 3 unrelated words make a strong one"
)
TOO_PERSONAL = (
    "Your password must not include your name, your email address, or the name of this "
    "service or the council"
)

_hasher = PasswordHasher()  # argon2id, the library's recommended parameters
_ENDS = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_LETTERS = re.compile(r"[^a-z0-9]")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; an account without a password never matches.

    With no hash, a dummy one is checked anyway so an unknown account takes
    as long to refuse as a wrong password.
    """
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("an unguessable placeholder, never a real password")


@functools.cache
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, context: tuple[str, ...] = ()) -> str | None:
    """Why ``password`` will not do (a GOV.UK-style message), or None."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    lowered = password.lower()
    squashed = _LETTERS.sub("", lowered)
    core = _ENDS.sub("", lowered)
    if lowered in _common() or core in _common() or len(set(lowered)) <= 2:
        return TOO_COMMON
    if any(word in squashed for word in GUESSABLE_WORDS):
        return TOO_COMMON
    personal = [
        _LETTERS.sub("", part.lower()) for item in context for part in re.split(r"[\s@.]+", item)
    ]
    words = [w for w in (*CONTEXT_WORDS, *personal) if len(w) >= 4]
    if any(word in squashed for word in words):
        return TOO_PERSONAL
    return None
