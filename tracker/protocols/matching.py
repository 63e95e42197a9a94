"""Matching a protocol's executor words to the organization directory.

Pure logic: no Flask, no database. The caller builds a :class:`Directory` from its
organizations (``entries_from_tree`` reads the nested form of the demo data).

How a name is compared:
- the institution number («№ 3», «СОШ №3», «школа 3») is decisive: numbers must be equal, and a
  name with a number never matches one without (№ 3 is never № 33 or № 36);
- the words around it are lower-cased, «ё» folded, abbreviations expanded («СОШ» -> «средний
  общеобразовательный школа»), legal forms dropped («МБОУ», «муниципальный», «учреждение») and
  every word put into its normal form with pymorphy3 («Средней школы» -> «средний школа»);
- the normalized words are compared with rapidfuzz against the short name, the full name and each
  alias of every entry in scope (the department and everything under it), the best one counting.

A result is *matched* when one entry is clearly best, *ambiguous* when several entries score
within ``AMBIGUITY_MARGIN`` of the best, *unmatched* when nothing reaches ``MATCH_MIN``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from tracker.core import deadline_words  # one pymorphy3 analyzer per process

KINDS = ("region", "department", "school", "kindergarten", "additional", "center")
EDUCATIONAL_KINDS = frozenset({"school", "kindergarten", "additional", "center"})
DEPARTMENT = "department"  # group_kinds() result: the department itself

MATCHED = "matched"
AMBIGUOUS = "ambiguous"
UNMATCHED = "unmatched"

MATCH_MIN = 80.0  # below this an entry is a candidate at most
CANDIDATE_MIN = 50.0  # below this an entry is not even shown as a candidate
AMBIGUITY_MARGIN = 8.0  # entries this close to the best one make the result ambiguous
MAX_CANDIDATES = 5
_MAX_WORDS = 400  # longer executor words are cut: nobody names an organization in 400 characters


@dataclass(frozen=True)
class DirectoryEntry:
    id: int
    short_name: str
    full_name: str
    kind: str  # region | department | school | kindergarten | additional | center
    parent_id: int | None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    """The outcome of :meth:`Directory.resolve`."""

    status: str  # matched | ambiguous | unmatched
    entry: DirectoryEntry | None  # set when matched
    candidates: tuple[tuple[DirectoryEntry, float], ...] = ()  # best first


# --- normalization ----------------------------------------------------------------------------

_QUOTES = re.compile(r"[«»\"“”„‟'‘’`]")
# The institution number: after «№», else after a type word, else a bare small number.
_NUMBER_AFTER_SIGN = re.compile(r"№\s*(\d{1,4}(?:-?[а-я](?![а-я]))?)")
_NUMBER_AFTER_TYPE = re.compile(
    r"(?:школ|сош|оош|нош|сш|гимнази|лице|сад|дс|доу|цдо|центр|ддт|дшк|дши)[а-я]*\s*"
    r"(\d{1,4}(?:-?[а-я](?![а-я]))?)(?!\d)"
)
_BARE_NUMBER = re.compile(r"(?<![\d.,])(\d{1,3})(?![\d.,]?\d)")
_WORD = re.compile(r"[a-zа-я]+")
_LEGAL_FORM = re.compile(r"^[мгч][бка]?д?о?у$")  # моу мбоу мкоу мбдоу мбу мку гбоу чоу …
_EXPANSIONS: dict[str, tuple[str, ...]] = {
    "сош": ("средний", "общеобразовательный", "школа"),
    "оош": ("основной", "общеобразовательный", "школа"),
    "нош": ("начальный", "общеобразовательный", "школа"),
    "сш": ("средний", "школа"),
    "дс": ("детский", "сад"),
}
_STOP = frozenset(
    {
        # legal forms and structure words that every name carries
        "муниципальный",
        "бюджетный",
        "казенный",
        "автономный",
        "государственный",
        "частный",
        "учреждение",
        "до",
        "го",
        "мо",
        "им",
        "имя",
        # positions: people, never organizations («директор МБОУ …», «заведующая МБДОУ …»)
        "директор",
        "заведующий",
        "заведующая",
        "заведовать",
        "заместитель",
        "руководитель",
        "начальник",
        "специалист",
        "методист",
        "ведущий",
        "главный",
        "председатель",
        "секретарь",
        "учитель",
        "педагог",
        "координатор",
        "весь",
        # prepositions and conjunctions
        "и",
        "в",
        "во",
        "на",
        "по",
        "с",
        "со",
        "для",
        "при",
        "от",
        "к",
    }
)


def morph() -> Any:
    """The process's pymorphy3 analyzer (shared with the deadline reader)."""
    return deadline_words.morph()


