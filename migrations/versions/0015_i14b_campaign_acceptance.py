"""monitoring campaigns: a school's assignment closes itself when all values are in, unless
the campaign asks for manual acceptance

Revision ID: 0015_i14b
Revises: 0014_i14a
"""

import sqlalchemy as sa
from alembic import op


revision = "0015_i14b"
down_revision = "0014_i14a"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("monitoring_campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "manual_acceptance", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table("monitoring_campaigns", schema=None) as batch_op:
        batch_op.drop_column("manual_acceptance")
