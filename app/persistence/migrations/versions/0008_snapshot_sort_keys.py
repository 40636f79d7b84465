"""Sort keys of the exposure snapshots and the table of batch jobs.

- exposure_snapshots gains ``current_minor`` (the assessment's total today, in minor units),
  ``pickup_permille`` (pickup to date in tenths of a percent), ``exposure_state`` (forecast,
  refused or closed) and ``arrival_date``, so that the dashboard's sorts and ``GET /exposure``'s
  selection and order run in SQL on an index; contracts gain an index by arrival for the dashboard.
- batch_jobs: a batch PDF asked for through the API, its state and the file it produced.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exposure_snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("current_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("pickup_permille", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("exposure_state", sa.String(length=10), nullable=False, server_default="closed")
        )
        batch_op.add_column(sa.Column("arrival_date", sa.Date(), nullable=True))
        batch_op.create_index(
            "ix_exposure_snapshots_state_expected",
            ["exposure_state", "expected_minor", "arrival_date", "contract_id"],
            unique=False,
        )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.create_index("ix_contracts_arrival", ["arrival_date", "id"], unique=False)
    op.create_table(
        "batch_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["property_id"], ["properties.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("batch_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_batch_jobs_property_created", ["property_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("batch_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_batch_jobs_property_created")
    op.drop_table("batch_jobs")
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_index("ix_contracts_arrival")
    with op.batch_alter_table("exposure_snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_exposure_snapshots_state_expected")
        batch_op.drop_column("arrival_date")
        batch_op.drop_column("exposure_state")
        batch_op.drop_column("pickup_permille")
        batch_op.drop_column("current_minor")