@lru_cache(maxsize=50_000)
def lemma(word: str) -> str:
    """The normal form of one lower-case word («школы» -> «школа»)."""
    if len(word) > 40 or not word.isalpha():
        return word
    return morph().parse(word)[0].normal_form.replace("ё", "е")


def fold(text: str) -> str:
    return text.lower().replace("ё", "е")


def institution_number(text: str) -> str | None:
    """The number that identifies an institution («№ 3», «СОШ №3», «школа 3») or None."""
    folded = fold(text)
    for pattern in (_NUMBER_AFTER_SIGN, _NUMBER_AFTER_TYPE, _BARE_NUMBER):
        found = pattern.search(folded)
        if found:
            return found.group(1).replace("-", "").replace(" ", "").lstrip("0") or "0"
    return None


def name_words(text: str) -> tuple[str, ...]:
    """Normalized, significant words of a name, in order, without the number."""
    folded = fold(text).replace("д/с", " дс ")
    words: list[str] = []
    for raw in _WORD.findall(_QUOTES.sub(" ", folded)):
        expanded = _EXPANSIONS.get(raw)
        if expanded:
            words.extend(expanded)
            continue
        if len(raw) < 2 or raw in _STOP or _LEGAL_FORM.match(raw):
            continue
        word = lemma(raw)
        if word not in _STOP:
            words.append(word)
    return tuple(words)


@dataclass(frozen=True)
class _Key:
    number: str | None
    words: tuple[str, ...]
    joined: str = field(compare=False, default="")

    @staticmethod
    def of(text: str) -> _Key:
        text = text[:_MAX_WORDS]
        words = name_words(text)
        return _Key(institution_number(text), words, " ".join(words))


def _coverage(words: tuple[str, ...], other: tuple[str, ...]) -> float:
    """Share of ``words`` that have a close word in ``other`` (typos and odd lemmas forgiven)."""
    hits = sum(1 for w in words if any(w == o or fuzz.ratio(w, o) >= 85 for o in other))
    return hits / len(words)


def _similarity(query: _Key, variant: _Key) -> float:
    if query.number != variant.number or not query.words or not variant.words:
        return 0.0
    # token_set_ratio forgives missing words on either side («школа № 3» in «Средняя школа № 3»).
    # Query words the name lacks cost much («… ГО Заречный …» is not Krasny Kholm's «СОШ № 1»);
    # name words the query lacks cost little (people write names short).
    subset = fuzz.token_set_ratio(query.joined, variant.joined)
    unexplained = 1.0 - _coverage(query.words, variant.words)
    missing = 1.0 - _coverage(variant.words, query.words)
    return round(max(0.0, subset - 40.0 * unexplained - 5.0 * missing), 1)


# --- groups -----------------------------------------------------------------------------------

_EDU_OBJECTS = frozenset({"организация", "учреждение"})


