"""scale: the assignments' organization/state/deadline index carries id, decision, on-time flag
and extensions (PostgreSQL answers the board's counts and figures from the index alone)

Revision ID: 0012_i16
Revises: 0011_i16
"""

from alembic import op

revision = "0012_i16"
down_revision = "0011_i16"
branch_labels = None
depends_on = None

COLUMNS = ["organization_id", "status", "due_date"]


def upgrade():
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_assignments_org_status_due")
        batch_op.create_index(
            "ix_assignments_org_status_due",
            COLUMNS,
            unique=False,
            postgresql_include=["id", "decision_id", "on_time", "extension_count"],
        )


def downgrade():
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_assignments_org_status_due")
        batch_op.create_index("ix_assignments_org_status_due", COLUMNS, unique=False)
