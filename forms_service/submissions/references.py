"""Human-friendly references such as ``EH-7K3Q-2MZD``.

The alphabet leaves out letters and digits that are easily confused when read
aloud or handwritten (0/O, 1/I/L, U/V), so a duty manager can read one over
the phone. 8 random characters give 29^8 ≈ 5 × 10^11 values.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
PATTERN = re.compile(rf"^[A-Z]{{2,4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$")


def new_reference(prefix: str) -> str:
    """A fresh random reference with the form's prefix."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{prefix}-{chars[:4]}-{chars[4:]}"


def looks_like_reference(value: str) -> bool:
    """Whether ``value`` has the shape of a reference (before any lookup)."""
    return bool(PATTERN.match(value))
