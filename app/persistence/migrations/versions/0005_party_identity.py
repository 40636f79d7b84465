"""party identity: the legal identity of properties (seller) and accounts (buyer), and per-hotel
invoice numbering (prefix, format, a series per year when the format shows it)

Existing properties keep their numbers ("3-000042", one series for all time: period ""), and their
issued invoices keep theirs; identities start empty (None).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# On SQLite a table's unique constraint changes only by rebuilding the table, and batch mode's rebuild
# (copy, DROP, rename) fails the foreign keys of rows that reference the dropped table, here a credit
# note's reference to its invoice; PRAGMA foreign_keys cannot be turned off inside the migration's
# transaction. So the property's prefix is unique by an index (its columns are added in place), and
# ``invoices`` is rebuilt by hand: renamed away with legacy_alter_table on (so that references to
# "invoices" keep naming the new table), created anew, copied, and the old copy dropped. With foreign
# keys on, SQLite still points other tables' references at the renamed copy, so the one table that
# references invoices from another (invoice_payments, 0004) is rebuilt the same way before the old copy
# goes (tests/api/test_migrations_with_data.py).


def _invoices_table(name: str, *, with_period: bool) -> None:
    unique = (
        sa.UniqueConstraint(
            "property_id", "number_period", "sequence_number", name="uq_invoices_property_period_sequence"
        )
        if with_period
        else sa.UniqueConstraint("property_id", "sequence_number", name="uq_invoices_property_sequence")
    )
    period = (
        [sa.Column("number_period", sa.String(length=4), server_default="", nullable=False)]
        if with_period
        else []
    )
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("sequence_number", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("contract_version", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("credits_invoice_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("total_amount", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *period,
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"]),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"]),
        sa.ForeignKeyConstraint(["credits_invoice_id"], ["invoices.id"]),
        sa.ForeignKeyConstraint(["property_id"], ["properties.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number", name="uq_invoices_number"),
        unique,
    )


_COLUMNS = (
    "id, property_id, sequence_number, number, kind, contract_id, contract_version, assessment_id, "
    "credits_invoice_id, language, issue_date, due_date, as_of, total_amount, currency, document, pdf, "
    "pdf_sha256, created_by, created_at"
)


def _rebuild_invoices_on_sqlite(*, with_period: bool) -> None:
    op.execute("PRAGMA legacy_alter_table = ON")
    op.drop_index("ix_invoices_contract", table_name="invoices")
    op.execute("ALTER TABLE invoices RENAME TO invoices_before_0005")
    _invoices_table("invoices", with_period=with_period)
    op.execute(f"INSERT INTO invoices ({_COLUMNS}) SELECT {_COLUMNS} FROM invoices_before_0005")
    _rebuild_payments_on_sqlite()
    op.execute("DROP TABLE invoices_before_0005")
    op.create_index("ix_invoices_contract", "invoices", ["contract_id"], unique=False)
    op.execute("PRAGMA legacy_alter_table = OFF")


_PAYMENT_COLUMNS = "id, invoice_id, paid_on, amount, currency, reference, recorded_by, recorded_at"


def _rebuild_payments_on_sqlite() -> None:
    """invoice_payments again, its reference naming the new invoices table (as in 0004)."""
    op.drop_index("ix_invoice_payments_invoice", table_name="invoice_payments")
    op.execute("ALTER TABLE invoice_payments RENAME TO invoice_payments_before_0005")
    op.create_table(
        "invoice_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(
        f"INSERT INTO invoice_payments ({_PAYMENT_COLUMNS}) "
        f"SELECT {_PAYMENT_COLUMNS} FROM invoice_payments_before_0005"
    )
    op.execute("DROP TABLE invoice_payments_before_0005")
    op.create_index("ix_invoice_payments_invoice", "invoice_payments", ["invoice_id"], unique=False)


def upgrade() -> None:
    with op.batch_alter_table("properties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identity", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("invoice_prefix", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("invoice_number_format", sa.String(length=32), server_default="", nullable=False)
        )
        batch_op.create_index("uq_properties_invoice_prefix", ["invoice_prefix"], unique=True)

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identity", sa.JSON(), nullable=True))

    if op.get_bind().dialect.name == "sqlite":
        _rebuild_invoices_on_sqlite(with_period=True)
    else:
        op.add_column(
            "invoices", sa.Column("number_period", sa.String(length=4), server_default="", nullable=False)
        )
        op.drop_constraint("uq_invoices_property_sequence", "invoices", type_="unique")
        op.create_unique_constraint(
            "uq_invoices_property_period_sequence",
            "invoices",
            ["property_id", "number_period", "sequence_number"],
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

    # A per-year series repeats sequence numbers, which the old constraint refuses: then this fails.
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_invoices_on_sqlite(with_period=False)
    else:
        op.drop_constraint("uq_invoices_property_period_sequence", "invoices", type_="unique")
        op.create_unique_constraint(
            "uq_invoices_property_sequence", "invoices", ["property_id", "sequence_number"]
        )
        op.drop_column("invoices", "number_period")

    # In place (SQLite 3.35+ drops a column without rebuilding the table its contracts reference).
    op.drop_index("uq_properties_invoice_prefix", table_name="properties")
    op.execute("ALTER TABLE accounts DROP COLUMN identity")
    for column in ("invoice_number_format", "invoice_prefix", "identity"):
        op.execute(f"ALTER TABLE properties DROP COLUMN {column}")
