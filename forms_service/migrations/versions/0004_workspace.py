"""The staff workspace: referral clocks and outcomes, allocations, what is due, the
needs each form names and when each Family Story and review was due (for the dashboard),
and an outbox of one row per message (kind, recipient, own Message-ID).

Existing outbox rows are the forms sent to the SPOC inbox (kind ``spoc``).
Existing referrals are not given clocks: they arrived before there was an
inbox to show them in.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "referrals",
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("family_id", sa.String(length=36), nullable=False),
        sa.Column("form_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", TIME, nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("acknowledge_by", TIME, nullable=False),
        sa.Column("outcome_due_at", TIME, nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("outcome", sa.String(length=64), nullable=True),
        sa.Column("reason_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("decided_at", TIME, nullable=True),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["family_id"], ["families.id"]),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"]),
        sa.PrimaryKeyConstraint("submission_id"),
    )
    for name, columns in {
        "ix_referrals_family_id": ["family_id"],
        "ix_referrals_received_at": ["received_at"],
        "ix_referrals_outcome_due_at": ["outcome_due_at"],
        "ix_referrals_outcome": ["outcome"],
        "ix_referrals_decided_at": ["decided_at"],
        "ix_referrals_queue": ["status", "urgent", "received_at"],
        "ix_referrals_newest": ["urgent", "received_at"],
    }.items():
        op.create_index(name, "referrals", columns)
    op.create_table(
        "allocations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("family_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("allocated_by", sa.String(length=36), nullable=True),
        sa.Column("allocated_at", TIME, nullable=False),
        sa.Column("ended_at", TIME, nullable=True),
        sa.Column("story_limit_at", TIME, nullable=True),
        sa.Column("story_done_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(["family_id"], ["families.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("family_id", "user_id"):
        op.create_index(f"ix_allocations_{column}", "allocations", [column])
    op.create_index(
        "ix_allocations_period", "allocations", ["allocated_at", "story_limit_at", "story_done_at"]
    )
    op.create_table(
        "review_timings",
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("form_id", sa.String(length=64), nullable=False),
        sa.Column("sent_at", TIME, nullable=False),
        sa.Column("due_at", TIME, nullable=False),
        sa.Column("measured_from", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"]),
        sa.PrimaryKeyConstraint("submission_id"),
    )
    op.create_index("ix_review_timings_period", "review_timings", ["form_id", "sent_at", "due_at"])
    op.create_table(
        "family_needs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("family_id", sa.String(length=36), nullable=False),
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("headline", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", TIME, nullable=False),
        sa.Column("previous_at", TIME, nullable=True),
        sa.Column("first_of_form", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["family_id"], ["families.id"]),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("family_id", "submission_id"):
        op.create_index(f"ix_family_needs_{column}", "family_needs", [column])
    op.create_index(
        "ix_family_needs_period",
        "family_needs",
        ["recorded_at", "headline", "previous_at", "first_of_form"],
    )
    op.create_index("ix_submissions_form_time", "submissions", ["form_id", "submitted_at"])
    op.create_index(
        "ix_submissions_family_form_time", "submissions", ["family_id", "form_id", "submitted_at"]
    )
    with op.batch_alter_table("families") as batch:
        batch.add_column(sa.Column("allocated_at", TIME, nullable=True))
        batch.add_column(sa.Column("due_form", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("due_at", TIME, nullable=True))
        batch.add_column(sa.Column("due_limit_at", TIME, nullable=True))
        batch.create_index(
            "ix_families_caseload",
            ["lead_professional_id", "due_limit_at", "status", "merged_into_id"],
        )
    with op.batch_alter_table("drafts") as batch:
        batch.add_column(sa.Column("copy_taken_at", TIME, nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("family_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("message_id", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("payload_sealed", sa.LargeBinary(), nullable=True))
    op.execute("UPDATE outbox SET kind = 'spoc'")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("kind", existing_type=sa.String(length=24), nullable=False)
        batch.alter_column("submission_id", existing_type=sa.String(length=36), nullable=True)
        batch.create_index("ix_outbox_kind_status", ["kind", "status"])
        batch.create_index("ix_outbox_family_id", ["family_id"])


def downgrade() -> None:
    op.execute(
        "DELETE FROM outbox_events WHERE outbox_id IN "
        "(SELECT id FROM outbox WHERE submission_id IS NULL)"
    )
    op.execute("DELETE FROM outbox WHERE submission_id IS NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_family_id")
        batch.drop_index("ix_outbox_kind_status")
        batch.alter_column("submission_id", existing_type=sa.String(length=36), nullable=False)
        for column in ("payload_sealed", "message_id", "family_id", "kind"):
            batch.drop_column(column)
    with op.batch_alter_table("drafts") as batch:
        batch.drop_column("copy_taken_at")
    with op.batch_alter_table("families") as batch:
        batch.drop_index("ix_families_caseload")
        for column in ("due_limit_at", "due_at", "due_form", "allocated_at"):
            batch.drop_column(column)
    op.drop_index("ix_submissions_family_form_time", table_name="submissions")
    op.drop_index("ix_submissions_form_time", table_name="submissions")
    op.drop_table("family_needs")
    op.drop_table("review_timings")
    op.drop_table("allocations")
    op.drop_table("referrals")
