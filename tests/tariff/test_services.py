"""Tariff use cases on a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from singlewindow.core.db import Database
from singlewindow.core.errors import Invalid
from singlewindow.tariff import services
from singlewindow.tariff.errors import (
    InvalidMeasures,
    InvalidSchedule,
    UnknownCode,
    UnknownSchedule,
)
from singlewindow.tariff.measures import MeasureType

HEADER = "code,description,unit,valid_from,valid_to,mfn,atiga,vat,excise,reference_unit_value\n"
SCHEDULE = (
    "# A test schedule: this comment line is skipped.\n"
    + HEADER
    + '0901.11.00,"Coffee, not roasted",kg,2022-01-01,,15%,0%,10%,,100000\n'
    + "2203.00.90,Other beer,l,2022-01-01,2024-12-31,35% min 7500/l,0%,10%,65%,30000\n"
    + "2203.00.90,Other beer,l,2025-01-01,,30% min 7500/l,0%,10%,65%,30000\n"
    + "24022090,Other cigarettes,1000u,2022-01-01,,40% min 375000/1000u,,10%,75%,600000\n"
)


def problems_of(error: pytest.ExceptionInfo[InvalidSchedule]) -> dict[str, str]:
    return {p.path: p.message for p in error.value.problems}


def test_import_then_look_up_a_line_in_force(database: Database) -> None:
    report = services.import_schedule(database, "VN", SCHEDULE)
    assert (report.lines, report.inserted, report.updated, report.chapters) == (4, 4, 0, 3)
    line = services.find_line(database, "VN", "0901.11.00", date(2025, 6, 1))
    assert line.description == "Coffee, not roasted"
    assert str(line.mfn) == "15%"
    assert line.excise is None
    assert line.reference_unit_value == Decimal("100000")
    cigarettes = services.tariff_book(database, "VN").line("24022090", date(2025, 6, 1))
    assert cigarettes is not None and cigarettes.atiga is None


def test_dated_lines_answer_for_the_day_asked(database: Database) -> None:
    services.import_schedule(database, "VN", SCHEDULE)
    book = services.tariff_book(database, "VN")
    old = book.line("22030090", date(2024, 12, 31))
    new = book.line("22030090", date(2025, 1, 1))
    assert old is not None and str(old.mfn) == "35% min 7500/l"
    assert new is not None and str(new.mfn) == "30% min 7500/l"
    assert book.line("22030090", date(2021, 12, 31)) is None
    with pytest.raises(UnknownCode):
        services.find_line(database, "VN", "22030090", date(2021, 12, 31))


def test_every_bad_row_is_reported_and_nothing_is_stored(database: Database) -> None:
    bad = (
        HEADER
        + "0901.11.00,Coffee,kg,2022-01-01,,15%,0%,10%,,\n"  # fine (line 2)
        + "0901.11,Coffee,kg,2022-01-01,,15%,0%,10%,,\n"  # 6 digits (line 3)
        + "0901.19.00,Coffee,kg,2022-01-01,,15%,0%,10%,,\n"  # no such subheading
        + "0902.10.00,Tea,kg,01/01/2022,,fifteen,0%,10%,,\n"  # bad date and rate
        + "0902.20.00,Tea,kg,2022-01-01,2021-12-31,5%,0%,10%,,-3\n"  # to < from, value<0
        + "2203.00.90,Beer,l,2022-01-01,,35% min 7500/kg,0%,,,\n"  # unit clash, no VAT
        + ",,,,,,,,,\n"  # an empty row is skipped, not an error
        + "0901.11.00,Coffee again,kg,2022-01-01,,15%,0%,10%,,\n"  # duplicate of line 2
    )
    with pytest.raises(InvalidSchedule) as caught:
        services.import_schedule(database, "VN", bad)
    problems = problems_of(caught)
    assert set(problems) == {
        "line.3.code",
        "line.4.code",
        "line.5.valid_from",
        "line.5.mfn",
        "line.6.valid_to",
        "line.6.reference_unit_value",
        "line.7.mfn",
        "line.7.vat",
        "line.9.code",
    }
    assert "not in HS 2022" in problems["line.4.code"]
    assert "per kg but the line's unit is l" in problems["line.7.mfn"]
    assert services.tariff_book(database, "VN").line("09011100", date(2023, 1, 1)) is None


def test_header_problems_stop_the_import(database: Database) -> None:
    with pytest.raises(InvalidSchedule) as caught:
        services.import_schedule(database, "VN", "code,description,rate\n0901.11.00,x,5%\n")
    problems = problems_of(caught)
    assert "header.unit" in problems and "header.mfn" in problems
    assert "unknown column" in problems["header.rate"]


def test_overlapping_periods_of_one_code_are_refused(database: Database) -> None:
    overlapping = (
        HEADER
        + "0901.11.00,Coffee,kg,2022-01-01,2023-06-30,15%,0%,10%,,\n"
        + "0901.11.00,Coffee,kg,2023-01-01,,10%,0%,10%,,\n"
    )
    with pytest.raises(InvalidSchedule) as caught:
        services.import_schedule(database, "VN", overlapping)
    assert "overlaps" in problems_of(caught)["line.3.valid_from"]


def test_only_member_states_have_schedules(database: Database) -> None:
    with pytest.raises(InvalidSchedule) as caught:
        services.import_schedule(database, "FR", SCHEDULE)
    assert "country" in problems_of(caught)
    with pytest.raises(UnknownSchedule):
        services.tariff_book(database, "FR")


def test_a_reimport_merges_by_code_and_start_date(database: Database) -> None:
    services.import_schedule(database, "VN", SCHEDULE)
    book = services.tariff_book(database, "VN")
    update = HEADER + "0901.11.00,Coffee beans,kg,2022-01-01,,12%,0%,10%,,\n"
    report = services.import_schedule(database, "VN", update)
    assert (report.inserted, report.updated, report.revision) == (0, 1, 2)
    fresh = services.tariff_book(database, "VN")
    assert fresh is not book  # the import invalidated the cached book
    coffee = fresh.line("09011100", date(2023, 1, 1))
    assert coffee is not None and str(coffee.mfn) == "12%"
    assert len(fresh) == 4  # the other lines stayed


def test_a_reimport_with_replace_replaces_the_whole_schedule(database: Database) -> None:
    services.import_schedule(database, "VN", SCHEDULE)
    update = HEADER + "0901.11.00,Coffee beans,kg,2022-01-01,,12%,0%,10%,,\n"
    report = services.import_schedule(database, "VN", update, replace=True)
    assert (report.deleted, report.inserted) == (4, 1)
    assert len(services.tariff_book(database, "VN")) == 1


def test_the_book_is_cached_and_sees_other_workers_imports(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "BOOK_RECHECK_SECONDS", 60.0)  # a slow machine's import
    services.import_schedule(database, "VN", SCHEDULE)
    book = services.tariff_book(database, "VN")
    assert services.tariff_book(database, "VN") is book
    # Another process imports: only the stored revision tells this one.
    other = Database(database.url)
    try:
        services.import_schedule(
            other, "VN", HEADER + "0901.12.00,Decaf,kg,2022-01-01,,15%,0%,10%,,\n"
        )
    finally:
        other.dispose()
    assert services.tariff_book(database, "VN") is book  # within the recheck interval
    monkeypatch.setattr(services, "BOOK_RECHECK_SECONDS", 0.0)
    reloaded = services.tariff_book(database, "VN")
    assert reloaded is not book and reloaded.line("09011200", date(2023, 1, 1)) is not None


def test_import_from_a_file_and_a_stream(database: Database, tmp_path: Path) -> None:
    file = tmp_path / "vn.csv"
    file.write_text("\ufeff" + SCHEDULE, encoding="utf-8")
    assert services.import_schedule(database, "VN", file).lines == 4
    assert services.import_schedule(database, "KH", io.StringIO(SCHEDULE)).lines == 4


def test_search_by_words_and_code_prefix(database: Database) -> None:
    services.import_schedule(database, "VN", SCHEDULE)
    on = date(2025, 6, 1)

    def codes(query: str) -> list[str]:
        return [line.code for line in services.search_schedule(database, "VN", query, on)]

    assert codes("coffee") == ["09011100"]
    # The HS subheading's words count too: 2402.20 is "Cigarettes; containing tobacco".
    assert codes("tobacco") == ["24022090"]
    assert codes("2203") == ["22030090"]
    every_version = services.search_schedule(database, "VN", "", None, prefix="2203")
    assert [line.valid_from.year for line in every_version] == [2022, 2025]
    assert services.search_schedule(database, "VN", "beer coffee", on) == []


def test_a_schedule_search_answers_one_page_and_the_total(database: Database) -> None:
    services.ensure_sample_schedule(database, "VN")
    every = services.search_schedule(database, "VN", "", None)
    page, total = services.search_schedule_page(database, "VN", "", None, limit=10, offset=5)
    assert (page, total) == (every[5:15], len(every))
    beyond, total = services.search_schedule_page(database, "VN", "", None, offset=len(every))
    assert (beyond, total) == ([], len(every))


def test_ensure_sample_schedule_loads_once(database: Database) -> None:
    report = services.ensure_sample_schedule(database, "VN")
    assert report is not None and report.lines >= 200
    assert services.ensure_sample_schedule(database, "VN") is None


@pytest.mark.parametrize("country", ["VN", "KH", "LA", "TH", "MY", "SG"])
def test_the_sample_schedules_are_marked_and_large_enough(country: str) -> None:
    file = services.sample_schedule(country)
    assert file is not None
    text = file.read_text(encoding="utf-8")
    assert text.startswith("# SAMPLE") and "NOT the official AHTN 2022" in text
    lines = services.parse_schedule(country, text)
    assert len(lines) >= 220
    assert len({line.chapter for line in lines}) >= 24


@pytest.mark.parametrize("country", ["VN", "KH"])
def test_the_samples_hold_the_lines_later_flows_use(country: str) -> None:
    file = services.sample_schedule(country)
    assert file is not None
    codes = {line.code for line in services.parse_schedule(country, file)}
    for wanted in ("09011100", "61091000", "84713000", "85171300"):
        assert wanted in codes
    for prefix in ("100630", "400122", "640399", "870323", "220300", "240220", "940360", "4407"):
        assert any(code.startswith(prefix) for code in codes), prefix


def test_sample_lines_carry_excise_and_the_atiga_preference_as_measures(
    sqlite_database: Database,
) -> None:
    services.ensure_sample_schedule(sqlite_database, "VN")
    book = services.tariff_book(sqlite_database, "VN")
    car = book.line("87032310", date(2025, 1, 1))
    assert car is not None and car.excise is not None and car.atiga is not None
    found = book.measures.applicable("87032310", "TH", date(2025, 1, 1))
    (atiga,) = [m for m in found[MeasureType.TARIFF_PREFERENCE] if m.agreement == "ATIGA"]
    assert atiga.duty is not None and atiga.duty.amount(Decimal("500000000"), Decimal("1")) == 0
    assert [str(m.duty) for m in found[MeasureType.EXCISE]] == [str(car.excise)]


def test_the_generator_reproduces_the_shipped_samples(tmp_path: Path) -> None:
    import importlib.util
    import sys

    tool = Path(__file__).resolve().parents[2] / "tools" / "make_sample_schedules.py"
    spec = importlib.util.spec_from_file_location("make_sample_schedules", tool)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    lines = module.pick_codes(module.read_hs())
    for country in module.COUNTRIES:
        shipped = services.sample_schedule(country.code)
        assert shipped is not None
        assert module.schedule(country, lines) == shipped.read_text(encoding="utf-8")
    # and the columns are the importer's
    header = next(csv.reader([module.schedule(module.COUNTRIES[0], {}).splitlines()[-1]]))
    assert tuple(header) == services.COLUMNS


# ---------------------------------------------------------------------------------------------
# Measure files (docs/tariff-measures.md)

CN_AREA = {"id": "CN", "description": "China", "kind": "country"}
RCEP_AREA = {
    "id": "RCEP",
    "description": "RCEP parties",
    "kind": "group",
    "memberships": [
        {"country": "CN", "valid_from": "2022-01-01"},
        {"country": "JP", "valid_from": "2022-01-01"},
        {"country": "KR", "valid_from": "2022-02-01"},
    ],
}
RCEP_AGREEMENT = {"id": "RCEP", "name": "RCEP", "area": "RCEP"}


def rcep_coffee(id: str, duty: str, valid_from: str, valid_to: str | None = None) -> dict:
    measure = {
        "id": id,
        "type": "tariff_preference",
        "goods_code": "0901.11.00",
        "area": "RCEP",
        "valid_from": valid_from,
        "duty": duty,
        "agreement": "RCEP",
        "conditions": [["RCEP-CO", "ORIGIN-DECLARATION"]],
    }
    if valid_to:
        measure["valid_to"] = valid_to
    return measure


def measures_file(*measures: dict, areas: tuple[dict, ...] = (CN_AREA, RCEP_AREA)) -> str:
    return json.dumps(
        {"areas": list(areas), "agreements": [RCEP_AGREEMENT], "measures": list(measures)}
    )


def stored_ids(database: Database, country: str = "VN") -> list[str]:
    return [m["id"] for m in services.stored_measure_file(database, country)["measures"]]


def measure_ids(answer: services.ApplicableMeasures) -> list[str]:
    return [found.measure.id for found in answer.measures]


@pytest.mark.parametrize("country", ["VN", "TH"])
def test_the_sample_measure_files_import_on_the_sample_schedules(
    database: Database, country: str
) -> None:
    services.ensure_sample_schedule(database, country)  # schedule and measures
    file = services.sample_measures(country)
    assert file is not None
    document = json.loads(file.read_text(encoding="utf-8"))
    assert document["note"].startswith("SAMPLE") and "NOT" in document["note"]
    assert len(document["agreements"]) >= 5
    kinds = {m["type"] for m in document["measures"]}
    assert {"tariff_preference", "anti_dumping", "prohibition", "restriction"} <= kinds
    assert all(
        m.get("additional_code") for m in document["measures"] if m["type"] == "anti_dumping"
    )
    assert len(stored_ids(database, country)) == len(document["measures"])
    # a second import of the same file replaces every entry by its id
    report = services.import_measures(database, country, file)
    assert report.replaced == sum(
        len(document[k])
        for k in ("measures", "areas", "agreements", "additional_codes", "document_types")
    )
    assert len(stored_ids(database, country)) == len(document["measures"])


def test_the_vn_sample_answers_hand_checked_rates(sqlite_database: Database) -> None:
    services.ensure_sample_schedule(sqlite_database, "VN")
    on = date(2025, 6, 1)

    def duty(code: str, origin: str, kind: str, of: str | None = None) -> Decimal:
        """The amount of the one measure of `kind` (of agreement or additional code `of`)
        on 1,000,000 VND and 100 units."""
        additional_code = None if kind == "tariff_preference" else of
        answer = services.applicable_measures(
            sqlite_database, "VN", code, origin, on, additional_code
        )
        found = [
            f.measure
            for f in answer.measures
            if f.measure.type == kind and (kind != "tariff_preference" or f.measure.agreement == of)
        ]
        assert len(found) == 1, (code, origin, kind, measure_ids(answer))
        assert found[0].duty is not None
        return found[0].duty.amount(Decimal("1000000"), Decimal("100"))

    # EVFTA beer from Germany, 1,000,000 VND for 100 l: 25% is 250,000, the minimum
    # 5,000/l makes 500,000.
    assert duty("2203.00.90", "DE", "tariff_preference", "EVFTA") == Decimal("500000")
    # ACFTA coffee from China: the 0% on heading 0901 covers 0901.11.00.
    assert duty("0901.11.00", "CN", "tariff_preference", "ACFTA") == Decimal("0")
    # RCEP coffee from Japan in 2025: 7.5% of 1,000,000.
    assert duty("0901.11.00", "JP", "tariff_preference", "RCEP") == Decimal("75000")
    # AKFTA cars from Korea: 20%; CPTPP oranges from Canada: 5%.
    assert duty("8703.23.10", "KR", "tariff_preference", "AKFTA") == Decimal("200000")
    assert duty("0805.10.00", "CA", "tariff_preference", "CPTPP") == Decimal("50000")
    # VJEPA leather footwear from Japan: 10%, a document type the file defines (Form VJ)
    assert duty("6403.99.90", "JP", "tariff_preference", "VJEPA") == Decimal("100000")
    # anti-dumping on C001's hot-rolled coils: 23.1% of 1,000,000
    assert duty("7208.25.00", "CN", "anti_dumping", "C001") == Decimal("231000")
    # environmental protection tax on 100 l of petrol in 2025: 2,000/l
    assert duty("2710.12.24", "SG", "environmental_tax") == Decimal("200000")


def test_the_th_sample_answers_its_agreements_and_prohibitions(sqlite_database: Database) -> None:
    services.ensure_sample_schedule(sqlite_database, "TH")
    on = date(2025, 6, 1)

    def found(code: str, origin: str) -> dict[str, str]:
        answer = services.applicable_measures(sqlite_database, "TH", code, origin, on)
        return {f.measure.id: str(f.measure.duty) for f in answer.measures}

    # AANZFTA's 0% on heading 0806 covers fresh grapes from Australia; TAFTA's beer rate
    assert found("0806.10.00", "AU")["TH-AANZFTA-0806"] == "0%"
    assert found("2203.00.90", "AU")["TH-TAFTA-22030090"] == "0%"
    assert "TH-TAFTA-22030090" not in found("2203.00.90", "NZ")  # NZ is not a TAFTA party
    assert found("7209.26.00", "JP")["TH-JTEPA-72092600"] == "0%"
    assert "TH-PROHIBITION-854340" in found("8543.40", "CN")
    answer = services.applicable_measures(sqlite_database, "TH", "3808.91", "IN", on)
    (permit,) = answer.measures
    assert [t.code for t in permit.conditions[0]] == ["PERMIT"]


def test_a_merge_replaces_entries_by_id_and_keeps_the_others(database: Database) -> None:
    services.import_schedule(database, "VN", SCHEDULE)
    first = services.import_measures(
        database, "VN", measures_file(rcep_coffee("RCEP-1", "10%", "2022-01-01", "2024-12-31"))
    )
    assert (first.measures, first.areas, first.agreements, first.replaced) == (1, 2, 1, 0)
    second = services.import_measures(
        database,
        "VN",
        measures_file(
            rcep_coffee("RCEP-1", "12%", "2022-01-01", "2024-12-31"),
            rcep_coffee("RCEP-2", "7.5%", "2025-01-01"),
        ),
    )
    assert (second.replaced, second.deleted, second.revision) == (4, 0, first.revision + 1)
    stored = services.stored_measure_file(database, "VN")
    assert [m["id"] for m in stored["measures"]] == ["RCEP-1", "RCEP-2"]
    assert stored["measures"][0]["duty"] == "12%"
    assert [m["country"] for m in stored["areas"][1]["memberships"]] == ["CN", "JP", "KR"]


def test_replace_deletes_the_stored_measure_data_first(database: Database) -> None:
    services.import_schedule(database, "VN", SCHEDULE)
    services.import_measures(
        database, "VN", measures_file(rcep_coffee("RCEP-1", "10%", "2022-01-01", "2024-12-31"))
    )
    only = json.dumps({"areas": [CN_AREA], "measures": []})
    report = services.import_measures(database, "VN", only, replace=True)
    assert report.deleted == 1 + 3 + 2 + 1  # the measure, memberships, areas, agreement
    stored = services.stored_measure_file(database, "VN")
    assert (stored["measures"], [a["id"] for a in stored["areas"]]) == ([], ["CN"])


def test_a_bad_measure_file_stores_nothing_and_says_where(database: Database) -> None:
    services.import_schedule(database, "VN", SCHEDULE)
    services.import_measures(
        database, "VN", measures_file(rcep_coffee("RCEP-1", "10%", "2022-01-01", "2024-12-31"))
    )
    revision = services.tariff_book(database, "VN").revision
    bad = measures_file(
        rcep_coffee("RCEP-2", "7.5%", "2025-01-01"),  # fine
        {  # a code HS 2022 does not have, and an area nobody defined
            "id": "BAN-1",
            "type": "prohibition",
            "goods_code": "0999",
            "area": "MARS",
            "valid_from": "2022-01-01",
        },
        rcep_coffee("RCEP-3", "5%", "2024-01-01"),  # overlaps the stored RCEP-1
        {  # a third-country duty on the chapter overlaps the schedule's MFN on 0901.11.00
            "id": "MFN-09",
            "type": "third_country_duty",
            "goods_code": "09",
            "area": "1011",
            "valid_from": "2022-01-01",
            "duty": "5%",
        },
        areas=(
            CN_AREA,
            {**RCEP_AREA, "memberships": [{"country": "ZZ", "valid_from": "2022-01-01"}]},
        ),
    )
    with pytest.raises(InvalidMeasures) as caught:
        services.import_measures(database, "VN", bad)
    problems = problems_of(caught)
    assert "no goods code 0999" in problems["measures.1.goods_code"]
    assert "MARS" in problems["measures.1.area"]
    assert "stored measure RCEP-1" in problems["measures.2"]
    assert "the schedule's mfn of 09011100" in problems["measures.3"]
    assert "'ZZ' is not a country code" in problems["areas.1.memberships.0.country"]
    assert stored_ids(database) == ["RCEP-1"]
    assert services.tariff_book(database, "VN").revision == revision  # not even bumped


def test_a_file_with_entries_that_do_not_read_still_has_every_problem_reported(
    database: Database,
) -> None:
    services.import_schedule(database, "VN", SCHEDULE)
    bad = measures_file(
        {**rcep_coffee("RCEP-1", "5 %%", "2025-01-01")},  # a duty that does not parse
        {  # reads, but names a code HS 2022 does not have and an area nobody defined
            "id": "BAN-1",
            "type": "prohibition",
            "goods_code": "0999",
            "area": "MARS",
            "valid_from": "2022-01-01",
        },
        {  # reads, but overlaps the schedule's MFN on 0901.11.00
            "id": "MFN-09",
            "type": "third_country_duty",
            "goods_code": "09",
            "area": "1011",
            "valid_from": "2022-01-01",
            "duty": "5%",
        },
        {**rcep_coffee("RCEP-9", "5%", "2025-01-01"), "area": "BAD AREA!"},
        areas=(CN_AREA, {**RCEP_AREA, "kind": "planet"}),  # RCEP does not read either
    )
    with pytest.raises(InvalidMeasures) as caught:
        services.import_measures(database, "VN", bad)
    problems = problems_of(caught)
    assert "'5 %%' is not a rate" in problems["measures.0.duty"]
    assert "no goods code 0999" in problems["measures.1.goods_code"]
    assert "MARS" in problems["measures.1.area"]
    assert "the schedule's mfn of 09011100" in problems["measures.2"]
    assert "measures.3.area" in problems
    assert "areas.1.kind" in problems
    # the agreement names the area that did not read: that is no second problem of its own
    assert not any(path.startswith("agreements") for path in problems), problems
    assert stored_ids(database) == []


def test_a_file_that_breaks_a_stored_measure_is_refused(database: Database) -> None:
    services.import_schedule(database, "VN", SCHEDULE)
    services.import_measures(
        database, "VN", measures_file(rcep_coffee("RCEP-1", "10%", "2022-01-01"))
    )
    # the agreement now names an area the file does not define and nothing stores
    no_area = json.dumps({"agreements": [{"id": "RCEP", "name": "RCEP", "area": "RCEP2"}]})
    with pytest.raises(InvalidMeasures) as caught:
        services.import_measures(database, "VN", no_area)
    assert "no geographical area 'RCEP2'" in problems_of(caught)["agreements.0.area"]
    # replacing everything with a file that does not define RCEP leaves RCEP-1 dangling
    with pytest.raises(InvalidMeasures):
        services.import_measures(
            database, "VN", json.dumps({"measures": [rcep_coffee("RCEP-1", "9%", "2022-01-01")]}),
            replace=True,
        )
    assert services.stored_measure_file(database, "VN")["measures"][0]["duty"] == "10%"


def test_only_member_states_have_measures(database: Database) -> None:
    with pytest.raises(InvalidMeasures) as caught:
        services.import_measures(database, "FR", "{}")
    assert "country" in problems_of(caught)


def test_a_schedule_that_would_overlap_a_stored_measure_is_refused(database: Database) -> None:
    services.import_schedule(database, "VN", SCHEDULE)
    mfn_on_wheat = {
        "id": "MFN-1001",
        "type": "third_country_duty",
        "goods_code": "1001",
        "area": "1011",
        "valid_from": "2022-01-01",
        "duty": "5%",
    }
    services.import_measures(database, "VN", json.dumps({"measures": [mfn_on_wheat]}))
    wheat = HEADER + "1001.99.00,Wheat,kg,2022-01-01,,3%,0%,5%,,\n"
    with pytest.raises(InvalidSchedule) as caught:
        services.import_schedule(database, "VN", wheat)
    problems = problems_of(caught)
    assert set(problems) == {"line.2.mfn"}
    assert "stored measure MFN-1001" in problems["line.2.mfn"]
    assert services.tariff_book(database, "VN").line("10019900", date(2023, 1, 1)) is None
    # the same line after the measure's end is fine
    services.import_measures(
        database, "VN", json.dumps({"measures": [{**mfn_on_wheat, "valid_to": "2022-12-31"}]})
    )
    later = HEADER + "1001.99.00,Wheat,kg,2023-01-01,,3%,0%,5%,,\n"
    assert services.import_schedule(database, "VN", later).inserted == 1


def test_as_of_queries_on_both_sides_of_a_rate_change(database: Database) -> None:
    services.import_schedule(database, "VN", SCHEDULE)
    services.import_measures(
        database,
        "VN",
        measures_file(
            rcep_coffee("RCEP-1", "10%", "2022-01-01", "2024-12-31"),
            rcep_coffee("RCEP-2", "7.5%", "2025-01-01"),
        ),
    )

    def preference(on: date, origin: str = "JP") -> str | None:
        answer = services.applicable_measures(database, "VN", "0901.11.00", origin, on)
        found = [f for f in answer.measures if f.measure.type.value == "tariff_preference"]
        return None if not found else str(found[0].measure.duty)

    assert preference(date(2024, 12, 31)) == "10%"
    assert preference(date(2025, 1, 1)) == "7.5%"
    assert preference(date(2021, 12, 31)) is None  # before RCEP
    assert preference(date(2022, 1, 31), "KR") is None  # Korea joined on 2022-02-01
    assert preference(date(2022, 2, 1), "KR") == "10%"
    answer = services.applicable_measures(database, "VN", "09011100", "jp", date(2025, 1, 1))
    assert answer.origin == "JP" and answer.line is not None
    first = {f.measure.id: f for f in answer.measures}["RCEP-2"]
    assert first.agreement_name == "RCEP" and first.area_description == "RCEP parties"
    assert [[t.code for t in c] for c in first.conditions] == [["RCEP-CO", "ORIGIN-DECLARATION"]]
    assert "measure RCEP-2" in first.measure.citation


def test_an_as_of_query_asks_a_code_and_an_origin_that_exist(database: Database) -> None:
    services.ensure_sample_schedule(database, "VN")
    on = date(2025, 6, 1)
    # an HS code with no national line: its own measures still answer
    fireworks = services.applicable_measures(database, "VN", "3604.10", "CN", on)
    assert fireworks.line is None and measure_ids(fireworks) == ["VN-PROHIBITION-3604"]
    with pytest.raises(UnknownCode):
        services.applicable_measures(database, "VN", "0999", "CN", on)
    with pytest.raises(UnknownCode):
        services.applicable_measures(database, "VN", "09019990", "CN", on)
    with pytest.raises(Invalid) as caught:
        services.applicable_measures(database, "VN", "09a", "XX", on)
    assert {p.path for p in caught.value.problems} == {"code", "origin"}
    # anti-dumping only for the producer that declares its code
    steel = services.applicable_measures(database, "VN", "7208.25.00", "CN", on)
    assert not any(m.startswith("VN-AD") for m in measure_ids(steel))
    of_c002 = services.applicable_measures(database, "VN", "7208.25.00", "CN", on, "C002")
    assert "VN-AD-720825-C002" in measure_ids(of_c002)
    assert "VN-AD-720825-C002" not in measure_ids(
        services.applicable_measures(database, "VN", "7208.25.00", "KR", on, "C002")
    )


def test_the_book_reloads_with_the_measures_after_an_import(database: Database) -> None:
    services.import_schedule(database, "VN", SCHEDULE)
    book = services.tariff_book(database, "VN")
    assert "RCEP-1" not in {m.id for m in book.measures.measures}
    services.import_measures(
        database, "VN", measures_file(rcep_coffee("RCEP-1", "10%", "2022-01-01"))
    )
    fresh = services.tariff_book(database, "VN")
    assert fresh is not book and fresh.revision == book.revision + 1
    assert "RCEP-1" in {m.id for m in fresh.measures.measures}
    duties = fresh.measures.duties_for("09011100", "JP", date(2023, 1, 1), claimed="RCEP")
    assert duties.preference is None and duties.refusal is not None  # no proof presented


def test_ensure_sample_schedule_loads_the_sample_measures_once(database: Database) -> None:
    services.ensure_sample_schedule(database, "VN")
    count = len(stored_ids(database))
    assert count >= 20
    services.import_measures(database, "VN", json.dumps({"areas": [CN_AREA]}), replace=True)
    services.ensure_sample_schedule(database, "VN")  # the country has measure data: kept
    assert stored_ids(database) == []
    # a country without a sample measure file has none
    services.ensure_sample_schedule(database, "KH")
    assert stored_ids(database, "KH") == []
