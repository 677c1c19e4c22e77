"""The access policy: the one place that says who may do what to which family.

Every route that shows a family's data asks :func:`can` (through
``families.service.family_for``, which also writes the audit event) and
answers 404 when it says no. Lists use :func:`family_scope`, the same rule as
a query condition, so no view ever selects families without the user's scope.

- ``cspoc``: every referral and family: view, start from, fill in forms,
  allocate, confirm and merge.
- ``lead-professional``: only families allocated to them: view, start from,
  fill in the Family Story Assessment and reviews.
- ``manager``: view everything, and read the audit log.
- ``admin``: accounts and invitations; no family data at all.
- anonymous referrers and referral API tokens: send referral forms, nothing else.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import ColumnElement, false, true

from ..definitions.model import FormDefinition
from .actor import Actor

VIEW = "view"
START_FROM = "start_from"
SUBMIT = "submit"
ALLOCATE = "allocate"
TRIAGE = "triage"
FAMILY_ACTIONS = frozenset({VIEW, START_FROM, SUBMIT, ALLOCATE, TRIAGE})

#: What each role may do to any family it can see (lead professionals: their own).
_ROLE_ACTIONS = {
    "cspoc": FAMILY_ACTIONS,
    "lead-professional": frozenset({VIEW, START_FROM, SUBMIT}),
    "manager": frozenset({VIEW}),
    "admin": frozenset(),
}
#: Roles that fill in staff forms.
FORM_ROLES = frozenset({"cspoc", "lead-professional"})
#: Who may invite whom: C-SPOC invites partner lead professionals; admins anyone.
INVITABLE_ROLES = {
    "cspoc": ("lead-professional",),
    "admin": ("cspoc", "lead-professional", "manager", "admin"),
}


class FamilyLike(Protocol):
    """What the policy reads of a family (the ``Family`` row, or a view of it)."""

    @property
    def id(self) -> str: ...

    @property
    def lead_professional_id(self) -> str | None: ...


def can(actor: Actor, action: str, family: FamilyLike | None) -> bool:
    """Whether ``actor`` may do ``action`` to ``family`` (None: it does not exist)."""
    if action not in FAMILY_ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if family is None or not actor.is_staff:
        return False
    if action not in _ROLE_ACTIONS.get(actor.role or "", frozenset()):
        return False
    if actor.role == "lead-professional":
        return family.lead_professional_id == actor.user_id
    return True


def family_scope(actor: Actor, lead_professional_column: Any) -> ColumnElement[bool]:
    """The families ``actor`` may view, as a condition for a query."""
    if not actor.is_staff or VIEW not in _ROLE_ACTIONS.get(actor.role or "", frozenset()):
        return false()
    if actor.role == "lead-professional":
        condition: ColumnElement[bool] = lead_professional_column == actor.user_id
        return condition
    return true()


def can_fill(actor: Actor, form: FormDefinition) -> bool:
    """Whether ``actor`` may fill in ``form`` at all (a family check comes later)."""
    if actor.kind == "token" and actor.user_id is None:
        return form.open_to_anyone and form.id in actor.forms
    if form.open_to_anyone:
        return True
    return actor.is_staff and actor.role in FORM_ROLES


def can_start_from(actor: Actor) -> bool:
    """Whether ``actor`` may try a reference at all (anonymous people never may)."""
    return actor.is_staff and START_FROM in _ROLE_ACTIONS.get(actor.role or "", frozenset())


def opens_own_family(actor: Actor) -> bool:
    """A lead professional who starts a staff form from nothing is allocated the new family."""
    return actor.role == "lead-professional"


def can_read_audit(actor: Actor) -> bool:
    return actor.is_staff and actor.role == "manager"


def can_manage_accounts(actor: Actor) -> bool:
    return actor.is_staff and actor.role == "admin"


def invitable_roles(actor: Actor) -> tuple[str, ...]:
    """The roles ``actor`` may invite someone into (none: may not invite)."""
    if not actor.is_staff:
        return ()
    return INVITABLE_ROLES.get(actor.role or "", ())


def triages(actor: Actor) -> bool:
    """Whether ``actor`` works the C-SPOC inbox (records outcomes, allocates)."""
    return actor.is_staff and TRIAGE in _ROLE_ACTIONS.get(actor.role or "", frozenset())


def sees_families(actor: Actor) -> bool:
    """Whether the staff home shows families at all (not to administrators)."""
    return actor.is_staff and VIEW in _ROLE_ACTIONS.get(actor.role or "", frozenset())


def reads_reports(actor: Actor) -> bool:
    """Whether ``actor`` reads the manager dashboard and exports the claim data (managers)."""
    return actor.is_staff and actor.role == "manager"
