"""One pass over the lines: which section each belongs to.

Sections open on cue words (cues.py): the header, «Присутствовали», «Повестка», «СЛУШАЛИ»,
blocks of directives («РЕШИЛИ», «ПРИКАЗЫВАЮ:», «коллегия РЕШАЕТ:» …) and the signatures that
close them. Each line is handled by the function of its cue, or of the section it falls in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tracker.protocols.matching import fold
from tracker.protocols.reader.agenda import add_agenda_line
from tracker.protocols.reader.cues import (
    CLOSING,
    DECISION_STARTS,
    DECISION_VERBS,
    HEARD,
    QUESTION,
    ROLES,
    SECTIONS,
)
from tracker.protocols.reader.items import is_directive
from tracker.protocols.reader.lines import Line, plain
from tracker.protocols.reader.numbering import item_marker
from tracker.protocols.reader.words import (
    NAME,
    NAME_AT_END,
    NAME_ONLY,
    addressee_start,
    has_infinitive,
    person_name,
    role_word,
    trim,
)

MAX_HEARD = 20_000  # characters kept of one «СЛУШАЛИ» block
_ORDINALS = {
    "перв": 1,
    "втор": 2,
    "трет": 3,
    "четверт": 4,
    "пят": 5,
    "шест": 6,
    "седьм": 7,
    "восьм": 8,
    "девят": 9,
    "десят": 10,
}
_HEADER_ENDERS = ("attendees", "agenda", "heard", "question", "decisions")


@dataclass
class Block:
    lines: list[Line]
    question: int | None  # 0-based agenda index the block decides on, if known
    start: int  # index of the line that opened it


@dataclass
class Heard:
    question: int | None
    lines: list[str]


@dataclass
class Hit:
    role: str
    rest: str = ""
    extra: Any = None


@dataclass
class Scan:
    lines: list[Line]
    state: str = "header"
    header_end: int | None = None
    header_names: list[str] = field(default_factory=list)
    header_addressees: list[str] = field(default_factory=list)
    labeled: dict[str, str] = field(default_factory=dict)  # chair / secretary from labels
    signers: list[str] = field(default_factory=list)
    pending: tuple[str, int] | None = None  # a role label waiting for its name
    attendee_lines: list[Line] = field(default_factory=list)
    agenda: list[dict[str, Any]] = field(default_factory=list)
    agenda_open: bool = False
    heard: list[Heard] = field(default_factory=list)
    question: int | None = None
    question_titles: dict[int, str] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    document_hint: str | None = None
    states: list[str] = field(default_factory=list)  # the section of every line
    forced_start: int | None = None  # directives with no cue word begin on this line

    def run(self) -> Scan:
        for index, line in enumerate(self.lines):
            if index == self.forced_start:
                self.header_end = index if self.header_end is None else self.header_end
                self._on_decisions(index, Hit("decisions"))
            self.states.append(self.state)
            if line.text:
                self._step(index, line)
        return self

    def _step(self, index: int, line: Line) -> None:
        hit = self._cue(line)
        if hit is None and self.pending is not None and self._take_pending(line):
            return
        if hit is not None:
            self.pending = None
        elif self.state == "decisions" and self._decisions_end(index, line):
            return
        if self.header_end is None and hit is not None and hit.role in _HEADER_ENDERS:
            self.header_end = index
        if hit is not None:
            getattr(self, f"_on_{hit.role}")(index, hit)
        else:
            getattr(self, f"_in_{self.state}")(line)

    def _decisions_end(self, index: int, line: Line) -> bool:
        """Inside the decisions, a signature or the next question ends them (True: handled)."""
        if self._signature_starts(index):
            self.state = "signature"
            self._signature_line(line)
            return True
        return self._next_question(index, line)

    # --- which cue a line holds ---------------------------------------------------------------

    def _cue(self, line: Line) -> Hit | None:
        folded = line.folded
        numbered = re.match(r"^([1-9]\d?)[.)]\s*(?=[а-я])", folded)
        body = folded[numbered.end() :] if numbered else folded
        text = line.text[len(folded) - len(body) :]
        for finder in (self._heard, self._question):
            hit = finder(body, text, numbered)
            if hit is not None:
                return hit
        hit = self._decision(body, text, numbered) or (None if numbered else _role(body, text))
        if hit is not None:
            return hit
        if self.state == "decisions":
            if CLOSING.match(folded):
                return Hit("closing")
            return None if numbered else self._section(line, ("votes", "speaker"))
        return None if numbered else self._section(line)

    def _heard(self, body: str, text: str, numbered: re.Match[str] | None) -> Hit | None:
        heard = HEARD.pattern.match(body)
        if not heard:
            return None
        kind = "heard" if heard["heard"] else "spoke"
        if numbered and kind == "heard":
            self.question = int(numbered.group(1)) - 1
        return Hit("heard", text[heard.start("rest") :].strip(), kind)

    def _question(self, body: str, text: str, numbered: re.Match[str] | None) -> Hit | None:
        found = QUESTION.pattern.match(body)
        if not found:
            return None
        number = _ordinal(found["n"] or found["m"])
        if number is None or not 1 <= number <= 50:
            return None
        return Hit("question", text[found.start("rest") :].strip(), number - 1)

    def _decision(self, body: str, text: str, numbered: re.Match[str] | None) -> Hit | None:
        strong = bool(numbered) or self.state == "decisions"
        rest = decision_at_start(body, text, strong)
        if rest is not None and not (self.state == "header" and _title_word(body)):
            if numbered and self.question is None:
                self.question = int(numbered.group(1)) - 1
            return Hit("decisions", rest)
        return None if strong else self._decision_verb(body, text)

    def _decision_verb(self, body: str, text: str) -> Hit | None:
        """«…, коллегия РЕШАЕТ:» closing a preamble; its verb hints at the kind of document."""
        found = decision_anywhere(body, text)
        if found is None:
            return None
        rest, document = found
        self.document_hint = self.document_hint or document
        return Hit("decisions", rest)

    def _section(self, line: Line, roles: tuple[str, ...] | None = None) -> Hit | None:
        folded = line.folded
        for cue in SECTIONS:
            if cue.role in ("heard", "question") or (roles is not None and cue.role not in roles):
                continue
            found = cue.pattern.match(folded)
            if found:
                rest = found.groupdict().get("rest")
                words = line.text[found.start("rest") :].strip() if rest is not None else ""
                return Hit(cue.role, words)
        return None

    # --- cue handlers -----------------------------------------------------------------------

    def _on_attendees(self, index: int, hit: Hit) -> None:
        self.state = "attendees"
        if hit.rest:
            self.attendee_lines.append(plain(hit.rest))

    def _on_absent(self, index: int, hit: Hit) -> None:
        self.state = "body"

    def _on_agenda(self, index: int, hit: Hit) -> None:
        self.state = "agenda"
        self.agenda_open = True
        if hit.rest and not add_agenda_line(self.agenda, plain(hit.rest)):
            self.state = "body"

    def _on_topic(self, index: int, hit: Hit) -> None:
        if self.state != "header":
            self.state = "body"

    def _on_votes(self, index: int, hit: Hit) -> None:
        return  # «Голосовали: за – 42» belongs to no item

    def _on_speaker(self, index: int, hit: Hit) -> None:
        return

    def _on_closing(self, index: int, hit: Hit) -> None:
        self.state = "signature"

    def _on_question(self, index: int, hit: Hit) -> None:
        self.question = hit.extra
        heard = HEARD.pattern.match(fold(hit.rest))
        if heard and heard["heard"]:  # «По первому вопросу слушали Котову Н.И., …»
            self.heard.append(Heard(self.question, [hit.rest[heard.start("rest") :]]))
            self.question = None
            self.state = "heard"
            return
        if hit.rest:
            self.question_titles[hit.extra] = hit.rest.strip(' «»"')
        self.state = "body"

    def _on_heard(self, index: int, hit: Hit) -> None:
        question = self.question
        self.question = None
        if hit.extra == "heard" or not self.heard:
            self.heard.append(Heard(question, [hit.rest] if hit.rest else []))
        else:
            self.heard[-1].lines.extend([hit.rest] if hit.rest else [])
        self.state = "heard"

    def _on_decisions(self, index: int, hit: Hit) -> None:
        question = self.question
        if question is None and self.heard:
            question = heard_index(self.heard, len(self.heard) - 1)
        self.blocks.append(Block([], question, index))
        self.question = None
        if hit.rest:
            self.blocks[-1].lines.append(plain(hit.rest))
        self.state = "decisions"

    def _on_chair(self, index: int, hit: Hit) -> None:
        self._role("chair", hit.rest)

    def _on_secretary(self, index: int, hit: Hit) -> None:
        self._role("secretary", hit.rest)

    def _on_signer(self, index: int, hit: Hit) -> None:
        self._role("signer", hit.rest)

    def _role(self, role: str, rest: str) -> None:
        if self.state == "decisions" or (self.state in ("heard", "body") and not rest):
            self.state = "signature"
        name = person_name(re.sub(r"[_/]+", " ", rest))
        if role == "signer":
            if name:
                self.signers.append(name.group())
            else:
                self.pending = ("signer", 6)
            return
        if name:
            self.labeled.setdefault(role, name.group())
        elif rest and len(rest) > 2:
            self.labeled.setdefault(role, trim(rest))
        else:
            self.pending = (role, 6)

    # --- lines inside a section -------------------------------------------------------------

    def _in_header(self, line: Line) -> None:
        text = re.sub(r"[_/]+", " ", line.text)
        if NAME_ONLY.fullmatch(text):
            self.header_names.append(line.text.strip(" .,;_/"))
        elif (
            len(line.text) <= 150
            and addressee_start(line.text)
            and not re.search(r"\d", line.text)
            and not has_infinitive(line.text)
        ):
            self.header_addressees.append(line.text.rstrip(" :"))

    def _in_body(self, line: Line) -> None:
        return

    def _in_attendees(self, line: Line) -> None:
        if len(line.text) > 400:
            self.state = "body"
        else:
            self.attendee_lines.append(line)

    def _in_agenda(self, line: Line) -> None:
        if not add_agenda_line(self.agenda, line):
            self.state = "body"

    def _in_heard(self, line: Line) -> None:
        if self.heard and sum(len(x) for x in self.heard[-1].lines) < MAX_HEARD:
            self.heard[-1].lines.append(line.text)

    def _in_decisions(self, line: Line) -> None:
        self.blocks[-1].lines.append(line)

    def _in_signature(self, line: Line) -> None:
        self._signature_line(line)

    def _next_question(self, index: int, line: Line) -> bool:
        """«2. О проведении Дня защиты детей» right before «СЛУШАЛИ:» is the next question."""
        found = re.match(r"^([1-9]\d?)[.)]\s+(\S.*)$", line.text)
        following = next((later for later in self.lines[index + 1 :] if later.text), None)
        if found is None or following is None or not HEARD.pattern.match(following.folded):
            return False
        if is_directive(found.group(2)):
            return False  # «1. Провести собрания.» and then «СЛУШАЛИ»: the item stays
        self.question = int(found.group(1)) - 1
        self.question_titles[self.question] = found.group(2).strip(' «»"')
        self.state = "body"
        return True

    # --- signatures ---------------------------------------------------------------------------

    def _signature_starts(self, index: int) -> bool:
        """Inside the directives: does this line begin the signatures?"""
        line = self.lines[index]
        text = line.text
        if item_marker(text) is not None or text.endswith(":") or len(text) > 160:
            return False
        plain_text = re.sub(r"[_/]+", " ", text)
        if NAME_ONLY.fullmatch(plain_text):
            # a name alone: a signature, unless items follow (a plan's cell per line)
            return not _previous_text(self.lines, index).endswith(":") and not _items_follow(
                self.lines, index
            )
        if (line.wide_gap or role_word(text)) and NAME_AT_END.search(plain_text):
            return True
        if not role_word(text):
            return False
        return _name_follows(self.lines, index)

    def _signature_line(self, line: Line) -> None:
        tail = NAME_AT_END.search(re.sub(r"[_/]+", " ", line.text))
        if tail:
            name = person_name(tail.group())
            if name:
                self.signers.append(name.group())

    def _take_pending(self, line: Line) -> bool:
        assert self.pending is not None
        role, left = self.pending
        text = re.sub(r"[_/]+", " ", line.text)
        found = None
        if NAME_ONLY.fullmatch(text):
            found = person_name(text)
        elif line.wide_gap or len(text) <= 120:
            tail = NAME_AT_END.search(text)
            if tail and not item_marker(text):
                found = person_name(tail.group())
        if found is None:
            self.pending = (role, left - 1) if left > 1 else None
            return False
        self.pending = None
        if role == "signer":
            self.signers.append(found.group())
        else:
            self.labeled.setdefault(role, found.group())
        return True


# --- decision cues ----------------------------------------------------------------------------


def _role(body: str, text: str) -> Hit | None:
    """«Председатель: …», «Секретарь: …» or another signer's line."""
    role = ROLES.match(body)
    if not role:
        return None
    kind = "chair" if role["chair"] else "secretary" if role["secretary"] else "signer"
    return Hit(kind, text[role.start("rest") :].strip(" :–—-\t"))


