"""Expert sheets and diagnostic cards: the template and one school's scores (the commands;
reading and the comparison are in `queries`, the workbook in `documents`).

An expert sheet (экспертный лист, seed 002) scores every school of a department on numbered
criteria, usually 0/1/2 («не реализовано», «частично», «в полной мере»), and compares the totals.
A diagnostic card (диагностическая карта ШНРО, seed 004) sums «negative» 0/1 criteria; a school
whose sum reaches the card's threshold is one «с низкими результатами обучения».

Services take the session, the acting user and plain arguments, check the right themselves
(`NotAllowed`), flush but never commit, and write the audit record. A refused change raises
`EvaluationError` with a Russian message for the user."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from tracker.core import audit
from tracker.core.errors import NotAllowed, Refused
from tracker.core.i18n import _
from tracker.core.permissions import can
from tracker.core.tenancy import SCHOOL_KINDS, Organization, User
from tracker.evaluations.models import SHEET_KINDS, Criterion, Evaluation, ExpertSheet, Score

# Data, not interface text: the labels are stored with the sheet, as the department wrote them.
DEFAULT_SCALE = {"0": "не реализовано", "1": "частично", "2": "в полной мере"}
DIAGNOSTIC_SCALE = {"0": "нет", "1": "да"}
DEFAULT_MAX = {"expert": 2, "diagnostic": 1}
MAX_SCORE = 100
MAX_CRITERIA = 200

KIND_LABELS = {
    "expert": _l("Экспертный лист"),
    "diagnostic": _l("Диагностическая карта"),
}


class EvaluationError(Refused):
    """A refused change, with a Russian message for the user."""


@dataclass(frozen=True)
class CriterionSpec:
    """One criterion as entered: its number as written, its text and its maximum score."""

    text: str
    number: str | None = None
    max_score: int = 2


# --- reading what people type -----------------------------------------------------------------

_NUMBERED = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,3})*)[.)]?\s+(\S.*)$")
_MAX_SUFFIX = re.compile(r"\s*\|\s*(\S+)\s*$")
_SCALE_LINE = re.compile(r"^\s*(\S+?)\s*(?:—|–|-|:|=)\s*(.*?)\s*$")


def criteria_from_lines(text: str, default_max: int = 2) -> list[CriterionSpec]:
    """One criterion per line: «1. Текст критерия», optionally «… | 3» for its maximum score.

    Lines without a number are numbered in order; empty lines are skipped."""
    specs: list[CriterionSpec] = []
    for line_no, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        max_score = default_max
        suffix = _MAX_SUFFIX.search(line)
        if suffix:
            try:
                max_score = int(suffix.group(1))
            except ValueError:
                raise EvaluationError(
                    _(
                        "Строка %(line)s: после «|» ожидается максимальный балл числом, "
                        "а написано «%(value)s».",
                        line=line_no,
                        value=suffix.group(1),
                    )
                ) from None
            line = line[: suffix.start()].strip()
        numbered = _NUMBERED.match(line)
        number, body = (numbered.group(1), numbered.group(2)) if numbered else (None, line)
        specs.append(CriterionSpec(text=body.strip(), number=number, max_score=max_score))
    taken = {s.number for s in specs if s.number}
    result: list[CriterionSpec] = []
    counter = 0
    for spec in specs:
        if spec.number:
            result.append(spec)
            continue
        counter += 1
        while str(counter) in taken:
            counter += 1
        taken.add(str(counter))
        result.append(CriterionSpec(text=spec.text, number=str(counter), max_score=spec.max_score))
    return result


def criteria_to_lines(criteria: Iterable[Criterion], default_max: int = 2) -> str:
    lines = []
    for c in criteria:
        line = f"{c.number}. {c.text}" if c.number else c.text
        if c.max_score != default_max:
            line += f" | {c.max_score}"
        lines.append(line)
    return "\n".join(lines)


def scale_from_lines(text: str) -> dict[str, str]:
    """«0 — не реализовано» per line → {"0": "не реализовано"}."""
    scale: dict[str, str] = {}
    for raw in (text or "").splitlines():
        if not raw.strip():
            continue
        match = _SCALE_LINE.match(raw)
        value = match.group(1) if match else raw.strip()
        if not value.isdigit():
            raise EvaluationError(
                _(
                    "Шкала: каждая строка начинается с балла, например «0 — не реализовано»; "
                    "не понятна строка «%(line)s».",
                    line=raw.strip(),
                )
            )
        label = match.group(2) if match else ""
        if not label:
            raise EvaluationError(_("Шкала: у балла %(value)s нет описания.", value=value))
        scale[str(int(value))] = label
    return scale


def scale_to_lines(scale: Mapping[str, str]) -> str:
    return "\n".join(f"{k} — {v}" for k, v in sorted(scale.items(), key=lambda kv: int(kv[0])))


def scale_label(sheet: ExpertSheet, value: int) -> str | None:
    return (sheet.scale or {}).get(str(value))


# --- the template -----------------------------------------------------------------------------


def _check_manager(actor: User | None, organization: Organization) -> None:
    """Department staff manage sheets and scores (the demo loader acts as the system actor)."""
    if not can(actor, "evaluation.manage", organization):
        raise NotAllowed(_("Недостаточно прав для этого действия."), target=organization)


def _clean_sheet(
    kind: str,
    title: str,
    criteria: Sequence[CriterionSpec],
    scale: Mapping[str, str] | None,
    threshold: int | None,
) -> tuple[str, dict[str, str], int | None]:
    if kind not in SHEET_KINDS:
        raise EvaluationError(_("Неизвестный вид листа: %(kind)s.", kind=kind))
    title = (title or "").strip()
    if not title:
        raise EvaluationError(_("Укажите название листа."))
    if not criteria:
        raise EvaluationError(_("Добавьте хотя бы один критерий."))
    if len(criteria) > MAX_CRITERIA:
        raise EvaluationError(_("В листе не может быть больше %(n)s критериев.", n=MAX_CRITERIA))
    seen: set[str] = set()
    for position, spec in enumerate(criteria, start=1):
        shown = spec.number or position
        if not (spec.text or "").strip():
            raise EvaluationError(_("Критерий %(n)s: нет текста.", n=shown))
        if not 1 <= spec.max_score <= MAX_SCORE:
            raise EvaluationError(
                _(
                    "Критерий %(n)s: максимальный балл должен быть от 1 до %(max)s.",
                    n=shown,
                    max=MAX_SCORE,
                )
            )
        if spec.number:
            if spec.number in seen:
                raise EvaluationError(_("Номер критерия %(n)s повторяется.", n=spec.number))
            seen.add(spec.number)
    cleaned_scale = {str(int(k)): str(v).strip() for k, v in (scale or {}).items()}
    if not cleaned_scale:
        cleaned_scale = dict(DIAGNOSTIC_SCALE if kind == "diagnostic" else DEFAULT_SCALE)
    if any(int(k) < 0 for k in cleaned_scale):
        raise EvaluationError(_("Баллы шкалы не могут быть отрицательными."))
    if kind == "diagnostic":
        most = sum(spec.max_score for spec in criteria)
        if threshold is None or not 1 <= threshold <= most:
            raise EvaluationError(
                _(
                    "Укажите порог диагностической карты: сумму «отрицательных» критериев, "
                    "начиная с которой школа относится к школам с низкими результатами "
                    "(от 1 до %(max)s).",
                    max=most,
                )
            )
    else:
        threshold = None
    return title, cleaned_scale, threshold


def create_sheet(
    session: Session,
    *,
    organization: Organization,
    title: str,
    criteria: Sequence[CriterionSpec],
    actor: User,
    kind: str = "expert",
    description: str | None = None,
    scale: Mapping[str, str] | None = None,
    threshold: int | None = None,
    key: str | None = None,
) -> ExpertSheet:
    """A department's sheet with its criteria, in the order given."""
    _check_manager(actor, organization)
    if organization.kind in SCHOOL_KINDS:
        raise EvaluationError(
            _("Экспертный лист составляет орган управления образованием, а не школа.")
        )
    title, scale, threshold = _clean_sheet(kind, title, criteria, scale, threshold)
    sheet = ExpertSheet(
        organization_id=organization.id,
        kind=kind,
        title=title,
        description=(description or "").strip() or None,
        scale=scale,
        threshold=threshold,
        key=key,
    )
    for position, spec in enumerate(criteria, start=1):
        sheet.criteria.append(
            Criterion(
                position=position,
                number=spec.number or str(position),
                text=spec.text.strip(),
                max_score=spec.max_score,
            )
        )
    session.add(sheet)
    session.flush()
    audit.record(actor, "expert_sheet.create", sheet, kind=kind, criteria=len(criteria))
    return sheet


