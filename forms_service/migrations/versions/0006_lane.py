"""The outbox row's render lane: ``normal``, or ``slow`` for a submission large
enough that its documents take long to render (``delivery/lanes.py``), so the
sweeper and the task runners keep large renders out of the normal lane.

Rows already in the outbox are ``normal``: they were all in one lane before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("lane", sa.String(length=8), nullable=True))
    op.execute("UPDATE outbox SET lane = 'normal'")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("lane", existing_type=sa.String(length=8), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("lane")
