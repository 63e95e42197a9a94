"""Unit tests for tracker.protocols: text extraction, organization matching, the protocol reader.

The five seed documents are checked item by item against the hand-written expectations in
tests/fixtures/protocols/NNN.json; executors there are named by the demo directory's keys.
"""

from __future__ import annotations

import io
import json
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.protocols.matching import (
    AMBIGUOUS,
    MATCHED,
    UNMATCHED,
    Directory,
    DirectoryEntry,
    entries_from_tree,
    group_kinds,
    institution_number,
)
from tracker.protocols.reader import read_protocol
from tracker.protocols.text import MAX_BYTES, ProtocolInputError, extract_text

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
EXPECTED = ROOT / "tests" / "fixtures" / "protocols"
ORGANIZATIONS = ROOT / "tracker" / "demo" / "data" / "organizations.yaml"
SEED_NUMBERS = ("000", "001", "002", "003", "004")
FUZZ = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
INTERNAL_ERROR = "Не удалось разобрать текст протокола"


# --- the demo directory and the seeds ---------------------------------------------------------


@cache
def demo() -> tuple[tuple[DirectoryEntry, ...], dict[str, int]]:
    """The real demo directory: ids in file order, and the key -> id map."""
    entries, ids = entries_from_tree(yaml.safe_load(ORGANIZATIONS.read_text(encoding="utf-8")))
    return tuple(entries), ids


def directory(department: str | None) -> Directory:
    entries, ids = demo()
    return Directory(list(entries), ids[department] if department else None)


def key_of(organization_id: int | None) -> str:
    if organization_id is None:
        return "null"
    return {v: k for k, v in demo()[1].items()}[organization_id]


def expected(seed: str) -> dict[str, Any]:
    return json.loads((EXPECTED / f"{seed}.json").read_text(encoding="utf-8"))


@cache
def seed_text(seed: str) -> str:
    return next(SEEDS.glob(f"{seed}_*.txt")).read_text(encoding="utf-8")


@cache
def read_seed(seed: str) -> dict[str, Any]:
    return read_protocol(seed_text(seed), directory(expected(seed)["department"]))


def executors_of(decision: dict[str, Any]) -> list[str]:
    return [f"{e['kind']} {key_of(e['organization_id'])}" for e in decision["executors"]]


def decision_named(result: dict[str, Any], number: str) -> dict[str, Any]:
    found = [d for d in result["decisions"] if d["number"] == number]
    assert len(found) == 1, f"expected one decision numbered {number!r}, found {len(found)}"
    return found[0]


# --- the seeds against their expected JSON ----------------------------------------------------


def test_every_seed_has_an_expected_file():
    assert sorted(p.stem for p in EXPECTED.glob("*.json")) == list(SEED_NUMBERS)
    for seed in SEED_NUMBERS:
        assert (SEEDS / expected(seed)["seed"]).exists(), f"{seed}.json names a missing seed"


@pytest.mark.parametrize("seed", SEED_NUMBERS)
def test_seed_result_has_the_documented_shape(seed):
    result = read_seed(seed)
    assert list(result) == [
        "kind",
        "document",
        "number",
        "date",
        "title",
        "place",
        "chair",
        "secretary",
        "controller",
        "attendees",
        "agenda",
        "decisions",
        "warnings",
    ]
    assert json.loads(json.dumps(result, ensure_ascii=False)) == result  # JSON as is
    for decision in result["decisions"]:
        assert set(decision) == {
            "number",
            "parent",
            "section",
            "text",
            "executors",
            "executor_group",
            "deadline",
            "needs_report",
            "warnings",
        }
        for executor in decision["executors"]:
            assert set(executor) == {"text", "organization_id", "kind", "candidates"}
            assert executor["kind"] in ("organization", "group", "person", "unmatched", "ambiguous")
        if decision["deadline"] is not None:
            assert set(decision["deadline"]) == {
                "kind",
                "date",
                "text",
                "rule",
                "offset_days",
                "event",
            }


@pytest.mark.parametrize("seed", SEED_NUMBERS)
def test_seed_header(seed):
    result, want = read_seed(seed), expected(seed)["header"]
    for field, value in want.items():
        assert result[field] == value, f"seed {seed}: header field {field!r}"


@pytest.mark.parametrize("seed", SEED_NUMBERS)
def test_seed_attendees(seed):
    got, want = read_seed(seed)["attendees"], expected(seed)["attendees"]
    assert len(got) == len(want), f"seed {seed}: {len(got)} attendees, expected {len(want)}"
    for position, (attendee, expect) in enumerate(zip(got, want, strict=True), start=1):
        where = f"seed {seed}, attendee {position}"
        assert attendee["name"] == expect["name"], f"{where}: name"
        assert key_of(attendee["organization_id"]) == (expect["organization"] or "null"), (
            f"{where} ({attendee['name']}): organization"
        )
        for field in ("position", "text"):
            if field in expect:
                assert attendee[field] == expect[field], f"{where}: {field}"


