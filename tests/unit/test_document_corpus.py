"""The reader against the corpus of documents in tests/fixtures/documents/ (see its README).

Every document is read without a directory, as `flask protocol parse FILE --json` reads a file
from another municipality. Its decisions are compared with the hand-written expectation:
- number + deadline kind + date must be right for 95 % of the items,
- and with the executors and «needs a report» as well, for 85 %.
An item the reader invents (not in the expectation) counts as a wrong one. Run with `-s` to see
the accuracy of every document.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tracker.protocols.reader import read_protocol

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "documents"
CORE_MIN = 0.95
FULL_MIN = 0.85


@dataclass
class Score:
    name: str
    items: int = 0
    core: int = 0  # number + deadline kind + date right
    full: int = 0  # and executors, needs_report, warnings and text
    header: int = 0  # document kind, number, date right (of 3)
    problems: tuple[str, ...] = ()


def expectations() -> list[Path]:
    return sorted(CORPUS.glob("*.json"))


@cache
def reading(path: Path) -> dict[str, Any]:
    expected = json.loads(path.read_text(encoding="utf-8"))
    text = (CORPUS / expected["source"]).read_text(encoding="utf-8")
    return read_protocol(text)


def keys(decisions: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """(reference, occurrence) per decision: «1.2», or «1.2/3» for the 3rd dash under 1.2; a
    reference met again (numbers restarting per question) gets the next occurrence."""
    under: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    found = []
    for decision in decisions:
        number = decision.get("number")
        if number:
            ref = number
        else:
            parent = decision.get("parent") or ""
            under[parent] += 1
            ref = f"{parent}/{under[parent]}"
        seen[ref] += 1
        found.append((ref, seen[ref]))
    return found


def normal(words: str) -> str:
    words = words.lower().replace("ё", "е")
    return " ".join(re.sub(r"[«»\"“”„()\[\],.:;–—-]", " ", words).split())


def same_executor(expected: str, got: str) -> bool:
    """Equal words, or one is the other's start of two words or more («Педагогам,
    аттестующимся» for «Педагогам, аттестующимся в 2020/2021 учебном году»)."""
    a, b = normal(expected), normal(got)
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    return len(shorter.split()) >= 2 and (longer + " ").startswith(shorter + " ")


def same_executors(expected: list[str], got: list[str]) -> bool:
    if len(expected) != len(got):
        return False
    left = list(got)
    for words in expected:
        match = next((g for g in left if same_executor(words, g)), None)
        if match is None:
            return False
        left.remove(match)
    return True


def deadline_of(decision: dict[str, Any]) -> list[str | None] | None:
    deadline = decision.get("deadline")
    return [deadline["kind"], deadline["date"]] if deadline else None


def item_problems(expect: dict[str, Any], got: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(core problems, other problems) of one decision."""
    core, other = [], []
    if deadline_of(got) != expect["deadline"]:
        core.append(f"deadline {deadline_of(got)} != {expect['deadline']}")
    executors = [e["text"] for e in got["executors"]]
    if not same_executors(expect["executors"], executors):
        other.append(f"executors {executors} != {expect['executors']}")
    if got["needs_report"] != expect["needs_report"]:
        other.append(f"needs_report {got['needs_report']}")
    if expect.get("warning") and not got["warnings"]:
        other.append("no warning")
    if expect.get("contains") and expect["contains"] not in got["text"]:
        other.append(f"text lacks «{expect['contains']}»")
    return core, other


def score(path: Path) -> Score:
    expected = json.loads(path.read_text(encoding="utf-8"))
    result = reading(path)
    got = dict(zip(keys(result["decisions"]), result["decisions"], strict=True))
    wanted = dict(zip(keys(expected["decisions"]), expected["decisions"], strict=True))
    found = Score(path.stem)
    problems = []
    for key, expect in wanted.items():
        found.items += 1
        if key not in got:
            problems.append(f"{key[0]}: missing")
            continue
        core, other = item_problems(expect, got[key])
        found.core += not core
        found.full += not core and not other
        problems.extend(f"{key[0]}: {p}" for p in core + other)
    extra = [key for key in got if key not in wanted]
    found.items += len(extra)
    problems.extend(f"{key[0]}: not expected" for key in extra)
    for field in ("document", "number", "date"):
        if result[field] == expected[field]:
            found.header += 1
        else:
            problems.append(f"header {field}: {result[field]!r} != {expected[field]!r}")
    found.problems = tuple(problems)
    return found


def report(scores: list[Score]) -> tuple[float, float, str]:
    lines = []
    for s in scores:
        core = s.core / s.items if s.items else 1.0
        full = s.full / s.items if s.items else 1.0
        lines.append(f"{s.name:55} {s.items:3} items  core {core:6.1%}  full {full:6.1%}")
        lines.extend(f"    {p}" for p in s.problems)
    items = sum(s.items for s in scores)
    core = sum(s.core for s in scores) / items
    full = sum(s.full for s in scores) / items
    header = sum(s.header for s in scores) / (3 * len(scores))
    lines.append(
        f"TOTAL {len(scores)} documents, {items} items: number+deadline {core:.1%}, "
        f"with executors and needs_report {full:.1%}; header (kind, number, date) {header:.1%}"
    )
    return core, full, "\n".join(lines)


def test_the_corpus_has_sixty_documents_and_the_five_seeds():
    names = [p.stem for p in expectations()]
    assert len([n for n in names if not n.startswith("seed_")]) >= 60
    assert [n for n in names if n.startswith("seed_")] == [f"seed_00{k}" for k in range(5)]
    for path in expectations():
        expected = json.loads(path.read_text(encoding="utf-8"))
        assert (CORPUS / expected["source"]).exists(), path.name


def test_corpus_accuracy():
    scores = [score(path) for path in expectations()]
    core, full, text = report(scores)
    print("\n" + text)
    assert core >= CORE_MIN, text
    assert full >= FULL_MIN, text


@pytest.mark.parametrize("path", expectations(), ids=lambda p: p.stem)
def test_no_header_line_becomes_an_item(path):
    """Lines before the directives (the issuer, «ПРИКАЗ», the date line, the title, the
    preamble) never become decisions."""
    result = reading(path)
    title = result["title"] or ""
    for decision in result["decisions"]:
        text = decision["text"]
        assert not re.match(r"(?i)(?:приказ|протокол|постановление|распоряжение|решение)\s*$", text)
        assert not title or text.strip() != title.strip()
