"""Staff pages in Debian Chromium, with axe on every one: sign-in with a password and
an authenticator, single sign-on through a real OpenID provider (npm oidc-provider),
families, forms, the audit log, invitations and accounts."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from forms_service.audit import CLI
from forms_service.auth.actor import Actor
from forms_service.workspace.service import allocate_by_reference as allocate
from forms_service.workspace.service import record_outcome
from tests.browser.signing import sign_in
from tests.factories import ehfsa_answers, family_story_answers
from tests.smtp_server import free_port
from tests.staff import StaffUser, referral_headers, staff_user, user_headers

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

ROOT = Path(__file__).resolve().parents[2]
PROVIDER = ROOT / "tests" / "oidc" / "provider.mjs"
OIDC_PORT = free_port()
CLIENT_SECRET = "a-test-client-secret-for-loopback-only"


def _referral(live_server: Any, surname: str = "Hartley") -> str:
    answers = ehfsa_answers(3)
    for member in answers["household"]:
        member["last_name"] = surname
    reply = live_server.app.test_client().post(
        "/api/v1/forms/ehfsa/submissions", json=answers, headers=referral_headers(live_server.app)
    )
    assert reply.status_code == 201, reply.get_json()
    return str(reply.get_json()["reference"])


def _heading(page: Any, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def test_a_duty_worker_finds_a_family_reads_its_form_and_starts_the_next(
    page: Any, live_server: Any, axe: Any
) -> None:
    services = live_server.app.extensions["forms"]
    reference = _referral(live_server)
    sign_in(page, services, "cspoc", axe)
    _heading(page, "Families")
    axe.check(page, "staff home")
    first_name = ehfsa_answers(3)["household"][0]["first_name"]
    page.get_by_role("link", name=first_name).click()
    _heading(page, re.compile(rf"^{first_name}, \d+ years old$"))  # type: ignore[arg-type]
    axe.check(page, "family page")
    page.get_by_role("link", name="Early Help Family Support Assessment").click()
    expect(page.locator("h1")).to_have_text("Early Help Family Support Assessment")
    expect(page.locator("main")).to_contain_text("Hartley")
    expect(page.locator("main")).to_contain_text(reference)
    axe.check(page, "submission page")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the record (PDF)").click()
    assert download.value.suggested_filename == f"{reference}.pdf"
    page.go_back()
    page.get_by_role("button", name="Start the Family Story Assessment").click()
    expect(page).to_have_url(re.compile(r"/forms/family-story/case$"))
    expect(page.locator('input[name="case-ehfsa_reference"]')).to_have_value(reference)
    # Signing out ends the session on the server: Back shows nothing.
    page.get_by_role("button", name="Sign out").click()
    _heading(page, "Sign in")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")
    page.goto("/staff/")
    _heading(page, "Sign in")


def test_a_lead_professional_sees_only_their_families(
    page: Any, live_server: Any, axe: Any
) -> None:
    services = live_server.app.extensions["forms"]
    theirs = _referral(live_server, "Mine")
    _referral(live_server, "Other")
    user = sign_in(page, services, "lead-professional")
    _heading(page, "Your families")
    expect(page.locator("main")).to_contain_text("No families are allocated to you yet")
    axe.check(page, "my families (none)")
    allocate(services, theirs, user.email, CLI)
    page.reload()
    expect(page.locator("tbody tr")).to_have_count(1)
    axe.check(page, "my families (one)")


def _sign_in_as(page: Any, user: StaffUser, name: str) -> None:
    """Sign an existing account in through the pages (password, then authenticator code)."""
    page.goto("/sign-in")
    page.get_by_label("Email address", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(user.password)
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_label("Code from your authenticator app").fill(user.code())
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator(".app-header__name")).to_have_text(name)


def test_a_duty_worker_triages_a_referral_and_the_lead_professional_finds_the_family(
    page: Any, browser: Any, live_server: Any, axe: Any
) -> None:
    services = live_server.app.extensions["forms"]
    earlier = _referral(live_server)  # the same children: the duplicate check lists it
    reference = _referral(live_server)
    lead = staff_user(services, "lead-professional", name="Lou Lead")
    sign_in(page, services, "cspoc")
    nav = page.get_by_role("navigation", name="Where to start")
    expect(nav.get_by_role("link").first).to_have_text("Inbox")
    nav.get_by_role("link", name="Inbox").click()
    _heading(page, "Inbox")
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(page.locator("tbody")).to_contain_text("Due by")
    axe.check(page, "inbox")
    page.get_by_label("Urgent only").check()
    page.get_by_role("button", name="Show referrals").click()
    expect(page.locator("main")).to_contain_text("No referrals match these filters")
    axe.check(page, "inbox (filtered, empty)")
    page.get_by_role("link", name="Clear filters").click()
    page.get_by_role("link", name=reference).click()
    first_name = ehfsa_answers(3)["household"][0]["first_name"]
    _heading(page, re.compile(rf"^{first_name}, \d+ years old$"))  # type: ignore[arg-type]
    expect(page.locator("main")).to_contain_text(earlier)
    expect(page.locator("main")).to_contain_text("Same NHS number")
    axe.check(page, "referral (duplicate check)")
    page.get_by_role("button", name="This is a new family").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("confirmed as a new family")
    page.get_by_role("button", name="Record the outcome").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select the outcome")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason")
    axe.check(page, "referral (outcome errors)")
    page.get_by_label("Early Help Family Support (intensive support)").check()
    page.get_by_label("Reason for this outcome").fill("Three needs and the family agrees.")
    page.get_by_role("button", name="Record the outcome").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Outcome recorded. The referrer has been emailed."
    )
    axe.check(page, "referral (decided, allocation)")
    page.get_by_label("Who will be the family's lead professional?").select_option(lead.email)
    page.get_by_role("button", name="Allocate").click()
    expect(page.locator("main")).to_contain_text("Allocated to Lou Lead")
    axe.check(page, "referral (allocated)")

    theirs = browser.new_context(base_url=live_server.url, locale="en-GB").new_page()
    _sign_in_as(theirs, lead, "Lou Lead")
    theirs.get_by_role("navigation", name="Where to start").get_by_role(
        "link", name="My families"
    ).click()
    expect(theirs.get_by_role("heading", level=1)).to_have_text("My families")
    expect(theirs.locator("tbody tr")).to_have_count(1)
    expect(theirs.locator("tbody")).to_contain_text("Family Story Assessment")
    axe.check(theirs, "my families")
    theirs.context.close()


def test_a_lead_professional_works_from_the_family_page(
    page: Any, live_server: Any, axe: Any
) -> None:
    services = live_server.app.extensions["forms"]
    reference = _referral(live_server)
    duty = staff_user(services, "cspoc")
    record_outcome(
        services,
        Actor("user", user_id=duty.id, role="cspoc"),
        reference,
        "intensive_support",
        "A plan.",
    )
    user = sign_in(page, services, "lead-professional")
    allocate(services, reference, user.email, CLI)
    story = live_server.app.test_client().post(
        "/api/v1/forms/family-story/submissions",
        json={**family_story_answers(), "prefill_from": reference},
        headers=user_headers(services, user),
    )
    assert story.status_code == 201, story.get_json()
    story_ref = story.get_json()["reference"]
    page.reload()
    first_name = ehfsa_answers(3)["household"][0]["first_name"]
    page.get_by_role("link", name=first_name).click()
    _heading(page, re.compile(rf"^{first_name}, \d+ years old$"))  # type: ignore[arg-type]
    main = page.locator("main")
    expect(main).to_contain_text("Team Around the Child and Family review due by")
    expect(main).to_contain_text("Early Help Family Support (intensive support)")
    axe.check(page, "family page (lead professional)")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download Our Family Plan in large print (PDF)").click()
    assert download.value.suggested_filename == f"{story_ref}-family-plan-large-print.pdf"
    page.get_by_role(
        "button", name=re.compile(rf"^Send again\W+Outcome to the referrer, {reference}$")
    ).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("being sent again")
    axe.check(page, "family page (sent again)")
    page.get_by_role("button", name="Start the Team Around the Child and Family review").click()
    expect(page).to_have_url(re.compile(r"/forms/tacaf-review/meeting$"))
    expect(page.locator('input[name="previous_reference"]')).to_have_value(story_ref)


def test_a_manager_reads_the_audit_log(page: Any, live_server: Any, axe: Any) -> None:
    services = live_server.app.extensions["forms"]
    _referral(live_server)
    sign_in(page, services, "manager")
    page.get_by_role("link", name=re.compile("Audit log")).click()
    _heading(page, "Audit log")
    expect(page.locator("tbody")).to_contain_text("Form received")
    axe.check(page, "audit log")
    page.get_by_label("What happened").select_option("sign_in.success")
    page.get_by_role("button", name="Show events").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text("Signed in")
    axe.check(page, "audit log (filtered)")


def test_a_manager_reads_the_dashboard_and_downloads_the_claim_data(
    page: Any, live_server: Any, axe: Any
) -> None:
    services = live_server.app.extensions["forms"]
    reference = _referral(live_server)
    worker = staff_user(services, "lead-professional", name="Jo Bennett")
    allocate(services, reference, worker.email, CLI)
    sign_in(page, services, "manager")
    page.goto("/staff/dashboard")
    _heading(page, "Team dashboard")
    for chart in ("Timeliness", "Referrals by outcome", "Families by need"):
        expect(page.get_by_role("img", name=re.compile(f"^{chart}, "))).to_be_visible()
    expect(page.get_by_role("img", name="Open families per lead professional now")).to_be_visible()
    expect(page.get_by_role("region", name="Caseload figures")).to_contain_text("Jo Bennett")
    axe.check(page, "dashboard")
    page.screenshot(path="/tmp/dashboard.png", full_page=True)
    page.get_by_label("From", exact=True).fill("2025-03-01")
    page.get_by_label("To", exact=True).fill("2025-02-01")
    page.get_by_role("button", name="Show figures").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("must be on or before")
    axe.check(page, "dashboard (wrong period)")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Families First claim data")).click()
    assert download.value.suggested_filename.startswith("families-first-claim-")


def test_an_administrator_invites_a_partner_who_sets_up_their_account(
    page: Any, browser: Any, live_server: Any, axe: Any
) -> None:
    services = live_server.app.extensions["forms"]
    sign_in(page, services, "admin")
    _heading(page, "Your work")
    axe.check(page, "admin home")
    page.get_by_role("link", name="Accounts").click()
    _heading(page, "Accounts")
    axe.check(page, "accounts")
    page.get_by_role("link", name="Invite someone").click()
    _heading(page, "Invite someone to use this service")
    axe.check(page, "invite")
    page.get_by_role("button", name="Make an invitation link").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter their email address")
    axe.check(page, "invite (errors)")
    page.get_by_label("Email address").fill("hv@nhs.example.net")
    page.get_by_label("Lead professional").check()
    page.get_by_role("button", name="Make an invitation link").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Invitation link made")
    axe.check(page, "invitation made")
    link = page.locator(".app-secret").inner_text().strip()

    partner = browser.new_context(base_url=live_server.url, locale="en-GB").new_page()
    partner.goto(link)
    expect(partner.get_by_role("heading", level=1)).to_have_text("Set up your account")
    axe.check(partner, "set up (password)")
    partner.get_by_label("Full name").fill("Hana Visitor")
    partner.get_by_label("Create a password").fill("short")
    partner.get_by_role("button", name="Continue").click()
    expect(partner.locator(".govuk-error-summary")).to_contain_text("12 characters or more")
    axe.check(partner, "set up (password error)")
    partner.get_by_label("Create a password").fill("orange tractor midnight sky")
    partner.get_by_role("button", name="Continue").click()
    expect(partner.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    expect(partner.locator(".app-qr svg")).to_be_visible()
    axe.check(partner, "set up (authenticator)")
    secret = (partner.locator(".app-secret").text_content() or "").replace(" ", "")
    partner.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    partner.get_by_role("button", name="Finish setting up").click()
    expect(partner.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(partner.locator(".govuk-notification-banner")).to_contain_text("Your account is ready")
    axe.check(partner, "sign in (account ready)")
    partner.goto(link)
    expect(partner.get_by_role("heading", level=1)).to_have_text("This link does not work")
    axe.check(partner, "invitation expired")
    partner.context.close()


@pytest.mark.parametrize("app_config", [{"limit_public_posts": "2/minute"}])
def test_too_many_requests_gets_a_plain_page(page: Any, live_server: Any, axe: Any) -> None:
    page.expected_console = ("status of 429",)
    page.goto("/forms/ehfsa/safeguarding")
    for _ in range(3):
        page.get_by_role("button", name="Continue").click()
    _heading(page, "You have made too many requests")
    axe.check(page, "429")


# --------------------------------------------------------------------------- single sign-on


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None or not (ROOT / "node_modules" / "oidc-provider").is_dir():
        message = "node and npm's oidc-provider are needed (npm ci)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {
        "oidc_issuer": f"http://127.0.0.1:{OIDC_PORT}",
        "oidc_client_id": "early-help-forms",
        "oidc_client_secret": CLIENT_SECRET,
        "oidc_role_map": "EarlyHelp.Manager=manager",
    }


@pytest.fixture
def identity_provider(node: str, live_server: Any) -> Iterator[str]:
    redirect = f"{live_server.url}/sign-in/single-sign-on/callback"
    log = live_server.tmp_path / "oidc-provider.log"
    process = subprocess.Popen(
        [node, str(PROVIDER), str(OIDC_PORT), redirect, CLIENT_SECRET],
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    issuer = f"http://127.0.0.1:{OIDC_PORT}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=2)
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail(f"oidc-provider exited:\n{log.read_text()}")
            time.sleep(0.1)
    try:
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)


def _provider_sign_in(page: Any, login: str) -> None:
    # The provider's own development pages ask for outside fonts and a favicon:
    # console errors on its pages (never ours) are not this service's.
    page.expected_console = (f"(http://127.0.0.1:{OIDC_PORT}/",)
    page.get_by_role("button", name="Sign in with your council account").click()
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill("any password: the provider's dev login")
    page.get_by_role("button", name="Sign-in").click()
    consent = page.get_by_role("button", name="Continue")
    if consent.count():
        consent.click()


def test_single_sign_on_with_a_roles_claim(
    page: Any, live_server: Any, axe: Any, identity_provider: str
) -> None:
    page.goto("/sign-in")
    axe.check(page, "sign in (with single sign-on)")
    _provider_sign_in(page, "duty")
    _heading(page, "Families")
    expect(page.locator(".app-header__name")).to_have_text("Single Sign-on duty")
    axe.check(page, "staff home after single sign-on")
    page.get_by_role("button", name="Sign out").click()
    _heading(page, "Sign in")


def test_single_sign_on_maps_a_council_role_name(
    page: Any, live_server: Any, identity_provider: str
) -> None:
    page.goto("/sign-in")
    _provider_sign_in(page, "manager")
    _heading(page, "Families")
    expect(page.get_by_role("link", name=re.compile("Audit log"))).to_be_visible()


@pytest.mark.parametrize("login", ["norole", "twoRoles", "finance"])
def test_single_sign_on_without_exactly_one_role_is_refused(
    page: Any, live_server: Any, axe: Any, identity_provider: str, login: str
) -> None:
    page.goto("/sign-in")
    _provider_sign_in(page, login)
    page.expected_console = (*page.expected_console, "status of 403 (FORBIDDEN) (http://127.0.0.1:")
    _heading(page, "You cannot sign in")
    axe.check(page, f"single sign-on refused ({login})")
    page.goto("/staff/")
    _heading(page, "Sign in")
