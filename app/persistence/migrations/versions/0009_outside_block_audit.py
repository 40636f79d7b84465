"""Outside-block audits: the audit runs of a contract and the registrant-reservation pairs they propose.

- audit_runs: who uploaded which registration list and reservation export, when, and the counts.
- audit_matches: both sides of each proposed pair as the files gave them, the confidence and its parts
  (in thousandths), the nights and room type it would credit, and the decision (pending, confirmed,
  rejected), who took it and when.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registrations_file", sa.String(length=200), nullable=False),
        sa.Column("reservations_file", sa.String(length=200), nullable=False),
        sa.Column("block_code", sa.String(length=64), nullable=True),
        sa.Column("registrant_count", sa.Integer(), nullable=False),
        sa.Column("reservation_count", sa.Integer(), nullable=False),
        sa.Column("candidate_count", sa.Integer(), nullable=False),
        sa.Column("match_count", sa.Integer(), nullable=False),
        sa.Column("threshold_permille", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_runs", schema=None) as batch_op:
        batch_op.create_index("ix_audit_runs_contract_created", ["contract_id", "created_at"], unique=False)
    op.create_table(
        "audit_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("registrant_line", sa.Integer(), nullable=False),
        sa.Column("registrant_name", sa.String(length=200), nullable=False),
        sa.Column("registrant_arrival", sa.Date(), nullable=False),
        sa.Column("registrant_departure", sa.Date(), nullable=False),
        sa.Column("registrant_email", sa.String(length=200), nullable=False),
        sa.Column("registrant_company", sa.String(length=200), nullable=False),
        sa.Column("reservation_line", sa.Integer(), nullable=False),
        sa.Column("confirmation", sa.String(length=64), nullable=False),
        sa.Column("reservation_name", sa.String(length=200), nullable=False),
        sa.Column("reservation_arrival", sa.Date(), nullable=False),
        sa.Column("reservation_departure", sa.Date(), nullable=False),
        sa.Column("reservation_email", sa.String(length=200), nullable=False),
        sa.Column("reservation_company", sa.String(length=200), nullable=False),
        sa.Column("reservation_room_type", sa.String(length=64), nullable=False),
        sa.Column("reservation_block_code", sa.String(length=64), nullable=False),
        sa.Column("credited_room_type", sa.String(length=40), nullable=False),
        sa.Column("credited_from", sa.Date(), nullable=False),
        sa.Column("credited_nights", sa.Integer(), nullable=False),
        sa.Column("confidence_permille", sa.Integer(), nullable=False),
        sa.Column("name_permille", sa.Integer(), nullable=False),
        sa.Column("dates_permille", sa.Integer(), nullable=False),
        sa.Column("email_agrees", sa.Boolean(), nullable=True),
        sa.Column("company_agrees", sa.Boolean(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("credited_as_of", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["audit_id"], ["audit_runs.id"]),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_matches", schema=None) as batch_op:
        batch_op.create_index("ix_audit_matches_audit", ["audit_id", "id"], unique=False)
        batch_op.create_index("ix_audit_matches_contract_status", ["contract_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_matches", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_matches_contract_status")
        batch_op.drop_index("ix_audit_matches_audit")
    op.drop_table("audit_matches")
    with op.batch_alter_table("audit_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_runs_contract_created")
    op.drop_table("audit_runs")
