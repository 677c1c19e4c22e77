"""Sign a member of staff in through the real pages, in Chromium: email and
password, then a fresh code from their authenticator (pyotp as the phone app)."""

from __future__ import annotations

from typing import Any

from forms_service.services import Services
from tests.staff import StaffUser, staff_user


def sign_in(page: Any, services: Services, role: str, axe: Any = None, **details: str) -> StaffUser:
    """A new account with ``role``, signed in on ``page``; axe checks each sign-in page."""
    from playwright.sync_api import expect

    user = staff_user(services, role, **details)
    sign_in_as(page, services, user, axe)
    expect(page.locator(".app-header__name")).to_have_text(details.get("name") or user_name(user))
    return user


def sign_in_as(page: Any, services: Services, user: StaffUser, axe: Any = None) -> None:
    """Sign ``user`` in on ``page`` through the real pages."""
    from playwright.sync_api import expect

    page.goto("/sign-in")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    if axe is not None:
        axe.check(page, "sign in")
    page.get_by_label("Email address", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(user.password)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enter the code from your authenticator app"
    )
    if axe is not None:
        axe.check(page, "authenticator code")
    page.get_by_label("Code from your authenticator app").fill(user.code())
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator(".app-header__name")).to_be_visible()


def user_name(user: StaffUser) -> str:
    return f"Test {user.role}"
