"""actuals provenance: who entered each pickup, F&B, inventory and notice row

Rows written before this revision get an empty recorded_by (shown as "not recorded").

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fnb_actuals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recorded_by", sa.String(length=120), server_default="", nullable=False)
        )

    with op.batch_alter_table("inventory_reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recorded_by", sa.String(length=120), server_default="", nullable=False)
        )

    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recorded_by", sa.String(length=120), server_default="", nullable=False)
        )

    with op.batch_alter_table("pickup_snapshots", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recorded_by", sa.String(length=120), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("pickup_snapshots", schema=None) as batch_op:
        batch_op.drop_column("recorded_by")

    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_column("recorded_by")

    with op.batch_alter_table("inventory_reports", schema=None) as batch_op:
        batch_op.drop_column("recorded_by")

    with op.batch_alter_table("fnb_actuals", schema=None) as batch_op:
        batch_op.drop_column("recorded_by")
