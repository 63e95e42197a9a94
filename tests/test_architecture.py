"""The shape of the house: every model with an organization column has a visibility rule its
part registered (none is guessed), and core imports no part (import-linter, run by `make lint`)."""

from __future__ import annotations

import ast
import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tracker import register_models
from tracker.core.permissions import VISIBILITY, register_owned, visible_to
from tracker.extensions import db

ROOT = Path(__file__).resolve().parent.parent


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


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_of_the_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(
        ROOT / "tracker",
        tree / "tracker",
        ignore=shutil.ignore_patterns("__pycache__", "static", "translations"),
    )
    shutil.copy(ROOT / ".importlinter", tree / ".importlinter")
    return tree


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "module, upward",
    [
        ("core/clock.py", "tracker.meetings.models"),  # core imports a part
        ("core/permissions.py", "tracker.api"),  # core imports the API
        ("assignments/services.py", "tracker.demo.loader"),  # a part imports the demo
        ("notify/reminders.py", "tracker.assignments.models"),  # notify imports a part
        ("notify/views.py", "tracker.orgs.services"),  # notify imports a part
    ],
)
def test_an_upward_import_breaks_the_contract(tmp_path, module, upward):
    tree = copy_of_the_tree(tmp_path)
    assert lint_imports(tree).returncode == 0  # the copy alone keeps every contract
    path = tree / "tracker" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n\nimport {upward}  # noqa\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and upward in result.stdout


def test_notify_and_core_are_forbidden_every_part():
    """The forbidden contract names every package but core, notify and the extensions: a new
    part is forbidden to them as soon as it exists."""
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    forbidden = set(config["importlinter:contract:notify"]["forbidden_modules"].split())
    packages = {f"tracker.{path.parent.name}" for path in (ROOT / "tracker").glob("*/__init__.py")}
    assert forbidden == packages - {"tracker.core", "tracker.notify"}


def test_a_new_package_must_be_placed_in_a_layer(tmp_path):
    tree = copy_of_the_tree(tmp_path)
    (tree / "tracker" / "stray").mkdir()
    (tree / "tracker" / "stray" / "__init__.py").write_text("")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "tracker.stray" in result.stdout


def test_what_a_user_keeps_for_themselves_is_seen_by_them_alone():
    class Base(DeclarativeBase):
        pass

    class Note(Base):
        __tablename__ = "notes"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(sa.Integer)

    register_owned(Note, Note.user_id)
    try:
        owner = SimpleNamespace(id=7, is_authenticated=True, memberships=[])
        assert str(visible_to(owner, Note).compile(compile_kwargs={"literal_binds": True})) == (
            "notes.user_id = 7"
        )
        assert visible_to(None, Note).compare(sa.false())
    finally:
        del VISIBILITY[Note]


def status_literals(path: Path) -> list[str]:
    """`x.status == "done"`-like comparisons (and `in ("a", "b")`) written with bare strings."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        if not any(isinstance(s, ast.Attribute) and s.attr in ("status", "state") for s in sides):
            continue
        for side in sides:
            values = side.elts if isinstance(side, ast.Tuple | ast.List | ast.Set) else [side]
            found += [
                f"{path.name}:{node.lineno} {v.value!r}"
                for v in values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            ]
    return found


@pytest.mark.parametrize("part", ["roadmaps", "cycle"])
def test_statuses_are_compared_through_their_enums(part):
    found = [
        hit
        for path in sorted((ROOT / "tracker" / part).glob("*.py"))
        for hit in status_literals(path)
    ]
    templates = [
        f"{path.name}: {line.strip()[:60]}"
        for path in sorted((ROOT / "templates" / part).glob("*.html"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.search(r"\.(status|state) *(==|!=|in) *[\"'(]", line)
    ]
    assert found == [] and templates == []