@pytest.mark.parametrize("seed", SEED_NUMBERS)
def test_seed_agenda(seed):
    got, want = read_seed(seed)["agenda"], expected(seed)["agenda"]
    assert len(got) == len(want), f"seed {seed}: {len(got)} agenda items, expected {len(want)}"
    for position, (item, expect) in enumerate(zip(got, want, strict=True), start=1):
        where = f"seed {seed}, agenda item {position}"
        assert item["number"] == expect["number"], f"{where}: number"
        assert item["title"].startswith(expect["title"]), f"{where}: title {item['title']!r}"
        assert item["speaker"] == expect["speaker"], f"{where}: speaker"
        if expect["heard"] is None:
            assert item["heard"] is None, f"{where}: heard should be empty"
        else:
            assert (item["heard"] or "").startswith(expect["heard"]), f"{where}: heard"


@pytest.mark.parametrize("seed", SEED_NUMBERS)
def test_seed_decisions_item_by_item(seed):
    want = expected(seed)
    got = read_seed(seed)["decisions"]
    numbers = [d["number"] for d in got]
    assert len(got) == len(want["decisions"]), (
        f"seed {seed}: {len(got)} decisions {numbers}, expected {len(want['decisions'])}"
    )
    for position, (decision, expect) in enumerate(zip(got, want["decisions"], strict=True), 1):
        where = f"seed {seed}, decision #{position} (number {expect['number']!r})"
        assert decision["number"] == expect["number"], f"{where}: number"
        assert decision["parent"] == expect["parent"], f"{where}: parent"
        assert decision["section"] == expect["section"], f"{where}: section"
        assert decision["text"].startswith(expect["text"]), f"{where}: text {decision['text']!r}"
        if "contains" in expect:
            assert expect["contains"] in decision["text"], f"{where}: text lacks a line"
        executors = want["executor_sets"][expect["executors"]]
        assert executors_of(decision) == executors, f"{where}: executors"
        assert decision["executor_group"] == expect["group"], f"{where}: executor_group"
        if expect["deadline"] is None:
            assert decision["deadline"] is None, f"{where}: deadline should be empty"
        else:
            assert decision["deadline"] is not None, f"{where}: deadline missing"
            for field, value in expect["deadline"].items():
                assert decision["deadline"][field] == value, f"{where}: deadline {field}"


@pytest.mark.parametrize("seed", SEED_NUMBERS)
def test_seed_warnings(seed):
    assert read_seed(seed)["warnings"] == expected(seed)["warnings"], f"seed {seed}: warnings"


# --- what the brief asks of the seeds, spelled out --------------------------------------------


def test_001_point_1_lists_fifteen_schools_and_points_2_to_5_inherit_them():
    result = read_seed("001")
    schools = executors_of(decision_named(result, "1"))
    assert len(schools) == 15
    assert all(s.startswith("organization ptz-sch") for s in schools)
    assert "organization ptz-sch36" not in schools  # № 36 speaks, it is not addressed
    for number in ("1.2", "1.3", "1.3.1", "1.4", "2", "3", "4", "5"):
        assert executors_of(decision_named(result, number)) == schools, f"point {number}"
        assert decision_named(result, number)["needs_report"], number
    # «1.1. Принять к сведению информацию»: a decision that nobody reports on
    noted = decision_named(result, "1.1")
    assert (noted["executors"], noted["needs_report"]) == ([], False)
    assert not decision_named(result, "1")["needs_report"]  # a heading: 1.1–1.4 carry it
    # «1.2. Осуществлять в системе: – анализ …; – сопоставление …»: one obligation per school
    point = decision_named(result, "1.2")
    assert point["text"].startswith("Осуществлять в системе:")
    assert "– сопоставление результатов по учебным годам" in point["text"]
    assert not [d for d in result["decisions"] if d["parent"] == "1.2"]


def test_001_deadlines():
    result = read_seed("001")
    assert decision_named(result, "2")["deadline"]["date"] == "2023-02-27"
    assert decision_named(result, "4")["deadline"]["date"] == "2023-02-21"
    assert decision_named(result, "5")["deadline"]["date"] == "2023-02-27"
    relative = decision_named(result, "3")["deadline"]
    assert (relative["kind"], relative["offset_days"]) == ("relative", 3)
    assert "не менее трех дней до проведения процедуры" in relative["text"]
    assert decision_named(result, "1.4")["deadline"]["kind"] == "ongoing"


def test_003_deadlines_and_attendees():
    result = read_seed("003")
    dashes = [d for d in result["decisions"] if d["parent"] == "1"]
    assert [(d["deadline"]["kind"], d["deadline"]["date"]) for d in dashes] == [
        ("month", "2024-01-31"),
        ("ongoing", None),
        ("ongoing", None),
    ]
    matched = [a for a in result["attendees"] if a["organization_id"] is not None]
    assert len(matched) == len(result["attendees"]) == 14


def test_004_has_no_decisions_and_says_so():
    result = read_seed("004")
    assert result["decisions"] == []
    assert any("Не найден раздел решений" in w for w in result["warnings"])


def test_seeds_read_without_a_directory():
    result = read_protocol(seed_text("001"))
    point = decision_named(result, "1")
    assert len(point["executors"]) == 15
    assert {e["kind"] for e in point["executors"]} == {"unmatched"}
    assert all(e["organization_id"] is None for e in point["executors"])
    assert "Справочник организаций не передан: исполнители не сопоставлены." in result["warnings"]


# --- matching ---------------------------------------------------------------------------------

