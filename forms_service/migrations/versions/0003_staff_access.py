"""Staff access and the family record: accounts, sessions, tokens, families, audit,
job leases, idempotency keys; answers and drafts sealed at rest.

Existing rows are carried over: each earlier submission becomes the first
form of a provisional family of its own, and every answer and draft is
sealed with the newest of FORMS_DATA_KEYS (read from the environment, or the
development key in instance/, exactly as the service reads them).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 06:00:00
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
"""


def _create_tables() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("object_type", sa.String(length=24), nullable=True),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("family_id", sa.String(length=36), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("action", "actor_id", "at", "family_id"):
        op.create_index(f"ix_audit_events_{column}", "audit_events", [column])
    op.create_table(
        "invitations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("invited_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("totp_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("browser_digest", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(length=48), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("job", "day"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("totp_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("oidc_issuer", sa.String(length=255), nullable=True),
        sa.Column("oidc_subject", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_users_oidc"),
    )
    op.create_index("ix_users_email", "users", ["email"], unique=True)
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("forms", sa.String(length=500), nullable=True),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_index("ix_api_tokens_token_hash", "api_tokens", ["token_hash"], unique=True)
    op.create_table(
        "families",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lead_professional_id", sa.String(length=36), nullable=True),
        sa.Column("merged_into_id", sa.String(length=36), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_reason", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["lead_professional_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("closed_at", "lead_professional_id", "status", "updated_at"):
        op.create_index(f"ix_families_{column}", "families", [column])
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_sessions_user_id", "staff_sessions", ["user_id"])
    op.create_table(
        "idempotency_keys",
        sa.Column("token_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"]),
        sa.PrimaryKeyConstraint("token_id", "key"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    op.create_index("ix_idempotency_keys_submission_id", "idempotency_keys", ["submission_id"])
    op.create_table(
        "match_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("family_id", sa.String(length=36), nullable=False),
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["family_id"], ["families.id"]),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_match_keys_family_id", "match_keys", ["family_id"])
    op.create_index("ix_match_keys_kind_digest", "match_keys", ["kind", "digest"])
    op.create_index("ix_match_keys_submission_id", "match_keys", ["submission_id"])


def _vault() -> Any:
    """The running service's vault when it upgrades its own database, else the environment's."""
    from alembic import context

    from forms_service.config import settings_from_env
    from forms_service.crypto import Vault

    given = context.config.attributes.get("vault")
    if given is not None:
        return given
    settings = settings_from_env()
    return Vault(settings.data_keys, settings.index_key)


def _as_dict(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _seal_existing_rows() -> None:
    """Give each earlier submission a family, and seal every answer and draft."""
    bind = op.get_bind()
    vault = None
    submissions = sa.table(
        "submissions",
        sa.column("id", sa.String),
        sa.column("answers", sa.JSON),
        sa.column("answers_sealed", sa.LargeBinary),
        sa.column("family_id", sa.String),
        sa.column("submitted_at", sa.DateTime(timezone=True)),
    )
    families = sa.table(
        "families",
        sa.column("id", sa.String),
        sa.column("status", sa.String),
        sa.column("opened_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    drafts = sa.table(
        "drafts",
        sa.column("id", sa.String),
        sa.column("answers", sa.JSON),
        sa.column("answers_sealed", sa.LargeBinary),
    )
    for row in bind.execute(
        sa.select(submissions.c.id, submissions.c.answers, submissions.c.submitted_at)
    ).all():
        vault = vault or _vault()
        family_id = str(uuid.uuid4())
        when = row.submitted_at or dt.datetime.now(dt.UTC)
        bind.execute(
            sa.insert(families).values(
                id=family_id, status="provisional", opened_at=when, updated_at=when
            )
        )
        bind.execute(
            sa.update(submissions)
            .where(submissions.c.id == row.id)
            .values(answers_sealed=vault.seal(_as_dict(row.answers)), family_id=family_id)
        )
    for draft in bind.execute(sa.select(drafts.c.id, drafts.c.answers)).all():
        vault = vault or _vault()
        bind.execute(
            sa.update(drafts)
            .where(drafts.c.id == draft.id)
            .values(answers_sealed=vault.seal(_as_dict(draft.answers) or {}))
        )


def upgrade() -> None:
    _create_tables()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(APPEND_ONLY_TRIGGER)
    else:
        for verb in ("update", "delete"):
            op.execute(
                f"CREATE TRIGGER IF NOT EXISTS audit_events_no_{verb} BEFORE {verb.upper()} "
                "ON audit_events BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
            )
    with op.batch_alter_table("drafts") as batch:
        batch.add_column(sa.Column("answers_sealed", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("owner_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("family_id", sa.String(length=36), nullable=True))
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("family_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("answers_sealed", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("summary_sealed", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("organisation_type", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("submitted_by", sa.String(length=36), nullable=True))
    _seal_existing_rows()
    with op.batch_alter_table("drafts") as batch:
        batch.alter_column("answers_sealed", existing_type=sa.LargeBinary(), nullable=False)
        batch.create_index("ix_drafts_owner_id", ["owner_id"])
        batch.create_index("ix_drafts_updated_at", ["updated_at"])
        batch.drop_column("answers")
    with op.batch_alter_table("submissions") as batch:
        batch.alter_column("family_id", existing_type=sa.String(length=36), nullable=False)
        batch.alter_column("answers_sealed", existing_type=sa.LargeBinary(), nullable=False)
        batch.create_index("ix_submissions_family_id", ["family_id"])
        batch.create_index("ix_submissions_organisation_type", ["organisation_type"])
        batch.create_index("ix_submissions_submitted_at", ["submitted_at"])
        batch.create_foreign_key("fk_submissions_family_id", "families", ["family_id"], ["id"])
        batch.drop_column("answers")


def downgrade() -> None:
    raise NotImplementedError(
        "0003 seals answers at rest; going back would write them out in clear. Restore the "
        "backup taken before the upgrade instead."
    )
