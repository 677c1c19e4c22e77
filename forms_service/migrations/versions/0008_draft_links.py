""" "Save and come back later": single-use links to a draft, each opened with a
6-digit code emailed to the same address.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_table(
        "draft_links",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("draft_id", sa.String(length=64), nullable=False),
        sa.Column("form_id", sa.String(length=64), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("code_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("code_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("code_tries", sa.Integer(), nullable=False),
        sa.Column("codes_sent", sa.Integer(), nullable=False),
    )
    op.create_index("ix_draft_links_draft_id", "draft_links", ["draft_id"])
    op.create_index("ix_draft_links_expires_at", "draft_links", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_draft_links_expires_at", table_name="draft_links")
    op.drop_index("ix_draft_links_draft_id", table_name="draft_links")
    op.drop_table("draft_links")
