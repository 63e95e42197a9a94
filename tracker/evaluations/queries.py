"""Reading expert sheets and diagnostic cards through the permission filter, and the comparison
table (criteria as rows, evaluated organizations as columns)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from tracker.core.permissions import visible_to
from tracker.core.tenancy import SCHOOL_KINDS, Organization, User
from tracker.core.text import natural_key
from tracker.evaluations.models import Criterion, Evaluation, ExpertSheet
from tracker.evaluations.services import max_total, sheet_organization


def list_sheets(session: Session, user: User | None) -> list[ExpertSheet]:
    return list(
        session.scalars(
            sa.select(ExpertSheet)
            .where(visible_to(user, ExpertSheet))
            .order_by(ExpertSheet.created_at.desc(), ExpertSheet.id.desc())
        )
    )


def get_sheet(session: Session, user: User | None, sheet_id: int) -> ExpertSheet | None:
    return session.scalar(
        sa.select(ExpertSheet).where(ExpertSheet.id == sheet_id, visible_to(user, ExpertSheet))
    )


def visible_evaluations(
    session: Session, user: User | None, sheet: ExpertSheet
) -> list[Evaluation]:
    rows = session.scalars(
        sa.select(Evaluation)
        .where(Evaluation.sheet_id == sheet.id, visible_to(user, Evaluation))
        .options(selectinload(Evaluation.scores), selectinload(Evaluation.organization))
    ).all()
    return sorted(rows, key=lambda e: (natural_key(e.organization.short_name), e.id))


def scorable_organizations(
    session: Session, sheet: ExpertSheet, kinds: Iterable[str] = SCHOOL_KINDS
) -> list[Organization]:
    """The department's organizations of these kinds, and any already scored on the sheet."""
    department = sheet_organization(session, sheet)
    scored = sa.select(Evaluation.organization_id).where(Evaluation.sheet_id == sheet.id)
    rows = session.scalars(
        sa.select(Organization).where(
            Organization.path.like(department.path + "%"),
            Organization.id != department.id,
            sa.or_(Organization.kind.in_(list(kinds)), Organization.id.in_(scored)),
        )
    ).all()
    return sorted(rows, key=lambda o: natural_key(o.short_name))


@dataclass
class Column:
    """One evaluated organization in the comparison table."""

    evaluation: Evaluation
    organization: Organization
    values: dict[int, int]
    total: int
    max_total: int
    percent: float | None
    low: bool = False


@dataclass
class Comparison:
    """The seed's table: criteria as rows, organizations as columns, a totals row."""

    sheet: ExpertSheet
    criteria: list[Criterion]
    columns: list[Column] = field(default_factory=list)

    @property
    def max_total(self) -> int:
        return max_total(self.sheet)

    @property
    def rows(self) -> list[tuple[Criterion, list[int | None]]]:
        return [(c, [col.values.get(c.id) for col in self.columns]) for c in self.criteria]

    @property
    def totals(self) -> list[int]:
        return [col.total for col in self.columns]

    @property
    def low_results(self) -> list[Column]:
        return [col for col in self.columns if col.low]


def comparison(session: Session, user: User | None, sheet: ExpertSheet) -> Comparison:
    """What `user` may see of the sheet's results: a director gets their own column only."""
    most = max_total(sheet)
    result = Comparison(sheet=sheet, criteria=list(sheet.criteria))
    for evaluation in visible_evaluations(session, user, sheet):
        values = {s.criterion_id: s.value for s in evaluation.scores}
        total = sum(values.values())
        result.columns.append(
            Column(
                evaluation=evaluation,
                organization=evaluation.organization,
                values=values,
                total=total,
                max_total=most,
                percent=round(100 * total / most, 1) if most else None,
                low=sheet.kind == "diagnostic"
                and sheet.threshold is not None
                and total >= sheet.threshold,
            )
        )
    return result