def group_kinds(words: str) -> frozenset[str] | None:
    """What a group of addressees stands for, or None if the words are not a group.

    Returns a set of organization kinds («Руководителям образовательных организаций» -> every
    educational kind, «общеобразовательных» -> schools only), or a set holding ``DEPARTMENT`` for
    the department itself («ОМСУ», «управлению образования», «Всем специалистам …»).
    A number («школы № 3») always means one organization, never a group.
    """
    folded = fold(words[:_MAX_WORDS])
    if re.search(r"\d", folded):
        return None
    raw = _WORD.findall(_QUOTES.sub(" ", folded))
    lemmas = [lemma(w) for w in raw]
    present = set(lemmas) | set(raw)
    pairs = set(itertools.pairwise(lemmas))
    kinds = _department_kinds(present, pairs) | _educational_kinds(raw, lemmas, present, pairs)
    if not kinds and {"специалист", "методист"} & present:
        kinds.add(DEPARTMENT)  # «Всем специалистам …» of the department
    return frozenset(kinds) if kinds else None


def _department_kinds(present: set[str], pairs: set[tuple[str, str]]) -> set[str]:
    """{DEPARTMENT} for the department itself («ОМСУ», «управлению образования»), else empty."""
    named = (
        ("орган" in present and "самоуправление" in present)
        or "омсу" in present
        or any((head, "образование") in pairs for head in ("управление", "отдел", "комитет"))
        or bool({"департамент", "уо", "ооа"} & present)
    )
    return {DEPARTMENT} if named else set()


def _educational_kinds(
    raw: list[str], lemmas: list[str], present: set[str], pairs: set[tuple[str, str]]
) -> set[str]:
    """The kinds of educational organizations the words name; all of them for «образовательных
    организаций» or «ОО» without a narrower kind."""
    edu: set[str] = set()
    if _kindergartens(raw, lemmas, present, pairs):
        edu.add("kindergarten")
    if ("дополнительный", "образование") in pairs or {"удо", "одо"} & present:
        edu.add("additional")
    if _schools(raw, lemmas, present):
        edu.add("school")
    if not edu and (
        ("образовательный" in present and _EDU_OBJECTS & present) or {"оо", "оу", "ооо"} & present
    ):
        edu |= EDUCATIONAL_KINDS
    return edu


def _kindergartens(
    raw: list[str], lemmas: list[str], present: set[str], pairs: set[tuple[str, str]]
) -> bool:
    if "дошкольный" in present or {"доу", "доо", "мдоу", "мбдоу"} & present:
        return True
    return ("детский", "сад") in pairs and _plural(raw, lemmas, "сад")


def _schools(raw: list[str], lemmas: list[str], present: set[str]) -> bool:
    if "общеобразовательный" in present and (_EDU_OBJECTS & present or "школа" in present):
        return True
    return "школа" in lemmas and _plural(raw, lemmas, "школа")


def _plural(raw: list[str], lemmas: list[str], target: str) -> bool:
    """True if the word whose normal form is ``target`` can only be plural («школ», «школам»)."""
    for word, norm in zip(raw, lemmas, strict=True):
        if norm == target:
            parses = [p for p in morph().parse(word) if p.normal_form == target]
            return bool(parses) and all("plur" in p.tag for p in parses)
    return False


# --- the directory ----------------------------------------------------------------------------