def update_sheet(
    session: Session,
    sheet: ExpertSheet,
    *,
    title: str,
    criteria: Sequence[CriterionSpec],
    actor: User,
    kind: str | None = None,
    description: str | None = None,
    scale: Mapping[str, str] | None = None,
    threshold: int | None = None,
) -> ExpertSheet:
    """Change the template. Criteria are matched by position: a criterion already scored cannot
    be removed, nor its maximum lowered below a score given; new ones are appended."""
    _check_manager(actor, sheet_organization(session, sheet))
    kind = kind or sheet.kind
    scored = has_evaluations(session, sheet)
    if kind != sheet.kind and scored:
        raise EvaluationError(_("Вид листа нельзя изменить: по нему уже выставлены баллы."))
    title, scale, threshold = _clean_sheet(kind, title, criteria, scale, threshold)
    highest = dict(
        session.execute(
            sa.select(Score.criterion_id, sa.func.max(Score.value))
            .join(Criterion, Criterion.id == Score.criterion_id)
            .where(Criterion.sheet_id == sheet.id)
            .group_by(Score.criterion_id)
        ).all()
    )
    existing = list(sheet.criteria)
    for criterion in existing[len(criteria) :]:
        if criterion.id in highest:
            raise EvaluationError(
                _(
                    "Критерий %(n)s уже оценён, удалить его нельзя.",
                    n=criterion.number or criterion.position,
                )
            )
    for position, spec in enumerate(criteria, start=1):
        if position <= len(existing):
            criterion = existing[position - 1]
            top = highest.get(criterion.id)
            if top is not None and spec.max_score < top:
                raise EvaluationError(
                    _(
                        "Критерий %(n)s: уже выставлен балл %(value)s, максимальный балл "
                        "не может быть меньше.",
                        n=spec.number or position,
                        value=top,
                    )
                )
            criterion.number = spec.number or str(position)
            criterion.text = spec.text.strip()
            criterion.max_score = spec.max_score
        else:
            sheet.criteria.append(
                Criterion(
                    position=position,
                    number=spec.number or str(position),
                    text=spec.text.strip(),
                    max_score=spec.max_score,
                )
            )
    for criterion in existing[len(criteria) :]:
        sheet.criteria.remove(criterion)
    sheet.kind = kind
    sheet.title = title
    sheet.description = (description or "").strip() or None
    sheet.scale = scale
    sheet.threshold = threshold
    session.flush()
    audit.record(actor, "expert_sheet.update", sheet, criteria=len(criteria))
    return sheet


