"""Scheduled jobs that run once a day across every process, whoever runs them.

Any number of processes may try a job (delivery threads in the embedded
mode, Celery beat and workers in scale-out): each first takes a database
lease for (job, day). Only the process that wins the lease runs the job; a
lease whose holder died without finishing expires and can be taken again.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable

from sqlalchemy import DateTime, String, and_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from .clock import utcnow
from .db import Base, transaction

log = logging.getLogger(__name__)
LEASE = dt.timedelta(hours=1)


class JobRun(Base):
    """One job's run for one day: who holds it, until when, and whether it finished."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(48), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # ISO date, UTC
    holder: Mapped[str] = mapped_column(String(120))
    leased_until: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    result: Mapped[str | None] = mapped_column(String(200), nullable=True)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def take_lease(sessions: sessionmaker[Session], job: str, day: dt.date) -> bool:
    """Claim (job, day); False if another process holds it or has finished it."""
    now = utcnow()
    try:
        with transaction(sessions) as session:
            session.add(
                JobRun(job=job, day=day.isoformat(), holder=_holder(), leased_until=now + LEASE)
            )
        return True
    except IntegrityError:
        pass
    with transaction(sessions) as session:  # the row exists: take it over only if abandoned
        result = session.execute(
            update(JobRun)
            .where(
                and_(JobRun.job == job, JobRun.day == day.isoformat()),
                JobRun.finished_at.is_(None),
                JobRun.leased_until < now,
            )
            .values(holder=_holder(), leased_until=now + LEASE)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


def finish(sessions: sessionmaker[Session], job: str, day: dt.date, result: str) -> None:
    with transaction(sessions) as session:
        session.execute(
            update(JobRun)
            .where(JobRun.job == job, JobRun.day == day.isoformat())
            .values(finished_at=utcnow(), result=result[:200])
            .execution_options(synchronize_session=False)
        )


def finished(sessions: sessionmaker[Session], job: str, day: dt.date) -> bool:
    """Whether ``job`` has run to the end on ``day`` (a read: checked often, cheaply)."""
    with transaction(sessions) as session:
        run = session.get(JobRun, (job, day.isoformat()))
        return run is not None and run.finished_at is not None


def run_once_today(
    sessions: sessionmaker[Session], job: str, work: Callable[[], str]
) -> str | None:
    """Run ``work`` if no process has run ``job`` today (UTC); its summary, or None."""
    day = utcnow().date()
    if finished(sessions, job, day) or not take_lease(sessions, job, day):
        return None
    summary = work()
    finish(sessions, job, day, summary)
    log.info("scheduled job %s ran: %s", job, summary)
    return summary
