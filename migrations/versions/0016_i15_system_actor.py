"""the system actor: the CLI and the demo loader act as one named user row that cannot sign in

Revision ID: 0016_i15
Revises: 0015_i14b
"""

import sqlalchemy as sa
from alembic import op


revision = "0016_i15"
down_revision = "0015_i14b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_system", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("is_system")
