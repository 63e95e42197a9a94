"""execution control: on-time flag on assignments, token scopes (API or calendar feed)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("on_time", sa.Boolean(), nullable=True))
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scope", sa.String(length=10), nullable=False, server_default="api")
        )
        # The naming convention turns "scope_valid" into ck_api_tokens_scope_valid.
        batch_op.create_check_constraint("scope_valid", "scope IN ('api', 'calendar')")


def downgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_api_tokens_scope_valid"), type_="check")
        batch_op.drop_column("scope")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_column("on_time")
