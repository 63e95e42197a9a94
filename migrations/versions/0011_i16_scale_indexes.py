"""scale: full-text search of decisions and reports (GIN, Russian), measurements covered for the
cycle's aggregates, organizations' time zones indexed

Revision ID: 0011_i16
Revises: 0010_i14b
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_i16"
down_revision = "0010_i14b"
branch_labels = None
depends_on = None

SEARCHED = (("decisions", "ix_decisions_text_search"), ("execution_reports", "ix_execution_reports_text_search"))


def upgrade():
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organizations_timezone"), ["timezone"], unique=False)
    # values of an indicator by period, with the organization and the value in the index itself
    # (PostgreSQL answers the cycle's averages from the index alone)
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.drop_index("ix_measurements_indicator_period")
        batch_op.create_index(
            "ix_measurements_indicator_period",
            ["indicator_id", "period"],
            unique=False,
            postgresql_include=["organization_id", "value"],
        )
    if op.get_bind().dialect.name == "postgresql":
        for table, name in SEARCHED:
            op.create_index(
                name,
                table,
                [sa.text("to_tsvector('russian'::regconfig, text)")],
                postgresql_using="gin",
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table, name in SEARCHED:
            op.drop_index(name, table_name=table)
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.drop_index("ix_measurements_indicator_period")
        batch_op.create_index(
            "ix_measurements_indicator_period", ["indicator_id", "period"], unique=False
        )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organizations_timezone"))
