"""The measure file format (docs/tariff-measures.md): what it reads, and every problem located."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from singlewindow.tariff import measure_file
from singlewindow.tariff.errors import InvalidMeasures, InvalidSchedule
from singlewindow.tariff.measure_file import known_code, parse_measure_file, read_measure_file
from singlewindow.tariff.measures import AreaKind, DocumentRole, MeasureType


def good() -> dict[str, Any]:
    return {
        "note": "a test file",
        "areas": [
            {"id": "CN", "description": "China", "kind": "country"},
            {
                "id": "RCEP",
                "description": "RCEP parties",
                "kind": "group",
                "memberships": [
                    {"country": "CN", "valid_from": "2022-01-01"},
                    {"country": "KR", "valid_from": "2022-02-01", "valid_to": None},
                ],
            },
        ],
        "agreements": [{"id": "RCEP", "name": "RCEP", "area": "RCEP"}],
        "additional_codes": [{"code": "C001", "description": "a producer"}],
        "document_types": [
            {"code": "FORM-X", "description": "a new certificate", "role": "proof_of_origin"}
        ],
        "measures": [
            {
                "id": "RCEP-0901",
                "type": "tariff_preference",
                "goods_code": "0901.11.00",
                "area": "RCEP",
                "valid_from": "2022-01-01",
                "valid_to": "2024-12-31",
                "duty": "10%",
                "agreement": "RCEP",
                "conditions": [["RCEP-CO", "ORIGIN-DECLARATION", "FORM-X"]],
            },
            {
                "id": "AD-7208",
                "type": "anti_dumping",
                "goods_code": "7208.25",
                "area": "CN",
                "valid_from": "2025-03-08",
                "duty": "20% min 3000/kg",
                "additional_code": "C001",
                "description": "anti-dumping on hot-rolled coils",
            },
            {
                "id": "BAN-3604",
                "type": "prohibition",
                "goods_code": "3604",
                "area": "1011",
                "excluded": ["LA"],
                "valid_from": "2022-01-01",
            },
        ],
    }


def problems_of(source: Any) -> dict[str, str]:
    text = source if isinstance(source, str | bytes) else json.dumps(source)
    with pytest.raises(InvalidMeasures) as caught:
        parse_measure_file(text)
    return {p.path: p.message for p in caught.value.problems}


def test_a_good_file_reads_into_measure_data() -> None:
    data, note = read_measure_file(json.dumps(good()))
    assert note == "a test file"
    assert [a.id for a in data.areas] == ["CN", "RCEP"]
    rcep = data.areas[1]
    assert rcep.kind is AreaKind.GROUP
    assert rcep.covers("KR", date(2022, 2, 1)) and not rcep.covers("KR", date(2022, 1, 31))
    preference, anti_dumping, ban = data.measures
    assert preference.type is MeasureType.TARIFF_PREFERENCE
    assert preference.goods_code == "09011100"  # the dots go
    assert preference.valid_to == date(2024, 12, 31)
    assert [t.code for t in preference.conditions[0].accepted] == [
        "RCEP-CO",
        "ORIGIN-DECLARATION",
        "FORM-X",
    ]
    assert anti_dumping.goods_code == "720825" and anti_dumping.additional_code == "C001"
    assert anti_dumping.duty is not None and anti_dumping.duty.minimum == 3000
    assert ban.duty is None and ban.excluded == frozenset({"LA"}) and ban.valid_to is None
    assert data.document_types[0].role is DocumentRole.PROOF_OF_ORIGIN
    assert data.additional_codes[0].code == "C001"


def test_written_back_it_reads_the_same() -> None:
    data, note = read_measure_file(json.dumps(good()))
    again, again_note = read_measure_file(json.dumps(measure_file.measure_file(data, note)))
    assert again == data and again_note == note


def test_an_empty_object_is_an_empty_file() -> None:
    data = parse_measure_file("{}")
    assert data.measures == () and data.areas == ()


def test_every_problem_of_a_measure_is_located() -> None:
    document = good()
    document["measures"].append(
        {
            "id": "bad id!",
            "type": "tariff",
            "goods_code": "7208.2",
            "area": 7,
            "valid_from": "2025-13-01",
            "valid_to": 20251231,
            "duty": "5 %%",
            "additional_code": "",
            "conditions": [["FORM-Z"], [], "PERMIT"],
            "excluded": "CN",
            "colour": "red",
        }
    )
    problems = problems_of(document)
    assert set(problems) == {
        "measures.3.id",
        "measures.3.type",
        "measures.3.goods_code",
        "measures.3.area",
        "measures.3.valid_from",
        "measures.3.valid_to",
        "measures.3.duty",
        "measures.3.additional_code",
        "measures.3.conditions.0.0",
        "measures.3.conditions.1",
        "measures.3.conditions.2",
        "measures.3.excluded",
        "measures.3.colour",
    }
    assert problems["measures.3.duty"].startswith("'5 %%' is not a rate")
    assert "unknown document type 'FORM-Z'" in problems["measures.3.conditions.0.0"]
    assert "unknown key 'colour'" in problems["measures.3.colour"]
    assert "not one of third_country_duty" in problems["measures.3.type"]
    assert "2, 4, 6 or 8 digits" in problems["measures.3.goods_code"]


def test_required_keys_are_required_once() -> None:
    problems = problems_of({"measures": [{"id": "M1"}], "areas": [{"id": "X"}]})
    assert problems == {
        "measures.0.type": "required",
        "measures.0.goods_code": "required",
        "measures.0.area": "required",
        "measures.0.valid_from": "required",
        "areas.0.description": "required",
        "areas.0.kind": "required",
    }


def test_areas_agreements_codes_and_document_types_are_checked() -> None:
    document = good()
    document["areas"] += [
        {"id": "GCC", "description": "a bloc", "kind": "bloc"},
        {"id": "CN", "description": "China again", "kind": "country"},
        {
            "id": "ASEAN",
            "description": "ASEAN",
            "kind": "group",
            "memberships": [{"country": "VN", "valid_from": "yesterday", "until": "2030-01-01"}],
        },
    ]
    document["agreements"].append({"id": "X", "area": "RCEP"})
    document["additional_codes"].append({"code": "C001", "description": "the same code"})
    document["document_types"].append({"code": "FORM-Y", "description": "?", "role": "visa"})
    document["note"] = 12
    problems = problems_of(document)
    assert set(problems) == {
        "areas.2.kind",
        "areas.3",
        "areas.4.memberships.0.valid_from",
        "areas.4.memberships.0.until",
        "agreements.1.name",
        "additional_codes.1",
        "document_types.1.role",
        "note",
    }
    assert "already defined at areas.0" in problems["areas.3"]
    assert "already defined at additional_codes.0" in problems["additional_codes.1"]


def test_a_condition_may_name_a_document_type_the_caller_knows() -> None:
    document = good()
    document["document_types"] = []
    assert "measures.0.conditions.0.2" in problems_of(document)
    known = {**measure_file.DOCUMENT_TYPES}
    known["FORM-X"] = measure_file.DocumentType(
        "FORM-X", "stored earlier", DocumentRole.PROOF_OF_ORIGIN
    )
    data = parse_measure_file(json.dumps(document), known)
    assert data.measures[0].conditions[0].accepted[2].description == "stored earlier"


def test_a_duplicate_measure_id_is_located_at_the_second() -> None:
    document = good()
    document["measures"].append(dict(document["measures"][2]))
    assert "already defined at measures.2" in problems_of(document)["measures.3"]


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        ("[1, 2]", "file", "an object, not a list"),
        ('{"measures": {}}', "measures", "a list"),
        ('{"areas": [', "file", "not JSON"),
        (b"\xff\xfe{}", "file", "not UTF-8"),
        ('{"measures": [3]}', "measures.0", "an object, not a number"),
    ],
)
def test_what_is_not_a_measure_file(text: str | bytes, where: str, says: str) -> None:
    assert says in problems_of(text)[where]


def test_a_file_over_the_size_limit_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(measure_file, "MAXIMUM_BYTES", 100)
    big = json.dumps({"note": "x" * 200})
    file = tmp_path / "big.json"
    file.write_text(big, encoding="utf-8")
    for source in (big, file, io.StringIO(big)):
        with pytest.raises(InvalidMeasures) as caught:
            parse_measure_file(source)
        assert "larger than" in caught.value.problems[0].message


def test_a_file_and_a_stream_read_like_text(tmp_path: Path) -> None:
    file = tmp_path / "measures.json"
    file.write_text("\ufeff" + json.dumps(good()), encoding="utf-8")
    assert len(parse_measure_file(file).measures) == 3
    assert len(parse_measure_file(io.StringIO(json.dumps(good()))).measures) == 3


def test_invalid_measures_is_an_invalid_schedule_for_its_callers() -> None:
    with pytest.raises(InvalidSchedule):
        parse_measure_file("[]")


def test_known_codes_are_the_nomenclatures() -> None:
    assert known_code("72") and known_code("7208") and known_code("720825")
    assert known_code("72082590")  # a national line under a subheading that exists
    assert not known_code("99") and not known_code("7299") and not known_code("72089990")


def test_the_documented_example_reads() -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "tariff-measures.md"
    text = doc.read_text(encoding="utf-8")
    example = text.split("## Example", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    data = parse_measure_file(example)
    assert [m.id for m in data.measures][:2] == ["RCEP-090111-2022", "RCEP-090111-2025"]
    assert data.measures[3].conditions[0].codes == {"PERMIT"}
