"""The cue words of Russian administrative documents, one table entry per cue.

A new kind of document is one line here: its title word in DOCUMENTS, the word that opens its
directives in DECISION_CUES, what in it is not a task in NOT_TASKS. Patterns are matched against
the folded line (lower case, «ё» as «е», letter-spaced words joined: «Р Е Ш И Л» -> «решил»).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Cue:
    pattern: re.Pattern[str]
    role: str
    document: str | None = None  # the kind of document the cue implies, if it is not yet known
    strength: str = "strong"  # decisions: strong | titled | soft (see scan.decision_at_start)


def _cue(words: str, role: str, document: str | None = None, strength: str = "strong") -> Cue:
    return Cue(re.compile(words), role, document, strength)


# --- the document's kind: the title word on a short line of the header ----------------------

DOCUMENTS: tuple[Cue, ...] = (
    _cue(r"^выписка(?:\s+из\s+протокол\w*)?(?![а-я])", "title", "extract"),
    _cue(r"^протокол(?![а-я])", "title", "protocol"),
    _cue(r"^приказ(?![а-я])", "title", "prikaz"),
    _cue(r"^постановление(?![а-я])", "title", "resolution"),
    _cue(r"^распоряжение(?![а-я])", "title", "order"),
    _cue(r"^решение(?![а-я])", "title", "decision"),
    _cue(r"^(?:информационная\s+|аналитическая\s+)?справка(?![а-я])", "title", "reference"),
    _cue(r"^(?:план(?:\s+мероприятий|\s+работы)?|дорожная\s+карта)(?![а-я])", "title", "plan"),
)
# The kind of meeting a document becomes (tracker.meetings.models.MEETING_KINDS).
MEETING_KIND = {
    "protocol": "protocol",
    "extract": "extract",
    "reference": "reference",
    "order": "order",
    "prikaz": "prikaz",
    "resolution": "resolution",
    "decision": "decision",
    "plan": "order",
}

# --- sections: cues at the start of a line --------------------------------------------------

_ROLE_TAIL = r"(?:\s+(?:совещания|заседания|комиссии|собрания|коллегии|омо|рмо|совета))?"
SECTIONS: tuple[Cue, ...] = (
    _cue(
        r"^(?:присутствовали|присутствуют|присутствовал[аи]?|участники(?:\s+(?:совещания"
        r"|заседания))?|члены\s+(?:коллегии|комиссии)|приглашенные|приглашены"
        r"|в\s+(?:совещании|заседании)\s+приняли\s+участие)\s*(?:[:–—-]|$)\s*(?P<rest>.*)$",
        "attendees",
    ),
    _cue(r"^отсутствовал\w*\s*(?:[:–—-]|$)", "absent"),
    _cue(
        r"^(?:повестка(?:\s+дня)?(?:\s+(?:совещания|заседания))?|вопросы\s+(?:совещания|заседания"
        r"|собеседования|для\s+обсуждения|повестки(?:\s+дня)?)|рассматриваемые\s+вопросы)"
        r"\s*(?:[:.–—-]|$)\s*(?P<rest>.*)$",
        "agenda",
    ),
    _cue(r"^тема(?:\s+(?:совещания|заседания|педсовета))?\s*[:–—-]\s*(?P<rest>.*)$", "topic"),
    _cue(
        r"^(?:(?P<heard>слушали|рассмотрели)(?:\s*[:–—-]\s*|\s+|$)|(?P<spoke>выступили|выступил[аи]?)"
        r"(?:\s*[:–—-]\s*|\s+(?=[а-я]\.|[а-я]+\s+[а-я]\.)))(?P<rest>.*)$",
        "heard",
    ),
    _cue(
        r"^(?:по\s+(?P<n>[а-я]+|\d{1,2}(?:-?[а-я]{1,3})?)\s+вопросу\b|вопрос\s+(?P<m>\d{1,2})\s*[.:]?)"
        r"[\s:,.–—-]*(?P<rest>.*)$",
        "question",
    ),
    _cue(r"^(?:голосовали|голосование|итоги\s+голосования|проголосовали)(?![а-я])", "votes"),
    _cue(r"^(?:докладчик|содокладчик)\w*\s*[:–—-]", "speaker"),
)
ROLES = re.compile(
    r"^(?:(?P<chair>председател(?:ь(?:ствующ(?:ий|ая)|ствовал[а]?)?)|вел[аи]?\s+(?:совещание"
    r"|заседание))|(?P<secretary>(?:ответственный\s+)?секретар(?:ь|и)|вел[аи]?\s+протокол"
    r"|протокол\s+вел[аи]?)|(?P<signer>заместитель\s+председател\w*|подпис(?:ь|и|ано)))"
    rf"(?![а-я]){_ROLE_TAIL}(?P<rest>.*)$",
    re.IGNORECASE,
)
HEARD = next(cue for cue in SECTIONS if cue.role == "heard")
QUESTION = next(cue for cue in SECTIONS if cue.role == "question")
# Lines after which the directives are over: the signature's company.
CLOSING = re.compile(
    r"^(?:выписка\s+верна|верно(?![а-я])|копия\s+верна|с\s+приказом\s+ознакомлен\w*"
    r"|исп(?:\.|олнитель\s*[:–—-])|приложени[ея](?:\s+(?:№\s*)?\d|\s*:|\s+к\s+|$)"
    r"|тел\.|\+?\d[\d\s()-]{4,}$|утверждаю$|согласовано$)"
)

# --- decisions --------------------------------------------------------------------------------

# At the start of a line. Strength tells how sure the word is (see scan.decision_at_start):
# strong words take any tail, titled ones want a colon or nothing after them, soft ones
# («Рекомендации») want an addressee or a short line.
DECISION_STARTS: tuple[Cue, ...] = (
    _cue(r"^(?P<word>решили)(?![а-я])", "decisions"),
    _cue(r"^(?P<word>постановили)(?![а-я])", "decisions"),
    _cue(r"^(?P<word>решено)(?![а-я])", "decisions"),
    _cue(r"^(?P<word>приняли\s+решение)(?![а-я])", "decisions"),
    _cue(r"^(?P<word>(?:принятые|приняты)\s+(?:следующие\s+)?решения)(?![а-я])", "decisions"),
    _cue(r"^(?P<word>решение)(?![а-я])", "decisions", strength="titled"),
    _cue(r"^(?P<word>решения)(?![а-я])", "decisions", strength="titled"),
    _cue(r"^(?P<word>предложения)(?![а-я])", "decisions", strength="titled"),
    _cue(r"^(?P<word>поручени[яе]|поручено)(?![а-я])", "decisions", strength="titled"),
    _cue(r"^(?P<word>рекомендации)(?![а-я])", "decisions", strength="soft"),
    _cue(r"^(?P<word>рекомендовано)(?![а-я])", "decisions", strength="soft"),
    _cue(r"^(?P<word>рекомендуется)(?![а-я])", "decisions", strength="soft"),
    _cue(r"^(?P<word>рекомендуем)(?![а-я])", "decisions", strength="soft"),
)
# Anywhere in a line, usually ending the preamble («…, коллегия РЕШАЕТ:»): a colon after the
# word, or the word in capitals at the end of the line.
_TAIL = r"(?![а-я])(?P<colon>\s*:)?(?P<rest>.*)$"
DECISION_VERBS: tuple[Cue, ...] = (
    _cue(rf"(?:^|[\s,])(?P<word>приказываю){_TAIL}", "decisions", "prikaz"),
    _cue(rf"(?:^|[\s,])(?P<word>постановляю){_TAIL}", "decisions", "resolution"),
    _cue(rf"(?:^|[\s,])(?P<word>постановляет){_TAIL}", "decisions", "resolution"),
    _cue(rf"(?:^|[\s,])(?P<word>постановил[аио]?){_TAIL}", "decisions"),
    _cue(rf"(?:^|[\s,])(?P<word>решил[аио]?){_TAIL}", "decisions", "decision"),
    _cue(rf"(?:^|[\s,])(?P<word>решает){_TAIL}", "decisions", "decision"),
    _cue(rf"(?:^|[\s,])(?P<word>(?:просит|прошу)){_TAIL}", "decisions"),
    _cue(rf"(?:^|[\s,])(?P<word>обязываю){_TAIL}", "decisions", "prikaz"),
    _cue(rf"(?:^|[\s,])(?P<word>принял[аи]?\s+следующие\s+решения){_TAIL}", "decisions"),
    _cue(rf"(?:^|[\s,])(?P<word>приняты\s+следующие\s+решения){_TAIL}", "decisions"),
)

# --- items ------------------------------------------------------------------------------------

# Verbs that lead an item and name its executor next («Рекомендовать управлению образования …
# разработать»): the executor is the words between the verb and the next infinitive.
EXECUTOR_VERBS = re.compile(
    r"^(?:рекомендовать|поручить|обязать|предложить|просить|предписать|разрешить)\s+(?=\S)"
)
# Labelled executors: «Ответственный: …», «Отв.: …», «(ответственный – …, срок – …)».
LABELLED_EXECUTOR = re.compile(
    r"(?:^|\n|\(|;\s*|\.\s+)(?:ответственн(?:ый|ая|ые|ое)(?:\s+исполнител[ьи])?(?:\s+за\s+исполнение)?"
    r"|исполнител[ьи]|отв\.)\s*[:–—-]\s*(?P<value>(?:(?!,?\s*срок)[^\n;)])+)",
    re.IGNORECASE,
)
# Lines that go on the item above whatever they look like.
CONTINUATION = re.compile(
    r"^(?:срок\w*|ответственн\w*|исполнител\w*|отв\.|контроль|на\s+контроле)(?![а-я])",
    re.IGNORECASE,
)
HEADING_NUMBER = re.compile(r"^(?:[IVX]{1,5}|[А-ЯA-Z])[.)]\s+|^[Рр]аздел\s+\S+\s*[.:]\s*")

# «Контроль за исполнением … возложить на X» names the controller; «оставляю за собой» makes the
# signer one.
CONTROL = re.compile(
    r"^контрол\w*\s+(?:за\s+|над\s+)?(?:исполнени\w*|выполнени\w*|реализаци\w*|ходом)?"
    r"[^.]*?(?:возложить\s+на\s+(?P<on>.+?)\.?\s*$|(?P<self>оставляю\s+за\s+собой|оставить\s+за"
    r"\s+собой|остается\s+за\s+мной|осуществляю\s+лично|возлагаю\s+на\s+себя))"
)
CONTROL_START = re.compile(r"^контрол\w*\s+(?:за|над)\s")

# Items that are decisions but ask nobody for a report (no assignment is created), one entry per
# wording. ``always``: whoever is named; otherwise only when the item names no executor («Утвердить
# план» is the act itself, «Руководителям ОО утвердить планы» is a task).
NOT_TASKS: tuple[tuple[re.Pattern[str], bool], ...] = tuple(
    (re.compile(pattern), always)
    for pattern, always in (
        (
            r"^(?:информаци\w*|доклад\w*|отчет\w*|сведени\w*|сообщени\w*)(?![а-я]).{0,400}?принять"
            r"\s+к\s+сведению",
            True,
        ),
        (r"(?:^|\s)принять\s+(?:\S+\s+){0,6}?к\s+сведению", True),
        (r"(?:^|\s)(?:признать|считать)\s+(?:\S+\s+){0,12}?утратившим\w*\s+силу", True),
        (
            r"^(?:настоящ\w+|данн\w+)?\s*(?:приказ|постановлени\w|решени\w|распоряжени\w)\w*\s+"
            r"(?:вступает|вступают|подлежит|может\s+быть\s+обжаловано)",
            True,
        ),
        (r"вступает\s+в\s+(?:законную\s+)?силу", True),
        (r"^(?:опубликовать|обнародовать)\s+настоящ", True),
        (r"может\s+быть\s+обжаловано", True),
        (r"^утвердить(?![а-я])", False),
        (r"^(?:признать|считать)(?![а-я])", False),
        (
            r"^(?:одобрить|согласовать|отметить|отменить|назначить|допустить|перевести|наградить"
            r"|поощрить|объявить|рекомендовать\s+к\s+утверждению)(?![а-я])",
            False,
        ),
        (r"^внести\s+(?:\S+\s+){0,4}?изменени", False),
        (r"(?:^|\s)признать\s+(?:\S+\s+){0,2}?(?:не)?удовлетворительн", True),
        (
            r"^принять(?!\s+(?:\S+\s+)?(?:мер|участи|к\s+исполнению|исчерпывающ|необходим|дополнит"
            r"|все\s))",
            False,
        ),
        (r"^(?:разместить|опубликовать)\s+(?:настоящ|данн)", False),
    )
)
