"""Values of the management cycle as people write and read them: periods («2023-Q1»), numbers as
a school writes them («85,5», «да»), indicator lines, rounding and the labels of units, stages and
verdicts. Pure: no database."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l

from tracker.core.errors import Refused
from tracker.core.i18n import _, decimal_separator
from tracker.cycle.models import Indicator

STAGE_LABELS = {
    "goals": _l("Цели"),
    "indicators": _l("Показатели"),
    "monitoring": _l("Мониторинг"),
    "analysis": _l("Анализ и рекомендации"),
    "decisions": _l("Решения и их исполнение"),
    "effectiveness": _l("Анализ эффективности"),
}
UNIT_LABELS = {
    "number": _l("число"),
    "percent": _l("%"),
    "bool": _l("да/нет"),
    "score": _l("баллы"),
}
VERDICT_LABELS = {
    "effective": _l("эффективно"),
    "partial": _l("частично"),
    "ineffective": _l("неэффективно"),
}
PERIOD = re.compile(r"^\d{4}(?:-(?:Q[1-4]|H[12]|0[1-9]|1[0-2]))?$|^\d{4}/\d{4}$")
YES = {"да", "1", "yes", "есть", "+"}
NO = {"нет", "0", "no", "-", "—"}


class CycleError(Refused):
    """A refused change, with a Russian message; `rows` says which values are wrong."""


def check_period(period: str) -> str:
    period = (period or "").strip()
    if not PERIOD.match(period):
        raise CycleError(
            _(
                "Период «%(p)s» не понят: укажите год (2023), квартал (2023-Q1), месяц "
                "(2023-09) или учебный год (2022/2023).",
                p=period,
            )
        )
    return period


def indicator_lines(text: str | None) -> list[tuple[str, str]]:
    """«ВСОКО-1 Доля обучающихся …» per line → (code, name); a line of one word is refused."""
    result = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        code, _sep, name = line.partition(" ")
        if not name.strip():
            raise CycleError(
                _(
                    "Строка %(n)s: напишите код показателя, пробел и его название.",
                    n=number,
                )
            )
        result.append((code.strip(), name.strip()))
    if len(result) > 50:
        raise CycleError(_("Не больше 50 новых показателей за раз."))
    return result


def parse_value(indicator: Indicator, raw: Any) -> Decimal:
    """A value as a school writes it («85,5», «85 %», «да»), checked against the unit."""
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        text = str(raw)
    else:
        text = str(raw if raw is not None else "").strip().lower()
    if indicator.unit == "bool":
        return _yes_no(text)
    value = _number(text)
    _check_range(indicator, value, text)
    return value


def _yes_no(text: str) -> Decimal:
    if text in YES:
        return Decimal(1)
    if text in NO:
        return Decimal(0)
    raise CycleError(_("Ожидается «да» или «нет», а не «%(v)s».", v=text))


def _number(text: str) -> Decimal:
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace(",", ".").rstrip("%")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise CycleError(_("«%(v)s» — не число.", v=text)) from None
    if not value.is_finite():
        raise CycleError(_("«%(v)s» — не число.", v=text))
    return value


def _check_range(indicator: Indicator, value: Decimal, text: str) -> None:
    """No negative values, no share above 100 %, no score above the maximum, no huge number."""
    if value < 0:
        raise CycleError(_("Значение не может быть отрицательным: %(v)s.", v=text))
    if indicator.unit == "percent" and value > 100:
        raise CycleError(_("Доля больше 100 %%: %(v)s.", v=text))
    maximum = indicator.max_value if indicator.unit == "score" else None
    if maximum is not None and value > maximum:
        raise CycleError(
            _("Больше максимального балла (%(max)s): %(v)s.", max=plain(maximum), v=text)
        )
    if abs(value) >= Decimal("1e10"):
        raise CycleError(_("Слишком большое число: %(v)s.", v=text))


def plain(value: Decimal | None) -> str:
    """12.5000 → «12,5» (with the reader's decimal separator: «12.5» in English); 12 → «12»."""
    if value is None:
        return ""
    text = format(value.normalize(), "f") if value == value.to_integral() else f"{value:f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return text.replace(".", decimal_separator())


def rounded(value: Decimal | None, places: str = "1") -> Decimal | None:
    return None if value is None else value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def percent(value: Decimal, maximum: Decimal) -> int:
    return int((Decimal(100) * value / maximum).quantize(Decimal(1), rounding=ROUND_HALF_UP))
