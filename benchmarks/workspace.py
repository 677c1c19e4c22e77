"""The staff workspace at scale: 20,000 families and 100,000 submissions, SQLite and PostgreSQL.

``seed`` writes the rows directly (Core executemany in batches), as years of
use would leave them: every family has a referral (20 % still awaiting an
outcome), most are allocated to one of 200 lead professionals, and each has
a Family Story and reviews after it. Answers are real sealed answers from
``tests/factories.py``, one ciphertext per form reused (the pages open only
the sealed list summary). ``measure`` then asks for the inbox, "My
families", a family's page and the manager dashboard through the app, each
many times, and reports p50/p95 per page and database.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Table, insert

from forms_service import create_app
from forms_service.auth import sessions
from forms_service.auth.models import User
from forms_service.auth.web import DEVELOPMENT_COOKIE
from forms_service.clock import new_id, utcnow
from forms_service.families.models import Family
from forms_service.services import Services
from forms_service.submissions.models import OutboxMessage, Submission
from forms_service.submissions.references import new_reference
from forms_service.workspace.clock import due_after_weeks, due_after_working_days
from forms_service.workspace.models import (
    AWAITING,
    DECIDED,
    Allocation,
    FamilyNeed,
    Referral,
    ReviewTiming,
)
from forms_service.workspace.reports import headline_labels
from forms_service.workspace.service import due_form, plan_forms
from tests.factories import (
    cspoc_request_answers,
    ehfsa_answers,
    family_story_answers,
    tacaf_review_answers,
)

from .stats import summary

FAMILIES = 20_000
SUBMISSIONS = 100_000
LEADS = 200
BATCH = 5_000


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _insert(services: Services, model: Any, rows: list[dict[str, Any]]) -> None:
    with services.engine.begin() as connection:
        for start in range(0, len(rows), BATCH):
            connection.execute(insert(_table(model)), rows[start : start + BATCH])


def _users(services: Services) -> dict[str, list[str]]:
    now = utcnow()
    people = {"cspoc": [new_id()], "manager": [new_id()], "lead-professional": []}
    people["lead-professional"] = [new_id() for _ in range(LEADS)]
    rows = [
        {
            "id": user_id,
            "email": f"{role}-{n}@bench.example.gov.uk",
            "name": f"Bench {role} {n}",
            "role": role,
            "failed_sign_ins": 0,
            "created_at": now,
        }
        for role, ids in people.items()
        for n, user_id in enumerate(ids)
    ]
    _insert(services, User, rows)
    return people


def seed(
    services: Services, families: int = FAMILIES, submissions: int = SUBMISSIONS
) -> dict[str, Any]:
    """Write the rows; return who and what to ask for."""
    rng = random.Random(20261126)
    people = _users(services)
    leads = people["lead-professional"]
    vault = services.vault
    sealed = {
        "ehfsa": vault.seal(ehfsa_answers(4)),
        "cspoc-request": vault.seal(cspoc_request_answers()),
        "family-story": vault.seal(family_story_answers()),
        "tacaf-review": vault.seal(tacaf_review_answers()),
    }
    summaries = [
        vault.seal(
            {
                "first_name": name,
                "date_of_birth": f"201{n % 9}-0{1 + n % 9}-1{n % 9}",
                "organisation": "Bench Primary School",
            }
        )
        for n, name in enumerate(("Amara", "Leo", "Zara", "Oliver", "Maya", "Noah", "Ivy", "Ezra"))
    ]
    outcomes = {"ehfsa": "intensive_support", "cspoc-request": "supporting_families"}
    now = utcnow()
    per_family = max(1, submissions // families)
    headlines = list(headline_labels(services.registry))
    family_rows, submission_rows, referral_rows, allocation_rows, outbox_rows = [], [], [], [], []
    need_rows: list[dict[str, Any]] = []
    timing_rows: list[dict[str, Any]] = []
    rules = services.settings.clock_rules
    story, review = due_form(services.registry, "allocation"), due_form(services.registry, "plan")
    assert story is not None and story.due is not None and story.due.latest_working_days
    assert review is not None and review.due is not None and review.due.weeks
    story_days, review_weeks = story.due.latest_working_days, review.due.weeks
    plans = set(plan_forms(services.registry))
    for i in range(families):
        family_id = new_id()
        opened = now - dt.timedelta(days=rng.uniform(1, 700))
        allocated = rng.random() < 0.7
        lead = leads[i % LEADS] if allocated else None
        closed = allocated and rng.random() < 0.15
        due = opened + dt.timedelta(days=rng.uniform(14, 740))
        family_rows.append(
            {
                "id": family_id,
                "status": "closed" if closed else ("open" if allocated else "provisional"),
                "lead_professional_id": lead,
                "opened_at": opened,
                "updated_at": opened + dt.timedelta(days=1),
                "closed_at": now if closed else None,
                "closed_reason": "tacaf-review: close" if closed else None,
                "allocated_at": opened + dt.timedelta(days=2) if allocated else None,
                "due_form": "tacaf-review" if allocated and not closed else None,
                "due_at": due if allocated and not closed else None,
                "due_limit_at": due + dt.timedelta(days=14) if allocated and not closed else None,
            }
        )
        if allocated:
            allocation = {
                "family_id": family_id,
                "user_id": lead,
                "allocated_by": people["cspoc"][0],
                "allocated_at": opened + dt.timedelta(days=2),
                # As ``assign`` records it: no plan yet, so the Family Story is owed.
                "story_limit_at": due_after_working_days(
                    opened + dt.timedelta(days=2), story_days, rules
                ),
                "story_done_at": None,
            }
            allocation_rows.append(allocation)
        referral_form = "ehfsa" if i % 3 else "cspoc-request"
        forms = [referral_form] + (
            ["family-story"] + ["tacaf-review"] * (per_family - 2)
            if allocated
            else [referral_form] * (per_family - 1)
        )
        plan: tuple[str, dt.datetime] | None = None
        for n, form_id in enumerate(forms):
            submission_id = new_id()
            submitted = opened + dt.timedelta(days=n * 42)
            # What ``on_submission`` records: the story stops the allocation's clock; a
            # review is due 6 weeks after the plan before it.
            if form_id == "family-story" and allocated and allocation["story_done_at"] is None:
                allocation["story_done_at"] = submitted
            if form_id == "tacaf-review" and plan is not None:
                timing_rows.append(
                    {
                        "submission_id": submission_id,
                        "form_id": form_id,
                        "sent_at": submitted,
                        "due_at": due_after_weeks(plan[1], review_weeks),
                        "measured_from": plan[0],
                    }
                )
            if form_id in plans:
                plan = (submission_id, submitted)
            submission_rows.append(
                {
                    "id": submission_id,
                    "reference": new_reference(
                        {
                            "ehfsa": "EH",
                            "cspoc-request": "RS",
                            "family-story": "FS",
                            "tacaf-review": "TR",
                        }[form_id]
                    ),
                    "form_id": form_id,
                    "form_version": 1,
                    "family_id": family_id,
                    "answers_sealed": sealed[form_id],
                    "summary_sealed": summaries[i % len(summaries)],
                    "organisation_type": "school",
                    "channel": "web",
                    "submitted_at": submitted,
                }
            )
            outbox_rows.append(
                {
                    "id": new_id(),
                    "kind": "spoc",
                    "submission_id": submission_id,
                    "family_id": family_id,
                    "message_id": submission_id,
                    "recipient": "c-spoc@bench.example.gov.uk",
                    "status": "sent",
                    "attempts": 1,
                    "next_attempt_at": submitted,
                    "sent_at": submitted,
                    "created_at": submitted,
                    "updated_at": submitted,
                }
            )
            need_rows.extend(  # the same three headlines in each of the family's forms
                {
                    "family_id": family_id,
                    "submission_id": submission_id,
                    "headline": headlines[(i + k) % len(headlines)],
                    "recorded_at": submitted,
                    "previous_at": submitted - dt.timedelta(days=42) if n else None,
                    "first_of_form": k == 0,
                }
                for k in range(3)
            )
            if n == 0:
                waiting = not allocated and rng.random() < 0.6
                referral_rows.append(
                    {
                        "submission_id": submission_id,
                        "family_id": family_id,
                        "form_id": form_id,
                        "received_at": submitted,
                        "urgent": form_id == "cspoc-request" and rng.random() < 0.02,
                        "acknowledge_by": submitted + dt.timedelta(days=1),
                        "outcome_due_at": submitted + dt.timedelta(days=2),
                        "status": AWAITING if waiting else DECIDED,
                        "outcome": None if waiting else outcomes[form_id],
                        "decided_at": None
                        if waiting
                        else submitted + dt.timedelta(hours=rng.uniform(2, 70)),
                        "decided_by": None if waiting else people["cspoc"][0],
                    }
                )
    for model, rows in (
        (Family, family_rows),
        (Submission, submission_rows),
        (Referral, referral_rows),
        (Allocation, allocation_rows),
        (OutboxMessage, outbox_rows),
        (FamilyNeed, need_rows),
        (ReviewTiming, timing_rows),
    ):
        _insert(services, model, rows)
    if services.engine.dialect.name == "postgresql":
        with services.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    busiest = leads[0]
    family = next(
        r["id"]
        for r in family_rows
        if r["lead_professional_id"] == busiest and r["status"] != "closed"
    )
    return {
        "people": people,
        "family_id": family,
        "counts": {
            "families": len(family_rows),
            "submissions": len(submission_rows),
            "referrals": len(referral_rows),
            "allocations": len(allocation_rows),
        },
    }


def _client(app: Flask, services: Services, user_id: str) -> FlaskClient:
    client = app.test_client()
    client.set_cookie(DEVELOPMENT_COOKIE, sessions.start(services, user_id, sessions.SIGNED_IN))
    return client


def _timed(get: Callable[[], Any], runs: int) -> dict[str, float | int]:
    for _ in range(3):
        get()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        reply = get()
        samples.append((time.perf_counter() - started) * 1000)
        if reply.status_code != 200:
            raise RuntimeError(f"status {reply.status_code}")
    return summary(samples)


def measure_paths(seeded: dict[str, Any]) -> dict[str, Callable[[Flask], Any]]:
    """Each workspace page, asked by the role that uses it: page -> ask(app) -> response."""
    people = seeded["people"]
    asks = {
        "inbox": (people["cspoc"][0], "/staff/inbox"),
        "my-families": (people["lead-professional"][0], "/staff/my-families"),
        "family": (people["lead-professional"][0], f"/staff/families/{seeded['family_id']}"),
        "dashboard": (people["manager"][0], "/staff/dashboard"),
    }

    def asker(user_id: str, path: str) -> Callable[[Flask], Any]:
        def ask(app: Flask) -> Any:
            client = app.extensions.setdefault("bench-clients", {}).get(user_id)
            if client is None:
                client = _client(app, app.extensions["forms"], user_id)
                app.extensions["bench-clients"][user_id] = client
            return client.get(path)

        return ask

    return {page: asker(user_id, path) for page, (user_id, path) in asks.items()}


def measure(app: Flask, seeded: dict[str, Any], runs: int) -> dict[str, Any]:
    """p50/p95 (ms) of each workspace page, asked by the role that uses it."""
    found: dict[str, Any] = {}
    for name, ask in measure_paths(seeded).items():
        try:
            found[name] = _timed(lambda a=ask: a(app), runs)
        except RuntimeError as exc:
            found[name] = {"error": str(exc)}
    return found


@contextmanager
def _postgres() -> Iterator[str]:
    from tests.servers import running_postgres

    with running_postgres() as server:
        yield server.create_database("bench_workspace")


def _app(tmp: Path, database_url: str) -> Flask:
    from forms_service.migrate import upgrade

    overrides = {
        "instance_path": tmp / "instance",
        "database_url": database_url,
        "task_mode": "sync",
        "secret_key": "b" * 40,
        "TESTING": True,
    }
    if not database_url.startswith("sqlite"):
        upgrade(database_url)
    return create_app(overrides)


def run(tmp: Path, runs: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Seed and measure on SQLite, then on PostgreSQL (when its binaries are installed)."""
    results: dict[str, Any] = {}
    sqlite_url = f"sqlite:///{tmp / 'workspace.sqlite3'}"
    targets: list[tuple[str, Callable[[], Any]]] = [("sqlite", lambda: _nullcontext(sqlite_url))]
    targets.append(("postgresql", _postgres))
    for name, opener in targets:
        try:
            with opener() as url:
                log(f"Workspace on {name}: seeding {FAMILIES} families, {SUBMISSIONS} submissions")
                app = _app(tmp / name, url)
                started = time.perf_counter()
                seeded = seed(app.extensions["forms"])
                seconds = time.perf_counter() - started
                log(f"  seeded in {seconds:.0f} s; measuring")
                results[name] = {
                    "seed_seconds": round(seconds, 1),
                    **seeded["counts"],
                    "pages": measure(app, seeded, runs),
                }
        except Exception as exc:
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return results


@contextmanager
def _nullcontext(value: str) -> Iterator[str]:
    yield value
