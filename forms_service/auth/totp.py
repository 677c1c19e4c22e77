"""The second factor: time-based one-time codes (RFC 6238) from an authenticator app.

Each code is accepted once: the time step of the last accepted code is kept,
and a code from that step or an earlier one is refused, so a code seen over a
shoulder cannot be replayed. One step either side is allowed for clock drift.
"""

from __future__ import annotations

import io
import re
import time

import pyotp
import segno

ISSUER = "Early Help forms"
STEP_SECONDS = 30
_CODE = re.compile(r"^\d{6}$")


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (typed or as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def clean_code(code: str) -> str:
    """What was typed, without spaces or dashes ("123 456" is fine)."""
    return re.sub(r"[\s-]", "", code or "")


def accepted_step(
    secret: str, code: str, last_step: int | None, now: float | None = None
) -> int | None:
    """The time step ``code`` belongs to, if it is valid and newer than ``last_step``."""
    code = clean_code(code)
    if not _CODE.match(code):
        return None
    moment = time.time() if now is None else now
    totp = pyotp.TOTP(secret)
    current = int(moment // STEP_SECONDS)
    for step in (current, current - 1, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if pyotp.utils.strings_equal(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (no script, no external image)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out,
        kind="svg",
        scale=5,
        border=2,
        xmldecl=False,
        svgns=True,
        title="QR code for your authenticator app",
    )
    return out.getvalue().decode().replace("<svg ", '<svg role="img" ', 1)
