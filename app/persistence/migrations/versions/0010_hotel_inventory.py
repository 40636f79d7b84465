"""The hotel's inventory per night (issue 17): capacity, rooms out of order, rooms sold and unsold, per
property and night, appended with the date it was reported as of (the latest as of a date wins); and the
hotel's setting of how a night's unsold rooms are shared among the groups short that night
(``properties.last_room_sold_sharing``), and the shares an issued invoice billed (``invoices.room_shares``).

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
# After 0009 (the outside-block audit tables).
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("room_shares", sa.JSON(), nullable=True))
    with op.batch_alter_table("properties", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "last_room_sold_sharing", sa.String(length=20), nullable=False, server_default="invoice_order"
            )
        )
    op.create_table(
        "hotel_inventory",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("night", sa.Date(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("out_of_order", sa.Integer(), nullable=True),
        sa.Column("rooms_sold", sa.Integer(), nullable=True),
        sa.Column("unsold_rooms", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["property_id"], ["properties.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("hotel_inventory", schema=None) as batch_op:
        batch_op.create_index(
            "ix_hotel_inventory_property_night", ["property_id", "night", "as_of"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("hotel_inventory", schema=None) as batch_op:
        batch_op.drop_index("ix_hotel_inventory_property_night")
    op.drop_table("hotel_inventory")
    # In place: batch mode would rebuild properties, and dropping the old copy fails the foreign keys of
    # every row that references it (SQLite 3.35+ drops a column without a rebuild).
    op.execute("ALTER TABLE properties DROP COLUMN last_room_sold_sharing")
    op.execute("ALTER TABLE invoices DROP COLUMN room_shares")
