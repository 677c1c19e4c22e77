"""A family's withdrawal of consent: the day it was withdrawn and the review that
recorded it. From that day no documents about the family are emailed to
partners (only to the SPOC inbox). Existing families have not withdrawn.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    with op.batch_alter_table("families") as batch:
        batch.add_column(sa.Column("consent_withdrawn_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("consent_withdrawn_in", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("families") as batch:
        batch.drop_column("consent_withdrawn_in")
        batch.drop_column("consent_withdrawn_on")