PTZ_SCH3 = [
    "МОУ «Средняя школа № 3»",
    "МОУ «Средняя школа №3»",
    "СОШ №3",
    "СОШ № 3",
    "школа 3",
    "школы № 3",
    "Средней школы № 3",
    "школе № 3",
    "МОУ «Средняя школа № 3",
]


@pytest.mark.parametrize("words", PTZ_SCH3)
def test_match_forms_of_school_3(words):
    found = directory("ptz-uo").resolve(words)
    assert found.status == MATCHED, f"{words!r}: {found}"
    assert key_of(found.entry.id) == "ptz-sch3", words


@pytest.mark.parametrize(
    ("words", "key"),
    [
        ("школа № 33", "ptz-sch33"),
        ("СОШ № 36", "ptz-sch36"),
        ("Средней школы №36", "ptz-sch36"),
        ("МОУ «Средняя школа № 5»", "ptz-sch5"),
        ("МОУ «Средняя школа № 55»", "ptz-sch55"),
    ],
)
def test_match_numbers_are_decisive(words, key):
    found = directory("ptz-uo").resolve(words)
    assert found.status == MATCHED and key_of(found.entry.id) == key, words
    assert all(key_of(e.id) == key for e, _ in found.candidates)


@pytest.mark.parametrize("number", ["3", "33", "36", "5", "55"])
def test_match_never_confuses_numbers_anywhere(number):
    for department in (None, "ptz-uo", "zar-uo", "krh-oo", "smol-uo"):
        for entry, _score in directory(department).match(f"школа № {number}"):
            assert institution_number(entry.short_name) == number, (department, entry)


def test_match_number_mismatch_is_no_match():
    ptz = directory("ptz-uo")
    assert ptz.match("МОУ «Средняя школа № 4»") == []
    assert ptz.resolve("школа № 99").status == UNMATCHED
    assert ptz.match("Средняя школа") == []  # a numbered school needs its number


@pytest.mark.parametrize(
    ("words", "key"),
    [
        ("МБОУ ГО Заречный «СОШ № 1", "zar-sch1"),
        ("МБОУ ГО Заречный «СОШ № 1»", "zar-sch1"),
        ("МКОУ ГО Заречный «СОШ №4»", "zar-sch4"),
        ("МКОУ ГО Заречный «СОШ № 6»", "zar-sch6"),
        ("МБОУ ГО Заречный «СОШ № 3", "zar-sch3"),
    ],
)
def test_match_zarechny_with_unbalanced_quotes(words, key):
    for department in ("zar-uo", None):  # the town's name decides even without a department
        found = directory(department).resolve(words)
        assert found.status == MATCHED and key_of(found.entry.id) == key, (department, words)


@pytest.mark.parametrize(
    ("words", "key"),
    [
        ("детский сад № 2 «Солнышко»", "krh-ds2"),
        ("МБДОУ детский сад № 3 «Малышок»", "krh-ds3"),
        ("заведующая МБДОУ «Рачевский детский сад»", "krh-ds-rachevsky"),
        ("директор МБОУ «Краснохолмская сош № 2 им. С.Забавина»", "krh-sch2"),
        ("МБОУ «Хабощкая ООШ»", "krh-khaboshch"),
        ("Краснохолмский ДЦТ", "krh-dct"),
        ("заместитель заведующего Отделом образования", "krh-oo"),
    ],
)
def test_match_krasny_kholm(words, key):
    found = directory("krh-oo").resolve(words)
    assert found.status == MATCHED and key_of(found.entry.id) == key, words


def test_match_kindergarten_number_is_not_the_school_number():
    found = directory("krh-oo").resolve("детский сад № 2")
    assert key_of(found.entry.id) == "krh-ds2"
    found = directory("krh-oo").resolve("СОШ № 2")
    assert key_of(found.entry.id) == "krh-sch2"


def test_match_is_ambiguous_across_departments_without_one():
    found = directory(None).resolve("СОШ № 3")
    assert found.status == AMBIGUOUS
    assert {key_of(e.id) for e, _ in found.candidates} == {"ptz-sch3", "zar-sch3"}
    assert directory("ptz-uo").resolve("СОШ № 3").status == MATCHED


def test_match_scores_are_best_first_and_bounded():
    candidates = directory(None).match("МБОУ ГО Заречный «СОШ № 1")
    scores = [score for _, score in candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 100 for s in scores)


@pytest.mark.parametrize(
    ("words", "kinds"),
    [
        ("Руководителям общеобразовательных организаций", {"school"}),
        ("руководителям ОО", {"school", "kindergarten", "additional", "center"}),
        (
            "Руководителям образовательных организаций",
            {"school", "kindergarten", "additional", "center"},
        ),
        ("руководители всех ОО округа", {"school", "kindergarten", "additional", "center"}),
        ("директорам школ", {"school"}),
        ("Заведующим ДОУ", {"kindergarten"}),
        (
            "Органам местного самоуправления, осуществляющим управление в сфере образования",
            {"department"},
        ),
        ("ОМСУ", {"department"}),
        ("управлению образования", {"department"}),
        ("Всем специалистам, ответственным за работу по формированию", {"department"}),
    ],
)
def test_groups(words, kinds):
    assert group_kinds(words) == frozenset(kinds), words


