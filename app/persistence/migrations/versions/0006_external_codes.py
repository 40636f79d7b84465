"""external codes: a property's HotelCode, a contract's InvBlockCode, room-type codes per property

Codes are optional; each is unique where set (a hotel code among properties, a block code within its
property), through partial unique indexes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "room_type_codes",
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("room_type", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["property_id"], ["properties.id"]),
        sa.PrimaryKeyConstraint("property_id", "code"),
    )
    with op.batch_alter_table("properties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hotel_code", sa.String(length=32), nullable=True))
        batch_op.create_index(
            "uq_properties_hotel_code",
            ["hotel_code"],
            unique=True,
            sqlite_where=sa.text("hotel_code IS NOT NULL"),
            postgresql_where=sa.text("hotel_code IS NOT NULL"),
        )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("block_code", sa.String(length=32), nullable=True))
        batch_op.create_index(
            "uq_contracts_property_block_code",
            ["property_id", "block_code"],
            unique=True,
            sqlite_where=sa.text("block_code IS NOT NULL"),
            postgresql_where=sa.text("block_code IS NOT NULL"),
        )


def downgrade() -> None:
    # In place: batch mode would rebuild contracts and properties, and dropping the old copy fails the
    # foreign keys of every row that references them (SQLite 3.35+ drops a column without a rebuild).
    op.drop_index("uq_contracts_property_block_code", table_name="contracts")
    op.execute("ALTER TABLE contracts DROP COLUMN block_code")
    op.drop_index("uq_properties_hotel_code", table_name="properties")
    op.execute("ALTER TABLE properties DROP COLUMN hotel_code")
    op.drop_table("room_type_codes")
