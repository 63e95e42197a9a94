"""The migrations build the schema on an empty database, agree with the models, and go back."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tracker.core.models import render_migration_item
from tracker.extensions import db


def test_migrations_match_models(ctx):
    # `app` was built by `flask db upgrade` from empty (see conftest.reset_schema).
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_item": render_migration_item}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_downgrade_to_base_and_back(ctx):
    downgrade(revision="base")
    names = set(sa.inspect(db.engine).get_table_names())
    assert names <= {"alembic_version"}, names
    upgrade()
    assert "assignments" in sa.inspect(db.engine).get_table_names()