def decision_at_start(body: str, text: str, strong: bool) -> str | None:
    """The words after a decision cue opening the line («РЕШИЛИ: 1. …» -> «1. …»), or None."""
    for cue in DECISION_STARTS:
        found = cue.pattern.match(body)
        if found:
            return _accepted(cue.strength, found, text, strong)
    return None


def _accepted(strength: str, found: re.Match[str], text: str, strong: bool) -> str | None:
    rest = text[found.end("word") :]
    tail = re.sub(r"^\([^)]{0,40}\)\s*", "", rest.strip())  # «Решили (единогласно):»
    colon = tail.startswith((":", "–", "—", "-"))
    tail = tail.lstrip(":.–—- ").strip()
    written = text[: found.end("word")]
    if strong and _not_after_strong(strength, tail, colon):
        return None
    if strength == "titled" and not colon and _titled_heading(tail, text):
        return ""  # «Решение педагогического совета:»
    if not _ACCEPTS.get(strength, _soft_accepts)(tail, colon, written, text):
        return None
    if colon or not tail:
        return tail
    return tail if addressee_start(tail) else ""


def _not_after_strong(strength: str, tail: str, colon: bool) -> bool:
    """Under a strong cue, a soft one or words without a colon start no decisions."""
    return bool(tail and not colon) or strength == "soft"