@pytest.mark.parametrize("words", ["школы № 3", "МКОУ ГО Заречный «СОШ № 6»", "Иванова И.И.", ""])
def test_not_groups(words):
    assert group_kinds(words) is None
    assert directory("ptz-uo").members(words) is None


def test_group_members():
    ptz = directory("ptz-uo")
    schools = ptz.members("Руководителям общеобразовательных организаций")
    assert len(schools) == 16 and {e.kind for e in schools} == {"school"}
    assert [key_of(e.id) for e in ptz.members("ОМСУ")] == ["ptz-uo"]
    krh = directory("krh-oo")
    everyone = {key_of(e.id) for e in krh.members("руководителям ОО")}
    assert "krh-ds2" in everyone and "krh-dyussh" in everyone and "krh-oo" not in everyone
    assert {e.kind for e in krh.members("директорам школ")} == {"school"}
    assert [key_of(e.id) for e in krh.members("Всем специалистам …")] == ["krh-oo"]
    assert directory("lih-oo").members("Руководителям образовательных организаций") == []


# --- text extraction --------------------------------------------------------------------------


def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("ПРОТОКОЛ № 7")
    document.add_paragraph("Присутствовали:")
    table = document.add_table(rows=2, cols=3)
    for row, values in enumerate(
        [("1.", "Корина Е.В.", "директор МБОУ «Краснохолмская сош №1»"), ("2.", "Серова Т.П.", "")]
    ):
        for column, value in enumerate(values):
            table.cell(row, column).text = value
    document.add_paragraph("РЕШИЛИ:")
    document.add_paragraph("Провести семинар. Срок: до 01.03.2024", style="List Number")
    document.add_paragraph("Обновить сайт", style="List Number")
    document.add_paragraph("пункт без номера", style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def odt_bytes() -> bytes:
    content = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content
  xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
  xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.2">
 <office:body><office:text>
  <text:h>ПРОТОКОЛ №<text:s/>3</text:h>
  <text:p>РЕШИЛИ:</text:p>
  <text:list><text:list-item>
   <text:p>Руководителям ОО обеспечить участие</text:p>
  </text:list-item></text:list>
  <table:table><table:table-row>
   <table:table-cell><text:p>1.</text:p></table:table-cell>
   <table:table-cell><text:p>Корина<text:tab/>Е.В.</text:p></table:table-cell>
  </table:table-row></table:table>
 </office:text></office:body>
</office:document-content>"""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content)
    return buffer.getvalue()


def test_docx_paragraphs_tables_and_list_numbers_in_order():
    text = extract_text("протокол.docx", docx_bytes())
    lines = text.splitlines()
    assert lines[0] == "ПРОТОКОЛ № 7"
    assert lines[2] == "1.\tКорина Е.В.\tдиректор МБОУ «Краснохолмская сош №1»"
    assert lines[3] == "2.\tСерова Т.П.\t"
    assert lines[4] == "РЕШИЛИ:"
    assert lines[5] == "1. Провести семинар. Срок: до 01.03.2024"
    assert lines[6] == "2. Обновить сайт"
    assert lines[7] == "- пункт без номера"


def test_docx_text_reads_as_a_protocol():
    result = read_protocol(extract_text("p.docx", docx_bytes()), directory("krh-oo"))
    assert (result["kind"], result["number"]) == ("protocol", "7")
    assert key_of(result["attendees"][0]["organization_id"]) == "krh-sch1"
    assert [d["number"] for d in result["decisions"]] == ["1", "2", None]
    assert result["decisions"][0]["deadline"]["date"] == "2024-03-01"


def test_odt_built_from_content_xml():
    text = extract_text("протокол.odt", odt_bytes())
    assert text.splitlines() == [
        "ПРОТОКОЛ № 3",
        "РЕШИЛИ:",
        "- Руководителям ОО обеспечить участие",
        "1.\tКорина Е.В.",  # a tab inside a cell would split the row: a space
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251", "utf-16"])
def test_txt_encodings(encoding):
    text = "ПРОТОКОЛ N 12\nРЕШИЛИ:\n1. Руководителям ОО обеспечить явку. Срок: до 01.03.2024\n"
    assert extract_text("протокол.txt", text.encode(encoding)) == text


def test_txt_short_cp1251():
    assert extract_text("a.txt", "Решили".encode("cp1251")) == "Решили"


def bad_uploads() -> list[tuple[str, bytes, str]]:
    return [
        ("протокол.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "docx"),
        ("протокол.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "docx"),
        ("протокол.pdf", b"%PDF-1.7\n...", "вставьте"),
        ("скан.pdf", b"not really", "PDF"),
        ("пусто.docx", b"", "пуст"),
        ("пусто.txt", b"  \n ", "пуст"),
        ("картинка.docx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "Word"),
        ("архив.docx", b"PK\x03\x04" + b"\x00" * 40, "Word"),
        ("двоичный.txt", b"abc\x00def", "двоичные"),
        ("таблица.xlsx", b"PK\x03\x04", "формат"),
        ("письмо.rtf", b"{\\rtf1 ...}", "docx"),
        ("протокол.odt", b"PK\x03\x04" + b"\x00" * 40, "docx"),
    ]


@pytest.mark.parametrize(("name", "data", "hint"), bad_uploads())
def test_unreadable_uploads_are_refused_in_russian(name, data, hint):
    with pytest.raises(ProtocolInputError) as error:
        extract_text(name, data)
    message = str(error.value)
    assert hint.lower() in message.lower(), message
    assert any("а" <= ch <= "я" for ch in message.lower()), "the message must be Russian"


def test_zip_that_is_not_a_document():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ProtocolInputError, match="Word"):
        extract_text("протокол.docx", buffer.getvalue())


def test_oversized_upload():
    with pytest.raises(ProtocolInputError, match="10 МБ"):
        extract_text("большой.txt", b"a" * (MAX_BYTES + 1))
    assert isinstance(ProtocolInputError("x"), ValueError)


# --- the reader on wording the seeds do not use -----------------------------------------------

MULTI_QUESTION = """ПРОТОКОЛ № 5/2024 от 12.03.2024
совещания руководителей образовательных организаций

Председательствующий: Иванова И.И., начальник управления образования
Секретарь: Петрова П.П.

ПОВЕСТКА ДНЯ:
1. О подготовке к ГИА-2024 (докладчик: Сидорова С.С.)
2. Об итогах мониторинга МУМ – Козлов К.К., методист

1. СЛУШАЛИ: Сидорову Светлану Сергеевну о подготовке к ГИА.
ВЫСТУПИЛИ: Орлова О.О.
РЕШИЛИ:
1.1. Информацию принять к сведению.
1.2. Руководителям ОО обеспечить участие выпускников в пробных экзаменах до 1 апреля.
1.3. МОУ «СОШ № 3» (Смирнова А.А.) представить план мероприятий.
Срок: до 20.03.2024

2. СЛУШАЛИ: Козлова К.К.
РЕШИЛИ:
2.1. Управлению образования подготовить аналитическую справку. Срок – ежеквартально.
2.2. Директорам школ № 3 и № 33 разработать дорожные карты до конца учебного года.
а) провести самообследование;
б) направить отчёт.

