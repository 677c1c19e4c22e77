"""``/staff/dashboard``: the team manager's figures, and the Families First claim export.

Thin views on ``workspace.reports``, which asks the access policy and writes
the audit event: anyone but a manager gets 404, as for a family that is not
theirs. The period comes from ``from`` and ``to`` (dates, London days, both
included); without them it is the last three months.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from flask import Response, abort, render_template, request

from ..auth import policy
from ..auth.web import current_actor
from ..formats import csv_cell
from ..web.wiring import services
from ..workspace import reports
from .views import bp

#: The claim export's columns, in order.
CLAIM_HEADINGS = (
    "family id",
    "status",
    "number of needs",
    "needs identified (first recorded)",
    "outcomes met at closure",
    "outcomes met on",
    "how it closed",
    "lead professional assigned on",
    "closed on",
)


def _day(name: str, fallback: dt.date, errors: list[dict[str, str]], label: str) -> dt.date:
    raw = request.args.get(name, "").strip()
    if not raw:
        return fallback
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        errors.append({"text": f"Enter a real date for “{label}”", "href": f"#{name}"})
        return fallback


def _period() -> tuple[reports.Period, list[dict[str, str]]]:
    """The period asked for, and what was wrong with it (then the default is used)."""
    default = reports.default_period(reports.london_today())
    errors: list[dict[str, str]] = []
    first = _day("from", default.first_day, errors, "From")
    last = _day("to", default.last_day, errors, "To")
    if errors:
        return default, errors
    if first > last:
        errors.append(
            {"text": "The “From” date must be on or before the “To” date", "href": "#from"}
        )
        return default, errors
    return reports.Period(first, last), errors


@dataclass(frozen=True)
class Bar:
    """One bar of a chart (``staff/charts.html``): its label, length and value in words."""

    label: str
    value: float
    text: str


def _charts(found: reports.Dashboard) -> dict[str, list[Bar]]:
    """The dashboard's figures as chart bars (timeliness as percentages of 100)."""
    return {
        "timeliness": [Bar(r.label, r.percent or 0, r.text) for r in found.timeliness],
        "outcomes": [Bar(c.label, c.value, str(c.value)) for c in found.by_outcome],
        "needs": [Bar(c.label, c.value, str(c.value)) for c in found.by_need],
        "caseloads": [
            Bar(c.name, c.families, f"{c.families} ({c.overdue} overdue)") for c in found.caseloads
        ],
    }


@bp.get("/dashboard")
def dashboard() -> str:
    period, errors = _period()
    found = reports.dashboard(services(), current_actor(), period)
    if found is None:
        abort(404)
    return render_template(
        "staff/dashboard.html",
        dashboard=found,
        charts=_charts(found),
        error_list=errors,
        args={"from": period.first_day.isoformat(), "to": period.last_day.isoformat()},
    )


def _claim_cells(row: reports.ClaimRow) -> list[object]:
    return [
        row.family_id,
        row.status,
        len(row.needs),
        "; ".join(f"{label} ({day.isoformat()})" for label, day in row.needs),
        "; ".join(row.outcomes_met),
        row.outcomes_met_on.isoformat() if row.outcomes_met_on else "",
        row.closed_how,
        row.lead_assigned_on.isoformat() if row.lead_assigned_on else "",
        row.closed_on.isoformat() if row.closed_on else "",
    ]


@bp.get("/dashboard/claims.csv")
def claims_export() -> Response:
    period, errors = _period()
    actor = current_actor()
    if errors and policy.reads_reports(actor):
        abort(400)  # an export of a period nobody asked for would mislead
    rows = reports.claim_rows(services(), actor, period)  # refuses (audited) non-managers
    if rows is None:
        abort(404)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CLAIM_HEADINGS)
    for row in rows:
        writer.writerow([csv_cell(v) for v in _claim_cells(row)])
    name = f"families-first-claim-{period.first_day.isoformat()}-to-{period.last_day.isoformat()}"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
