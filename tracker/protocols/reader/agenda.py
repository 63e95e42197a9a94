"""Who was there and what was heard: «Присутствовали», «Повестка», «СЛУШАЛИ».

- attendees: one per line or table row («Фамилия И.О. – должность», «1.<tab>Фамилия И.О.<tab>
  должность»), the organization matched from the position;
- agenda: numbered questions with a « – докладчик» tail or a speaker line below;
- «СЛУШАЛИ» blocks attached to the questions in order or by «По первому вопросу …».
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tracker.protocols.matching import fold, lemma
from tracker.protocols.reader.lines import Line
from tracker.protocols.reader.numbering import item_marker
from tracker.protocols.reader.words import (
    BULLETS,
    DASH,
    DASHES,
    ROLE_WORDS,
    first_word,
    names,
    nominative_name,
    person_name,
    trim,
)

_MAX_AGENDA_INDEX = 50


def add_agenda_line(agenda: list[dict[str, Any]], line: Line) -> bool:
    """Add one agenda line; False when the line shows the agenda is over."""
    text = line.text
    marker = item_marker(text)
    if marker is not None and marker.rest:
        title, speaker = split_speaker(marker.rest)
        number = marker.number if marker.style in ("num", "paren") else None
        agenda.append({"number": number, "title": title, "speaker": speaker, "heard": None})
        return True
    if agenda:
        return _continue_entry(agenda[-1], text)
    if len(text) <= 500:
        title, speaker_text = split_speaker(text)
        agenda.append({"number": None, "title": title, "speaker": speaker_text, "heard": None})
        return True
    return False


def _continue_entry(entry: dict[str, Any], text: str) -> bool:
    """A line after an agenda entry: its speaker, or the rest of its title; False if neither."""
    speaker = re.match(r"(?:докладчик\w*|выступающ\w*)\s*[:–—-]?\s*(.+)$", fold(text))
    name = person_name(text)
    if speaker or (name is not None and name.start() == 0):
        if entry["speaker"] is None:
            entry["speaker"] = trim(text[speaker.start(1) :] if speaker else text)
        return True
    if text[:1].islower():
        entry["title"] = (entry["title"] + " " + text).strip()
        return True
    return False


def split_speaker(text: str) -> tuple[str, str | None]:
    """«Title – И.О. Фамилия, должность;» -> (title, speaker)."""
    text = text.strip()
    paren = re.search(
        r"\((?:докладчик\w*|выступающ\w*|отв\.|ответственн\w*)?\s*[:–—-]?\s*([^)]+)\)\s*[.;]?$",
        text,
        re.IGNORECASE,
    )
    if paren and (
        person_name(paren.group(1)) or re.match(r"\(\s*(?:доклад|выступ|отв)", paren.group(0), re.I)
    ):
        return trim(text[: paren.start()]), trim(paren.group(1))
    for separator in reversed(list(re.finditer(rf"\s[{DASH}]\s*|[{DASH}]\s", text))):
        tail = text[separator.end() :].strip()
        if tail and _speaker_like(tail):
            title = trim(text[: separator.start()])
            if title:
                return title, trim(tail)
    return trim(text), None


def _speaker_like(tail: str) -> bool:
    name = person_name(tail)
    if name is not None and name.start() == 0:
        return True
    word = first_word(tail)
    return bool(word) and tail.startswith(word) and lemma(fold(word)) in ROLE_WORDS


def attendees(lines: list[Line], organization_of: Callable[[str | None], int | None]) -> list:
    """Attendees as dicts (name, position, organization_id, text), in the order written."""
    found: list[dict[str, Any]] = []
    group: list[str] = []
    waiting: dict[str, Any] | None = None  # a name whose position is on the next line

    def flush() -> None:
        if group:
            words = " ".join(group)
            found.append({"name": None, "position": None, "organization_id": None, "text": words})
            group.clear()

    for line in lines:
        text = _attendee_text(line)
        if not text:
            continue
        if waiting is not None and line.text[:1] in DASHES and not person_name(text):
            _position_below(waiting, text, line.text, organization_of)
            waiting = None
            continue
        waiting = None
        people = names(text)
        if not people or people[0].start() > 3:
            if text.endswith(":"):
                flush()  # a sub-heading («Руководители образовательных учреждений …:»)
                continue
            group.append(text)
            if text.endswith((".", ";")):
                flush()
            continue
        flush()
        waiting = _named(found, text, people, organization_of)
    flush()
    return found


def _attendee_text(line: Line) -> str:
    cells = [c for c in line.cells if c and not re.fullmatch(r"\d{1,3}[.)]?", c)]
    text = " ".join(cells) if len(cells) > 1 else line.text
    return re.sub(rf"^(?:\d{{1,3}}[.)]|[{DASH}{re.escape(BULLETS)}])\s*", "", text)


def _position_below(
    waiting: dict[str, Any], text: str, written: str, organization_of: Callable
) -> None:
    waiting["position"] = text.strip(f" {DASHES},;.") or None
    waiting["organization_id"] = organization_of(waiting["position"])
    waiting["text"] += " " + written


def _named(
    found: list[dict[str, Any]], text: str, people: list[re.Match[str]], organization_of: Callable
) -> dict[str, Any] | None:
    """One entry per name on the line; returns the last one if its position is still missing."""
    waiting = None
    for position, match in enumerate(people):
        end = people[position + 1].start() if position + 1 < len(people) else len(text)
        tail = text[match.end() : end].strip(f" {DASHES},;.\t") or None
        entry = {
            "name": match.group(),
            "position": tail,
            "organization_id": organization_of(tail),
            "text": text[match.start() : end].strip(" ,;"),
        }
        found.append(entry)
        waiting = entry if tail is None else None
    return waiting


def heard_into_agenda(
    agenda: list[dict[str, Any]],
    heard: list[tuple[int, str]],
    question_titles: dict[int, str],
) -> bool:
    """Attach «СЛУШАЛИ» texts (agenda index, words) to the agenda, adding questions the agenda
    lacks; True if any had to be added."""
    added = False
    for index, words in heard:
        if not words or index > _MAX_AGENDA_INDEX:
            continue
        while len(agenda) <= index:
            k = len(agenda)
            title = question_titles.get(k, "")
            agenda.append({"number": str(k + 1), "title": title, "speaker": None, "heard": None})
            added = True
        item = agenda[index]
        item["heard"] = f"{item['heard']}\n{words}" if item["heard"] else words
        if item["speaker"] is None:
            name = person_name(words.split("\n", 1)[0].split(",", 1)[0])
            if name:
                item["speaker"] = nominative_name(name.group())
    return added