Председатель\t\tИ.И. Иванова
Секретарь\t\tП.П. Петрова
"""


def test_multi_question_protocol():
    result = read_protocol(MULTI_QUESTION, directory("ptz-uo"))
    assert (result["number"], result["date"]) == ("5/2024", "2024-03-12")
    assert (result["chair"], result["secretary"]) == ("Иванова И.И.", "Петрова П.П.")
    agenda = result["agenda"]
    assert [a["speaker"] for a in agenda] == ["Сидорова С.С.", "Козлов К.К., методист"]
    assert agenda[0]["heard"].startswith("Сидорову Светлану Сергеевну")
    assert "Орлова О.О." in agenda[0]["heard"]
    decisions = {d["number"]: d for d in result["decisions"]}
    assert list(decisions) == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.2.а)", "2.2.б)"]
    assert decisions["1.1"]["executors"] == []  # «принять к сведению»: nobody to follow up
    assert not decisions["1.1"]["needs_report"]
    assert decisions["1.2"]["executor_group"] == "Руководителям ОО"
    assert len(decisions["1.2"]["executors"]) == 16
    assert decisions["1.2"]["deadline"]["date"] == "2024-04-01"
    assert executors_of(decisions["1.3"]) == ["organization ptz-sch3"]
    assert decisions["1.3"]["deadline"]["date"] == "2024-03-20"
    assert executors_of(decisions["2.1"]) == ["group ptz-uo"]
    assert decisions["2.1"]["deadline"]["kind"] == "recurring"
    assert executors_of(decisions["2.2"]) == ["organization ptz-sch3", "organization ptz-sch33"]
    assert decisions["2.2.а)"]["parent"] == "2.2"
    assert executors_of(decisions["2.2.б)"]) == executors_of(decisions["2.2"])
    assert decisions["1.1"]["section"].startswith("Вопрос 1. О подготовке к ГИА")
    assert decisions["2.1"]["section"].startswith("Вопрос 2. Об итогах мониторинга")
    assert (
        "Пункт 2.2: срок «до конца учебного года» не прочитан. Учебный год не задаёт дату"
        in " ".join(result["warnings"])
    )


PARAGRAPHS_AND_TABLE = """Протокол заседания методического совета
«22» декабря 2023 г.
г. Красный Холм

Присутствовали:
Иванова Мария Петровна – директор МБОУ «Краснохолмская сош №1»

РЕШИЛИ:
Информацию принять к сведению.
Руководителям ОО и заведующим ДОУ провести родительские собрания до 15 января.
Отделу образования подготовить приказ, срок – до 1 февраля 2024 года.
№\tМероприятие\tОтветственный\tСрок
1.\tПровести семинар\tМБОУ «Краснохолмская сош № 2»\tянварь 2024 года
2.\tОбновить сайт\tИванова М.П.\tпостоянно
3.\tПровести аудит\tШкола № 99\tдо 31.05.2024

