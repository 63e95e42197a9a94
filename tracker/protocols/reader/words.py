"""Words the reader looks at: people's names, infinitives, addressees in the dative.

Everything here reads one string and answers one question; pymorphy3 (through matching.morph)
tells the part of speech and case of a Russian word.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tracker.protocols.matching import fold, lemma, morph

UP = "А-ЯЁ"
LO = "а-яё"
DASH = r"\-–—−‒"  # for a regex character class
DASHES = "-–—−‒"
BULLETS = "·•▪◦●○■□➢►✓✔*"
SURNAME = rf"[{UP}][{LO}]+(?:-[{UP}][{LO}]+)?"
_INITIALS = rf"[{UP}]\.\s?[{UP}]\.?"
_PATRONYMIC = rf"[{UP}][{LO}]+(?:вн|вич|ичн|ьич|чн)[{LO}]*"
NAME = (
    rf"(?:(?<![{UP}{LO}.]){_INITIALS}\s?{SURNAME}(?![{LO}])"
    rf"|(?<![{UP}{LO}]){SURNAME}\s+[{UP}]\.\s?[{UP}]\.?(?![{UP}{LO}])"
    rf"|(?<![{UP}{LO}]){SURNAME}\s+[{UP}][{LO}]+\s+{_PATRONYMIC}(?![{LO}]))"
)
NAME_RE = re.compile(NAME)
NAME_ONLY = re.compile(rf"\s*(?:{NAME})\s*[.,;]?\s*")
NAME_AT_END = re.compile(rf"(?:{NAME})\s*[.,/]?\s*$")

# Positions that lead an addressee in the dative («Руководителям …», «Завхозу …») and sign
# a document in the nominative («Начальник управления …»).
ROLE_WORDS = frozenset(
    {
        "руководитель",
        "директор",
        "заведующий",
        "заведующая",
        "заведовать",
        "начальник",
        "заместитель",
        "специалист",
        "методист",
        "председатель",
        "координатор",
        "учитель",
        "педагог",
        "представитель",
        "сотрудник",
        "консультант",
        "эксперт",
        "инспектор",
        "глава",
        "секретарь",
        "мэр",
        "министр",
        "завхоз",
        "воспитатель",
        "психолог",
        "библиотекарь",
        "председательствующий",
        "ректор",
        "депутат",
    }
)
ORGAN_WORDS = frozenset(
    {
        "орган",
        "управление",
        "отдел",
        "комитет",
        "департамент",
        "министерство",
        "администрация",
        "комиссия",
        "совет",
        "служба",
        "отделение",
    }
)
ABBREVIATIONS = frozenset(
    {"ОО", "ОУ", "ДОУ", "ДОО", "ОМСУ", "УО", "СОШ", "ООШ", "СШ", "НОШ", "МОЦ", "ЦДО", "ДДТ"}
    | {"ДЦТ", "ДЮСШ", "ДШИ", "МКУ", "МБУ", "МАУ", "МУ", "УДО", "ОДО", "ГБУ", "ГАУ", "ГОБУЗ"}
    | {"ГБОУ", "ГАОУ", "ДПО", "ШМО", "РМО", "ГМО", "ИМЦ", "ЦБ", "МВД", "ПДН", "КДН", "ОГИБДД"}
)
_LEGAL_FORM = re.compile(r"^[МГЧ][БКА]?Д?О?У(?:ДО)?$")
_QUOTED = re.compile(r"«[^»]*(?:»|$)|\"[^\"]*(?:\"|$)|\([^)]*(?:\)|$)")


def words(text: str) -> list[str]:
    return re.findall(r"[а-яёa-z]+", fold(text))


def first_word(text: str) -> str:
    found = re.search(r"[А-ЯЁа-яёA-Za-z]+", text[:80])
    return found.group() if found else ""


def trim(text: str) -> str:
    """Strip list punctuation, keeping the dot of a trailing initial («Сидорова С.С.»)."""
    text = text.strip(" ;,:\t")
    while text.endswith(".") and not re.search(rf"(?<![{UP}{LO}])[{UP}]\.$", text):
        text = text[:-1].rstrip(" ;,:")
    return text


@lru_cache(maxsize=20_000)
def is_infinitive(word: str) -> bool:
    word = fold(word)
    return (
        len(word) > 3
        and word.endswith(("ть", "ти", "чь", "ся"))
        and any(p.tag.POS == "INFN" for p in morph().parse(word)[:2])
    )


def first_infinitive(text: str) -> int | None:
    """Offset of the first infinitive outside quotes and parentheses, or None."""
    depth = 0
    for match in re.finditer(r"[«»\"()]|[А-ЯЁа-яё]+(?:-[А-ЯЁа-яё]+)?", text):
        word = match.group()
        if word in ("«", "("):
            depth += 1
        elif word in ("»", ")"):
            depth = max(0, depth - 1)
        elif word == '"':
            depth = 0 if depth else 1
        elif depth == 0 and "-" not in word and is_infinitive(word):
            return match.start()
    return None


def has_infinitive(text: str) -> bool:
    return first_infinitive(_QUOTED.sub(" ", text)) is not None


def starts_with_infinitive(text: str) -> bool:
    word = first_word(text)
    return bool(word) and text.lstrip(' «"(').startswith(word) and is_infinitive(word)


def is_abbreviation(word: str) -> bool:
    return (
        word.isupper()
        and len(word) >= 2
        and (word in ABBREVIATIONS or bool(_LEGAL_FORM.match(word)))
    )


@lru_cache(maxsize=20_000)
def _dative(word: str) -> bool:
    """A noun or adjective in the dative: «Руководителям», «Отделу», «Классным»."""
    parses = morph().parse(fold(word.split("-")[0]))
    if len(word) < 3 or not parses or parses[0].tag.POS in ("PREP", "CONJ", "PRCL", "INFN"):
        return False
    return any(
        "datv" in parse.tag and parse.tag.POS in ("NOUN", "ADJF", "PRTF", "NPRO")
        for parse in parses[:6]
    )


def addressee_start(text: str) -> bool:
    """True if the text opens with an addressee: a dative noun («Руководителям ОО …»), an
    organization's abbreviation («МБОУ …», «МКУ «ИМЦ» …») or a person's name («Ивановой И.И.»)."""
    stripped = text.lstrip(' «"(')
    word = first_word(stripped)
    if not word or not stripped.startswith(word):
        return False
    if is_abbreviation(word) or NAME_RE.match(stripped):
        return True
    return word.lower() not in _NOT_ADDRESSEES and _dative(word)


# Dative-looking words that open other sentences («Всем …» is kept: «Всем специалистам»).
_NOT_ADDRESSEES = frozenset({"по", "к", "согласно", "благодаря", "информации", "итогам"})


def starts_new_executor(text: str) -> bool:
    """Does a list of addressees go on with a new one here («…, управлению образования»)?"""
    stripped = text.lstrip(' «"')
    word = first_word(stripped)
    if not word or not stripped.startswith(word):
        return False
    if is_abbreviation(word) or NAME_RE.match(stripped):
        return True
    return lemma(fold(word)) in ROLE_WORDS | ORGAN_WORDS


def names(text: str) -> list[re.Match[str]]:
    """People's names in the text, except those in an institution's name («им. А.М. Панова»)."""
    found = []
    for match in NAME_RE.finditer(text):
        before = fold(text[max(0, match.start() - 7) : match.start()])
        if not re.search(r"(?:им\.?|имени)\s*$", before):
            found.append(match)
    return found


def person_name(text: str) -> re.Match[str] | None:
    found = names(text)
    return found[0] if found else None


def role_word(text: str) -> bool:
    """Does the text open with a position in the nominative («Начальник управления …»)?"""
    word = first_word(text)
    if not word or not text.startswith(word) or not word[0].isupper():
        return False
    parse = morph().parse(fold(word))[0]
    return parse.normal_form in ROLE_WORDS and "nomn" in parse.tag


def nominative_name(name: str) -> str:
    """«Баскакову Марину Михайловну» -> «Баскакова Марина Михайловна» (as written if unsure)."""
    parts = re.findall(rf"[{UP}][{LO}]+(?:-[{UP}][{LO}]+)?", name)
    gender = None
    for word in parts:
        for parse in morph().parse(fold(word)):
            if {"Patr", "Name"} & parse.tag.grammemes and "accs" in parse.tag:
                gender = parse.tag.gender
                break
    return re.sub(
        rf"[{UP}][{LO}]+(?:-[{UP}][{LO}]+)?", lambda m: _nominative(m.group(), gender), name
    )


def _nominative(word: str, gender: str | None) -> str:
    parses = [p for p in morph().parse(fold(word)) if {"Surn", "Name", "Patr"} & p.tag.grammemes]
    if gender is None and any("nomn" in p.tag for p in parses):
        return word  # «Петрова П.П.»: a woman as written, or a man in the accusative?
    # after «Слушали» a name is in the accusative: prefer it to the dative
    ranked = sorted(parses, key=lambda p: ("accs" not in p.tag, "gent" not in p.tag))
    chosen = next(
        (
            p
            for p in ranked
            if {"accs", "gent", "datv"} & p.tag.grammemes
            and (gender is None or p.tag.gender == gender)
        ),
        None,
    )
    inflected = chosen.inflect({"nomn"}) if chosen is not None else None
    if inflected is None:
        return word
    return "-".join(part.capitalize() for part in inflected.word.split("-"))