def _strong_accepts(tail: str, colon: bool, written: str, text: str) -> bool:
    return not tail or colon or written.isupper() or tail[:1].isdigit()


def _titled_accepts(tail: str, colon: bool, written: str, text: str) -> bool:
    return not tail or (colon and len(text) <= 200)


def _soft_accepts(tail: str, colon: bool, written: str, text: str) -> bool:
    return (
        not tail
        or (colon and addressee_start(tail))
        or text.rstrip().endswith(":")
        or (len(text) <= 100 and not text.rstrip().endswith((".", ";", "!", "?")))
    )


# Whether the words after a cue of each strength are the decisions it opens.
_ACCEPTS: dict[str, Callable[[str, bool, str, str], bool]] = {
    "strong": _strong_accepts,
    "titled": _titled_accepts,
}


def _title_word(body: str) -> bool:
    """«РЕШЕНИЕ», «РЕШЕНИЕ коллегии …», «Решение коллегии 21 января 2014 года № 1»: the title of a
    decision, not the cue of its directives (that one ends with a colon)."""
    return bool(re.match(r"решение(?![а-я])", body)) and not body.rstrip().endswith(":")


def _titled_heading(tail: str, text: str) -> bool:
    """«Решение совещания:», «Поручения по итогам совещания:» – a title ending with a colon."""
    return (
        bool(tail)
        and text.rstrip().endswith(":")
        and len(text) <= 120
        and ":" not in tail.rstrip(" :")
        and not has_infinitive(tail)
    )


