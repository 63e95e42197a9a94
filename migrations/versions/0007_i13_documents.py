"""documents read from orders, decrees and decisions: their meeting kinds; decisions that need
no report («принять к сведению», «утвердить», headings)

Revision ID: 0007_i13
Revises: 0006_i17
Create Date: 2026-12-05

"""
import sqlalchemy as sa
from alembic import op

revision = "0007_i13"
down_revision = "0006_i17"
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('protocol', 'extract', 'reference', 'order')"
NEW_KINDS = (
    "kind IN ('protocol', 'extract', 'reference', 'order', 'prikaz', 'resolution', 'decision')"
)


def upgrade():
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_meetings_kind_valid"), type_="check")
        # The naming convention turns "kind_valid" into ck_meetings_kind_valid.
        batch_op.create_check_constraint("kind_valid", NEW_KINDS)
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("needs_report", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    # the default only fills rows that exist; new rows get theirs from the model
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.alter_column("needs_report", server_default=None)


def downgrade():
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("needs_report")
    op.execute("UPDATE meetings SET kind = 'order' WHERE kind IN ('prikaz', 'resolution', 'decision')")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_meetings_kind_valid"), type_="check")
        batch_op.create_check_constraint("kind_valid", OLD_KINDS)
