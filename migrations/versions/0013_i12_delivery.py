"""delivery you can trust: the broker lease of an outbox row, and the record of swept days

Revision ID: 0013_i12
Revises: 0012_i16
"""

import sqlalchemy as sa
from alembic import op


revision = "0013_i12"
down_revision = "0012_i16"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dispatched_at", sa.DateTime(), nullable=True))
    op.create_table(
        "reminder_sweeps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("swept_at", sa.DateTime(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_reminder_sweeps_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_sweeps")),
        sa.UniqueConstraint(
            "organization_id",
            "timezone",
            "day",
            name=op.f("uq_reminder_sweeps_organization_id_timezone_day"),
        ),
    )


def downgrade():
    op.drop_table("reminder_sweeps")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("dispatched_at")