def sheet_organization(session: Session, sheet: ExpertSheet) -> Organization:
    return session.get(Organization, sheet.organization_id)


def has_evaluations(session: Session, sheet: ExpertSheet) -> bool:
    found = session.scalar(sa.select(Evaluation.id).where(Evaluation.sheet_id == sheet.id).limit(1))
    return found is not None


def max_total(sheet: ExpertSheet) -> int:
    return sum(c.max_score for c in sheet.criteria)


# --- one school's evaluation --------------------------------------------------------------------


def is_under(organization: Organization, department: Organization) -> bool:
    return organization.id != department.id and organization.path.startswith(department.path)


def save_evaluation(
    session: Session,
    sheet: ExpertSheet,
    organization: Organization,
    *,
    scores: Mapping[int, int | None],
    actor: User,
    evaluated_on: date | None = None,
    findings: str | None = None,
    recommendations: str | None = None,
    road_map_id: int | None = None,
) -> Evaluation:
    """Create or update one organization's evaluation on a sheet with all its scores.

    `scores` maps criterion ids to values; every criterion of the sheet needs one, within
    0..its maximum. The organization must be one of the sheet's department."""
    department = sheet_organization(session, sheet)
    _check_manager(actor, department)
    if not is_under(organization, department):
        raise EvaluationError(
            _(
                "%(org)s не относится к %(dept)s: по этому листу оцениваются только "
                "подведомственные организации.",
                org=organization.short_name,
                dept=department.short_name,
            )
        )
    criteria = {c.id: c for c in sheet.criteria}
    unknown = [cid for cid in scores if cid not in criteria]
    if unknown:
        raise EvaluationError(
            _("%(org)s: критерий не из этого листа.", org=organization.short_name)
        )
    for criterion in sheet.criteria:
        value = scores.get(criterion.id)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise EvaluationError(
                _(
                    "%(org)s, критерий %(n)s: балл должен быть целым числом.",
                    org=organization.short_name,
                    n=criterion.number,
                )
            )
        if not 0 <= value <= criterion.max_score:
            raise EvaluationError(
                _(
                    "%(org)s, критерий %(n)s: балл %(value)s вне шкалы 0–%(max)s.",
                    org=organization.short_name,
                    n=criterion.number,
                    value=value,
                    max=criterion.max_score,
                )
            )
    missing = [c.number or str(c.position) for c in sheet.criteria if scores.get(c.id) is None]
    if missing:
        raise EvaluationError(
            _(
                "%(org)s: не выставлен балл по критериям %(numbers)s.",
                org=organization.short_name,
                numbers=", ".join(missing),
            )
        )
    if road_map_id is not None:
        from tracker.roadmaps.models import RoadMap

        road_map = session.get(RoadMap, road_map_id)
        if road_map is None or road_map.organization_id != organization.id:
            raise EvaluationError(
                _("Дорожная карта не принадлежит «%(org)s».", org=organization.short_name)
            )
    evaluation = session.scalar(
        sa.select(Evaluation).where(
            Evaluation.sheet_id == sheet.id,
            Evaluation.organization_id == organization.id,
            Evaluation.road_map_id.is_(None)
            if road_map_id is None
            else Evaluation.road_map_id == road_map_id,
        )
    )
    created = evaluation is None
    if created:
        evaluation = Evaluation(
            sheet_id=sheet.id, organization_id=organization.id, road_map_id=road_map_id
        )
        session.add(evaluation)
    evaluation.evaluated_on = evaluated_on
    evaluation.findings = (findings or "").strip() or None
    evaluation.recommendations = (recommendations or "").strip() or None
    evaluation.evaluator_id = actor.id
    by_criterion = {s.criterion_id: s for s in evaluation.scores}
    before = {criteria[cid].number: s.value for cid, s in by_criterion.items() if cid in criteria}
    for criterion in sheet.criteria:
        value = int(scores[criterion.id])  # type: ignore[arg-type]
        score = by_criterion.get(criterion.id)
        if score is None:
            evaluation.scores.append(Score(criterion_id=criterion.id, value=value))
        else:
            score.value = value
    session.flush()
    after = {c.number: int(scores[c.id]) for c in sheet.criteria}  # type: ignore[arg-type]
    audit.record(
        actor,
        "evaluation.create" if created else "evaluation.update",
        evaluation,
        sheet_id=sheet.id,
        total=sum(after.values()),
        scores=after,
        **({} if created else {"before": before}),
    )
    return evaluation


def delete_evaluation(session: Session, evaluation: Evaluation, actor: User) -> None:
    sheet = session.get(ExpertSheet, evaluation.sheet_id)
    _check_manager(actor, sheet_organization(session, sheet))
    audit.record(
        actor,
        "evaluation.delete",
        evaluation,
        sheet_id=evaluation.sheet_id,
        total=total_of(evaluation),
    )
    session.delete(evaluation)
    session.flush()


def total_of(evaluation: Evaluation) -> int:
    return sum(s.value for s in evaluation.scores)
