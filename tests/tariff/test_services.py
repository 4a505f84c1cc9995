"""Tariff use cases on a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from singlewindow.core.db import Database
from singlewindow.tariff import services
from singlewindow.tariff.errors import InvalidSchedule, UnknownCode, UnknownSchedule
from singlewindow.tariff.model import assess_item

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


def test_sample_lines_assess_with_excise_and_preference(sqlite_database: Database) -> None:
    services.ensure_sample_schedule(sqlite_database, "VN")
    book = services.tariff_book(sqlite_database, "VN")
    car = book.line("87032310", date(2025, 1, 1))
    assert car is not None and car.excise is not None and car.atiga is not None
    duties = assess_item(car, Decimal("500000000"), Decimal("1"), "VND", preference=True)
    assert duties[0].amount == Decimal("0") and duties[0].preferential
    assert duties[1].base == Decimal("500000000")


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


def test_a_thousand_lookups_take_well_under_a_millisecond_each(
    sqlite_database: Database,
) -> None:
    import time

    services.ensure_sample_schedule(sqlite_database, "VN")
    on = date(2025, 1, 1)
    start = time.perf_counter()
    for _ in range(10_000):
        services.tariff_book(sqlite_database, "VN").line("85171300", on)
    assert (time.perf_counter() - start) / 10_000 < 50e-6
