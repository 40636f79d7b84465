"""party identity: the legal identity of properties (seller) and accounts (buyer), and per-hotel
invoice numbering (prefix, format, a series per year when the format shows it)

Existing properties keep their numbers ("3-000042", one series for all time: period ""), and their
issued invoices keep theirs; identities start empty (None).

Revision ID: 0005
Revises: 0003 (the lead re-chains it after 0004 at merge)
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("properties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identity", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("invoice_prefix", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("invoice_number_format", sa.String(length=32), server_default="", nullable=False)
        )
        batch_op.create_unique_constraint("uq_properties_invoice_prefix", ["invoice_prefix"])

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identity", sa.JSON(), nullable=True))

    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("number_period", sa.String(length=4), server_default="", nullable=False)
        )
        batch_op.drop_constraint("uq_invoices_property_sequence", type_="unique")
        batch_op.create_unique_constraint(
            "uq_invoices_property_period_sequence", ["property_id", "number_period", "sequence_number"]
        )

    # The sequence's key becomes (property, period): a new table, the rows copied with period "".
    op.create_table(
        "invoice_sequences_0005",
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=4), server_default="", nullable=False),
        sa.Column("next_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["property_id"], ["properties.id"]),
        sa.PrimaryKeyConstraint("property_id", "period"),
    )
    op.execute(
        "INSERT INTO invoice_sequences_0005 (property_id, period, next_number) "
        "SELECT property_id, '', next_number FROM invoice_sequences"
    )
    op.drop_table("invoice_sequences")
    op.rename_table("invoice_sequences_0005", "invoice_sequences")


def downgrade() -> None:
    # Only the all-time series maps back; per-year series (and their invoices' periods) are dropped.
    op.create_table(
        "invoice_sequences_0003",
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("next_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["property_id"], ["properties.id"]),
        sa.PrimaryKeyConstraint("property_id"),
    )
    op.execute(
        "INSERT INTO invoice_sequences_0003 (property_id, next_number) "
        "SELECT property_id, next_number FROM invoice_sequences WHERE period = ''"
    )
    op.drop_table("invoice_sequences")
    op.rename_table("invoice_sequences_0003", "invoice_sequences")

    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_constraint("uq_invoices_property_period_sequence", type_="unique")
        batch_op.create_unique_constraint("uq_invoices_property_sequence", ["property_id", "sequence_number"])
        batch_op.drop_column("number_period")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("identity")

    with op.batch_alter_table("properties", schema=None) as batch_op:
        batch_op.drop_constraint("uq_properties_invoice_prefix", type_="unique")
        batch_op.drop_column("invoice_number_format")
        batch_op.drop_column("invoice_prefix")
        batch_op.drop_column("identity")
