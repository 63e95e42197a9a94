"""The shape of the house: every model with an organization column has a visibility rule its
part registered (none is guessed), and core imports no part (import-linter, run by `make lint`)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tracker import register_models
from tracker.core.permissions import VISIBILITY, visible_to
from tracker.extensions import db


def organization_models(registry) -> list[type]:
    """Mapped classes with a column that names an organization."""
    found = []
    for mapper in registry.mappers:
        table = mapper.local_table
        if any(
            fk.target_fullname.startswith("organizations.")
            for column in table.columns
            for fk in column.foreign_keys
        ):
            found.append(mapper.class_)
    return sorted(found, key=lambda cls: cls.__name__)


def test_every_model_with_an_organization_column_has_a_visibility_rule():
    register_models()
    models = organization_models(db.Model.registry)
    assert len(models) >= 18  # the listing really looks at the application's models
    assert [m.__name__ for m in models if m not in VISIBILITY] == []


def test_a_model_without_a_rule_is_found_and_refused():
    class Base(DeclarativeBase):
        pass

    class Stray(Base):
        __tablename__ = "strays"
        id: Mapped[int] = mapped_column(primary_key=True)
        organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))

    assert organization_models(Base.registry) == [Stray]
    assert Stray not in VISIBILITY
    with pytest.raises(TypeError, match="no visibility rule is registered for Stray"):
        visible_to(None, Stray)
