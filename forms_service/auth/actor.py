"""Who is asking: an anonymous referrer, a signed-in member of staff, an API token.

Plain data, with no Flask: the web layer, the API and the CLI each make an
``Actor`` and pass it to engine functions, which ask ``policy.can``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..audit import Who

#: What each role is called on screen.
ROLE_NAMES = {
    "cspoc": "C-SPOC duty worker",
    "lead-professional": "Lead professional",
    "manager": "Manager",
    "admin": "Administrator",
}


@dataclass(frozen=True)
class Actor:
    """The person or client behind a request."""

    kind: str  # anonymous | user | token | cli | system
    user_id: str | None = None
    role: str | None = None
    name: str | None = None
    #: A referral token's forms (a user-bound token acts as its user instead).
    forms: frozenset[str] = frozenset()
    token_id: str | None = None
    ip: str | None = None

    @property
    def who(self) -> Who:
        """How the audit log records this actor."""
        return Who(self.kind, self.user_id or self.token_id, self.ip)

    @property
    def is_staff(self) -> bool:
        """A signed-in member of staff (or a token acting as one)."""
        return self.user_id is not None and self.role is not None


ANONYMOUS = Actor("anonymous")


def anonymous(ip: str | None) -> Actor:
    return Actor("anonymous", ip=ip)