class Directory:
    """Organizations a protocol may name, scoped to one department when it is known."""

    def __init__(self, entries: list[DirectoryEntry], department_id: int | None = None):
        self.entries = list(entries)
        self.by_id = {entry.id: entry for entry in self.entries}
        self.department_id = department_id if department_id in self.by_id else None
        children: dict[int | None, list[DirectoryEntry]] = {}
        for entry in self.entries:
            children.setdefault(entry.parent_id, []).append(entry)
        self._children = children
        if self.department_id is None:
            self.scope = self.entries
        else:
            self.scope = [self.by_id[self.department_id], *self._descendants(self.department_id)]
        self._keys: list[tuple[DirectoryEntry, list[_Key]]] = [
            (entry, self._variants(entry)) for entry in self.scope
        ]
        self._cache: dict[str, tuple[tuple[DirectoryEntry, float], ...]] = {}

    @property
    def department(self) -> DirectoryEntry | None:
        return self.by_id.get(self.department_id) if self.department_id is not None else None

    def _descendants(self, entry_id: int) -> list[DirectoryEntry]:
        found: list[DirectoryEntry] = []
        stack = list(reversed(self._children.get(entry_id, [])))
        seen = {entry_id}
        while stack:
            entry = stack.pop()
            if entry.id in seen:
                continue
            seen.add(entry.id)
            found.append(entry)
            stack.extend(reversed(self._children.get(entry.id, [])))
        return found

    @staticmethod
    def _variants(entry: DirectoryEntry) -> list[_Key]:
        keys: list[_Key] = []
        for name in (entry.short_name, entry.full_name, *entry.aliases):
            if name:
                key = _Key.of(name)
                if key.words and key not in keys:
                    keys.append(key)
        return keys

    def match(self, words: str) -> list[tuple[DirectoryEntry, float]]:
        """Candidates for the words, best first, scores 0..100 (only those >= CANDIDATE_MIN)."""
        words = (words or "")[:_MAX_WORDS]
        cached = self._cache.get(words)
        if cached is None:
            query = _Key.of(words)
            scored = []
            for entry, variants in self._keys:
                score = max((_similarity(query, v) for v in variants), default=0.0)
                if score >= CANDIDATE_MIN:
                    scored.append((entry, score))
            scored.sort(key=lambda pair: -pair[1])  # stable: directory order breaks ties
            cached = tuple(scored)
            if len(self._cache) < 10_000:
                self._cache[words] = cached
        return list(cached)

    def resolve(self, words: str) -> Match:
        """One organization for the words: matched, ambiguous or unmatched."""
        candidates = self.match(words)
        if not candidates or candidates[0][1] < MATCH_MIN:
            return Match(UNMATCHED, None, tuple(candidates[:MAX_CANDIDATES]))
        best = candidates[0][1]
        close = [pair for pair in candidates if pair[1] >= best - AMBIGUITY_MARGIN]
        if len(close) > 1:
            return Match(AMBIGUOUS, None, tuple(close[:MAX_CANDIDATES]))
        return Match(MATCHED, candidates[0][0], (candidates[0],))

    def members(self, group: str) -> list[DirectoryEntry] | None:
        """The entries a group of addressees stands for; None if the words are not a group.

        The department's own group («ОМСУ», «управлению образования», «Всем специалистам») is
        the department itself; kinds of organizations are every entry of those kinds under the
        department (under anything, when no department is set). The list may be empty.
        """
        kinds = group_kinds(words=group or "")
        if kinds is None:
            return None
        found: list[DirectoryEntry] = []
        if DEPARTMENT in kinds and self.department is not None:
            found.append(self.department)
        organization_kinds = kinds & EDUCATIONAL_KINDS
        found.extend(entry for entry in self.scope if entry.kind in organization_kinds)
        return found


# --- building a directory ---------------------------------------------------------------------


def entries_from_tree(
    roots: Iterable[Mapping[str, Any]], first_id: int = 1
) -> tuple[list[DirectoryEntry], dict[str, int]]:
    """Entries from nested mappings (key, kind, short_name, full_name, aliases, children).

    Ids are given in document order from ``first_id``; returns the entries and a key -> id map.
    """
    entries: list[DirectoryEntry] = []
    ids: dict[str, int] = {}

    def visit(node: Mapping[str, Any], parent_id: int | None) -> None:
        entry_id = first_id + len(entries)
        key = str(node.get("key") or entry_id)
        ids[key] = entry_id
        entries.append(
            DirectoryEntry(
                id=entry_id,
                short_name=str(node.get("short_name") or ""),
                full_name=str(node.get("full_name") or node.get("short_name") or ""),
                kind=str(node.get("kind") or ""),
                parent_id=parent_id,
                aliases=tuple(str(a) for a in node.get("aliases") or ()),
            )
        )
        for child in node.get("children") or ():
            visit(child, entry_id)

    for root in roots:
        visit(root, None)
    return entries, ids