Начальник отдела образования
И.И. Иванов
"""


def test_unnumbered_paragraphs_and_a_decisions_table():
    result = read_protocol(PARAGRAPHS_AND_TABLE, directory("krh-oo"))
    assert (result["date"], result["place"], result["chair"]) == (
        "2023-12-22",
        "г. Красный Холм",
        "И.И. Иванов",
    )
    attendee = result["attendees"][0]
    assert attendee["name"] == "Иванова Мария Петровна"
    assert key_of(attendee["organization_id"]) == "krh-sch1"
    first, second, third, *table = result["decisions"]
    assert first["text"] == "Информацию принять к сведению."
    keys = [key_of(e["organization_id"]) for e in second["executors"]]
    assert len(keys) == len(set(keys)) == 10  # ОО and ДОУ: each kindergarten once
    assert second["deadline"]["date"] == "2024-01-15"  # no year, in December: next January
    assert executors_of(third) == ["group krh-oo"]
    assert [d["number"] for d in table] == ["1", "2", "3"]
    assert executors_of(table[0]) == ["organization krh-sch2"]
    assert table[0]["deadline"]["date"] == "2024-01-31"
    assert executors_of(table[1]) == ["person null"]
    assert table[1]["executors"][0]["text"] == "Иванова М.П."
    assert table[1]["deadline"]["kind"] == "ongoing"
    assert executors_of(table[2]) == ["unmatched null"]
    assert (
        "Пункт 3: исполнитель «Школа № 99» не найден в справочнике организаций."
        in result["warnings"]
    )


def test_ambiguous_and_missing_executors_are_warned():
    text = (
        "ПРОТОКОЛ № 1\n01.02.2024\nРЕШИЛИ:\n1. СОШ № 3 представить отчёт.\n2. Подготовить план.\n"
    )
    result = read_protocol(text, directory(None))
    first, second = result["decisions"]
    assert first["executors"][0]["kind"] == "ambiguous"
    assert {c["name"] for c in first["executors"][0]["candidates"]} == {
        "МОУ «Средняя школа № 3»",
        "МБОУ ГО Заречный «СОШ № 3»",
    }
    assert any(
        w.startswith("Пункт 1: исполнитель «СОШ № 3» неоднозначен") for w in result["warnings"]
    )
    assert second["executors"] == []
    assert "Пункт 2: не указан исполнитель." in result["warnings"]


def test_labeled_executor_and_a_span_counted_from_the_protocol_date():
    text = (
        "ПРОТОКОЛ № 2 от 10.01.2024\nПОСТАНОВИЛИ:\n1. Провести мониторинг.\n"
        "Ответственный: Петров П.П.\nСрок: в течение двух недель\n"
        "2. Провести проверку.\nСрок: в течение 5 рабочих дней после мониторинга\n"
    )
    result = read_protocol(text, directory("ptz-uo"))
    first, second = result["decisions"]
    assert executors_of(first) == ["person null"]
    assert (first["deadline"]["kind"], first["deadline"]["date"]) == ("date", "2024-01-24")
    assert second["deadline"] is None
    assert second["warnings"] and "рабочих днях" in second["warnings"][0]
    assert any(w.startswith("Пункт 2: срок «") for w in result["warnings"])


def test_deadline_before_the_protocol_date_is_warned():
    text = "ПРОТОКОЛ № 3\n20.03.2024\nРЕШИЛИ:\n1. Отделу образования сдать отчёт до 01.03.2023.\n"
    result = read_protocol(text, directory("krh-oo"))
    assert result["decisions"][0]["deadline"]["date"] == "2023-03-01"
    assert any("раньше даты документа" in w for w in result["warnings"])


ROMAN_HEADINGS = """ПРОТОКОЛ № 8
от 14.02.2024
РЕШИЛИ:
1) Обеспечить участие педагогов в семинаре (ответственный: Иванова И.И., срок: до 01.03.2024).
а) подготовить список;
б) направить заявку.
2) Принять к сведению.
II. Руководителям ОО:
1. Провести родительские собрания.
СЛУШАЛИ
Петрова П.П.
"""


def test_labels_in_parentheses_roman_headings_and_heard_without_agenda():
    result = read_protocol(ROMAN_HEADINGS, directory("krh-oo"))
    first, letter_a, letter_b, noted, meetings = result["decisions"]
    assert not noted["needs_report"]
    assert executors_of(first) == ["person null"]
    assert first["executors"][0]["text"] == "Иванова И.И."  # the deadline is not part of it
    assert first["deadline"]["date"] == "2024-03-01"
    assert (letter_a["number"], letter_a["parent"], letter_b["parent"]) == ("1.а)", "1", "1")
    assert letter_b["deadline"]["date"] == "2024-03-01"  # inherited from its parent
    assert noted["executors"] == []
    assert meetings["section"] == "II. Руководителям ОО"
    assert meetings["executor_group"] == "Руководителям ОО"
    assert len(meetings["executors"]) == 10
    assert result["agenda"] == [
        {"number": "1", "title": "", "speaker": "Петрова П.П.", "heard": "Петрова П.П."}
    ]
    assert "Повестка не найдена: вопросы составлены по блокам «СЛУШАЛИ»." in result["warnings"]


@pytest.mark.parametrize(
    ("item", "executor"),
    [
        (
            "Рекомендовать управлению образования (Иванова И.И.) разработать план.",
            "управлению образования (Иванова И.И.)",
        ),
        ("Поручить МКУ «ИМЦ» (Петров П.П.) провести семинар.", "МКУ «ИМЦ» (Петров П.П.)"),
        ("Обязать руководителей учреждений провести проверку.", "руководителей учреждений"),
        ("Предложить Совету ветеранов принять участие в уроках.", "Совету ветеранов"),
        ("Руководителям ОО обеспечить явку.", "Руководителям ОО"),
        (
            "Отделу образования (Иванова И.И.) в срок до 01.03.2024 представить отчёт.",
            "Отделу образования (Иванова И.И.)",
        ),
        ("Провести семинар. Ответственный: Сидорова С.С.", "Сидорова С.С."),
        (
            "Перевести условно 4 обучающихся; учителям-предметникам организовать ликвидацию "
            "задолженности.",
            "учителям-предметникам",
        ),
    ],
)
def test_verb_first_and_addressee_first_items_name_their_executor(item, executor):
    order = f"ПРИКАЗ\n15.01.2024 № 3\nПРИКАЗЫВАЮ:\n1. {item}\n"
    decision = read_protocol(order)["decisions"][0]
    assert [e["text"] for e in decision["executors"]] == [executor]
    assert decision["needs_report"]


def test_an_addressee_item_covers_its_sub_items_only():
    order = (
        "ПРИКАЗ\n15.01.2024 № 3\nПРИКАЗЫВАЮ:\n1. Провести конкурс до 01.03.2024.\n"
        "2. Руководителям ОУ:\n2.1. обеспечить участие;\n1) подготовить работы;\n"
        "3. Организовать выставку работ.\n"
        "4. Контроль за исполнением приказа возложить на заместителя начальника Иванову И.И.\n"
        "Начальник управления образования          П.П. Петров\n"
    )
    result = read_protocol(order)
    decisions = {d["number"]: d for d in result["decisions"]}
    assert list(decisions) == ["1", "2", "2.1", "2.1.1)", "3", "4"]
    assert decisions["2"]["needs_report"] is False  # a heading: its sub-items carry it
    for number in ("2.1", "2.1.1)"):
        assert [e["text"] for e in decisions[number]["executors"]] == ["Руководителям ОУ"]
    assert decisions["3"]["executors"] == [] and decisions["1"]["executors"] == []
    assert decisions["4"]["needs_report"] is False and decisions["4"]["executors"] == []
    assert result["controller"] == "заместителя начальника Иванову И.И."
    assert result["chair"] == "П.П. Петров"


@pytest.mark.parametrize(
    "item",
    [
        "Принять к сведению информацию.",
        "Информацию о ходе подготовки принять к сведению.",
        "Утвердить прилагаемый план мероприятий.",
        "Признать утратившим силу приказ от 01.09.2023 № 140.",
        "Настоящий приказ вступает в силу со дня подписания.",
        "Контроль за исполнением приказа оставляю за собой.",
    ],
)
def test_what_is_not_a_task_is_kept_but_needs_no_report(item):
    order = f"ПРИКАЗ\n15.01.2024 № 3\nПРИКАЗЫВАЮ:\n1. {item}\n"
    decision = read_protocol(order)["decisions"][0]
    assert (decision["needs_report"], decision["executors"]) == (False, [])


@pytest.mark.parametrize(
    ("cue", "document"),
    [
        ("ПРИКАЗЫВАЮ:", "prikaz"),
        ("приказываю:", "prikaz"),
        ("постановляю:", "resolution"),
        ("Администрация района ПОСТАНОВЛЯЕТ:", "resolution"),
        ("Дума решила:", "decision"),
        ("Совет РЕШИЛА:", "decision"),
        ("Собрание РЕШИЛО:", "decision"),
        ("Совет депутатов Р Е Ш И Л:", "decision"),
        ("коллегия РЕШАЕТ:", "decision"),
        ("коллегия постановляет:", "resolution"),
        ("Совещание приняло следующие решения:", None),
    ],
)
def test_every_cue_opens_the_directives(cue, document):
    text = f"Заслушав информацию, {cue}\n1. Руководителям ОО провести собрания до 01.03.2024.\n"
    result = read_protocol(text)
    assert result["document"] == document
    assert [d["number"] for d in result["decisions"]] == ["1"]
    assert result["decisions"][0]["deadline"]["date"] == "2024-03-01"


def test_a_year_less_date_takes_the_document_year_never_today():
    dated = "ПРИКАЗ\n15.12.1998 № 7\nПРИКАЗЫВАЮ:\n1. Руководителям ОО сдать отчёты до 1 марта.\n"
    decision = read_protocol(dated)["decisions"][0]
    assert decision["deadline"]["date"] == "1999-03-01"  # December 1998: the next March
    undated = "ПРИКАЗ № 7\nПРИКАЗЫВАЮ:\n1. Руководителям ОО сдать отчёты до 1 марта.\n"
    result = read_protocol(undated)
    decision = result["decisions"][0]
    assert decision["deadline"] is None
    assert decision["warnings"] and "не указан год" in decision["warnings"][0]
    assert any(w.startswith("Пункт 1: срок «до 1 марта»") for w in result["warnings"])


@pytest.mark.parametrize(
    ("text", "kind", "date_", "warned"),
    [
        ("ежегодно до 1 июля представлять отчёт", "recurring", None, False),
        (
            "ежеквартально до 3 числа месяца, следующего за отчётным кварталом, представлять",
            "recurring",
            None,
            False,
        ),
        ("провести мониторинг в январе – феврале 2021 г.", "month", "2021-02-28", False),
        ("организовать работу в июле – августе 2021", "month", "2021-08-31", False),
        ("разработать программу (срок готовности – 1 ноября 2021 г.)", "date", "2021-11-01", False),
        ("провести педсовет (25.03.2021)", "date", "2021-03-25", False),
        ("подготовить справку в течение 10 дней", "date", "2021-01-25", False),
        ("обновить план в 2-недельный срок", "date", "2021-01-29", False),
        ("провести сверку в течение месяца", "date", "2021-02-15", False),
        ("незамедлительно сообщать о происшествиях", None, None, True),
        ("проводить проверки по мере необходимости", None, None, True),
        ("ограничить массовые мероприятия до особого распоряжения", None, None, True),
        ("сдать отчёт до 01.03.2021", "date", "2021-03-01", False),
        ("сдать отчёт до 01.03.1996", "date", "1996-03-01", True),  # read, and «check the year»
    ],
)
def test_deadline_wordings_in_an_order_of_15_january_2021(text, kind, date_, warned):
    order = f"ПРИКАЗ\n15.01.2021 № 3\nПРИКАЗЫВАЮ:\n1. Руководителям ОО {text}.\n"
    decision = read_protocol(order)["decisions"][0]
    deadline = decision["deadline"]
    assert (deadline["kind"] if deadline else None, deadline["date"] if deadline else None) == (
        kind,
        date_,
    )
    assert bool(decision["warnings"]) == warned, decision["warnings"]


@pytest.mark.parametrize(
    ("heard", "speaker"),
    [
        ("Баскакову Марину Михайловну, муниципального координатора", "Баскакова Марина Михайловна"),
        ("Н.В.Шадеркову, заведующую Отделом образования", "Н.В.Шадеркова"),
        ("Петрова П.П. о ходе подготовки", "Петрова П.П."),  # a woman, or a man declined?
    ],
)
def test_speaker_from_heard_in_the_nominative(heard, speaker):
    text = f"ПРОТОКОЛ № 1\nПовестка:\n1. О ходе подготовки\nСЛУШАЛИ: {heard}\nРЕШИЛИ:\n"
    assert read_protocol(text)["agenda"][0]["speaker"] == speaker


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("Протокол № 4\n«15» мая 2024 года\n", "date", "2024-05-15"),
        ("ПРОТОКОЛ\nДата проведения: 05.06.24\n", "date", "2024-06-05"),
        ("ПРОТОКОЛ № 9 от 1 марта 2024 г.\n", "date", "2024-03-01"),
        ("ВЫПИСКА ИЗ ПРОТОКОЛА № 3\n", "kind", "extract"),
        ("Аналитическая справка\n", "kind", "reference"),
        ("ПРОТОКОЛ\nВела протокол: Сидорова С.С.\n", "secretary", "Сидорова С.С."),
        ("ПРОТОКОЛ\nПредседатель: ____________ Н.В. Шадеркова\n", "chair", "Н.В. Шадеркова"),
        (
            "ПРОТОКОЛ\nМесто проведения: актовый зал МОУ СОШ № 3\n",
            "place",
            "актовый зал МОУ СОШ № 3",
        ),
    ],
)
def test_header_wording(text, field, value):
    assert read_protocol(text)[field] == value


def test_overlong_text_is_cut_with_a_warning():
    from tracker.protocols import reader

    result = read_protocol("ПРОТОКОЛ № 1\n" + "а" * (reader.MAX_TEXT + 10))
    assert any("прочитано только начало" in w for w in result["warnings"])


def test_non_text_input_does_not_raise():
    result = read_protocol(None)  # type: ignore[arg-type]
    assert result["decisions"] == [] and result["warnings"]


# --- never raises -----------------------------------------------------------------------------


@cache
def seed_lines() -> list[str]:
    synthetic = (MULTI_QUESTION + PARAGRAPHS_AND_TABLE + ROMAN_HEADINGS).splitlines()
    return (
        [line for seed in SEED_NUMBERS for line in seed_text(seed).splitlines()]
        + synthetic
        + [
            "РЕШИЛИ:",
            "Рекомендации.",
            "**РЕШИЛИ:**",
            "Председатель:",
            "Срок: январь 2024 года",
            "1.\tКорина Е.В.\tдиректор",
            "- ",
            "1.",
            "№",
            "№\tМероприятие\tОтветственный\tСрок",
            "1.\t\t\t",
        ]
    )


def check_draft(result: dict[str, Any]) -> None:
    assert json.loads(json.dumps(result)) == result
    assert not any(w.startswith(INTERNAL_ERROR) for w in result["warnings"]), result["warnings"]
    for decision in result["decisions"]:
        assert isinstance(decision["text"], str)


@FUZZ
@given(st.text(max_size=600))
def test_random_text_never_raises(text):
    check_draft(read_protocol(text, directory("ptz-uo")))


@FUZZ
@given(
    st.lists(
        st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=200), st.booleans()),
        max_size=40,
    ),
    st.sampled_from([None, "ptz-uo", "krh-oo", "zar-uo"]),
)
def test_random_mixtures_of_seed_lines_never_raise(picks, department):
    lines = seed_lines()
    text = "\n".join(
        (lines[i % len(lines)][:cut] if truncate else lines[i % len(lines)])
        for i, cut, truncate in picks
    )
    check_draft(read_protocol(text, directory(department) if department else None))