def decision_anywhere(body: str, text: str) -> tuple[str, str | None] | None:
    """(words after the cue, the kind of document it implies) for a verb closing a preamble:
    «…, коллегия РЕШАЕТ:», «В целях … ПРИКАЗЫВАЮ: 1. Провести …», «Совет депутатов решил:»."""
    for cue in DECISION_VERBS:
        for found in cue.pattern.finditer(body):
            rest = text[found.start("rest") :].strip()
            written = text[found.start("word") : found.end("word")]
            alone = not rest and body.strip() == found["word"]  # «приказываю» on its own line
            if found["colon"] or alone or (not rest and written.isupper()):
                return rest, cue.document
            if re.match(r"1[.)]\s", rest):
                return rest, cue.document
    return None


# --- helpers ----------------------------------------------------------------------------------


def heard_index(heard: list[Heard], position: int) -> int:
    pointer = 0
    index = 0
    for k, block in enumerate(heard[: position + 1]):
        index = block.question if block.question is not None else pointer
        pointer = index + 1
        if k == position:
            break
    return index


def _ordinal(word: str | None) -> int | None:
    if not word:
        return None
    digits = re.match(r"\d+", word)
    if digits:
        return int(digits.group())
    return next((n for stem, n in _ORDINALS.items() if word.startswith(stem)), None)


def _previous_text(lines: list[Line], index: int) -> str:
    for line in reversed(lines[:index]):
        if line.text:
            return line.text
    return ""


def _items_follow(lines: list[Line], index: int) -> bool:
    following = [line.text for line in lines[index + 1 :] if line.text][:6]
    return any(item_marker(text) is not None for text in following)


def _name_follows(lines: list[Line], index: int) -> bool:
    """«Начальник управления образования» … then a name within a few lines."""
    seen = 0
    for later in lines[index + 1 :]:
        if not later.text:
            continue
        seen += 1
        if seen > 6 or item_marker(later.text) is not None:
            return False
        text = re.sub(r"[_/]+", " ", later.text)
        if NAME_ONLY.fullmatch(text) or re.search(rf"(?:{NAME})\s*[.,]?\s*$", text):
            return True
    return False
