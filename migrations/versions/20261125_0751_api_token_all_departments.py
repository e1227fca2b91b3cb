"""An API token may write in every department (and create departments), as an administrator may on
the pages.

Revision ID: 0751
Revises: 0750
Create Date: 2026-11-25 14:00:00

Only an addition: existing tokens keep their departments.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0751"
down_revision = "0750"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_token", sa.Column("all_departments", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("all_departments")
