"""Reference use cases on a real node database (SQLite and PostgreSQL): the sample register
and rates, all-or-nothing loads, and the in-memory look-ups lodgement will call."""

from __future__ import annotations

import time
from datetime import date
from decimal import Context, Decimal
from pathlib import Path

import pytest
from sqlalchemy import event

from singlewindow.core.countries import ASEAN
from singlewindow.core.db import Database
from singlewindow.reference import repository, services
from singlewindow.reference.errors import (
    InvalidOffice,
    InvalidRateTable,
    NoPublishedRate,
    OfficeRefused,
    OverlappingRates,
    RateNotPublished,
    UnknownOffice,
    UnknownRate,
)
from singlewindow.reference.model import Office, OfficeKind, Procedure
from singlewindow.reference.services import RateEntry, ReferenceData

DAY = date(2026, 3, 4)
REQUIRED = {
    "VN": {"VNHCM01", "VNHAN01"},
    "KH": {"KHPNH01"},
    "LA": {"LAVTE01"},
    "TH": {"THBKK01"},
    "MY": {"MYKUL01"},
    "SG": {"SGSIN01"},
    "ID": {"IDJKT01"},
    "PH": {"PHMNL01"},
    "BN": {"BNBWN01"},
    "MM": {"MMRGN01"},
}
PER_USD = {
    "USD": "1", "EUR": "0.92", "CNY": "7.25", "JPY": "150", "KRW": "1380", "VND": "25400",
    "KHR": "4100", "LAK": "21500", "THB": "35.5", "MYR": "4.45", "SGD": "1.34",
    "IDR": "15700", "PHP": "56.2", "BND": "1.34", "MMK": "2100",
}  # fmt: skip


def revision(database: Database, country: str = "VN") -> int:
    with database.unit_of_work() as session:
        return repository.revision_of(session, country)


def stored_rates(database: Database, country: str = "VN") -> list[tuple[str, str, bool]]:
    return [(r.currency, str(r.rate), r.sample) for r in services.list_rates(database, country)]


@pytest.fixture
def vn(database: Database) -> Database:
    services.ensure_sample_reference(database, "VN")
    return database


# --- the sample content ----------------------------------------------------------------------


def test_every_member_state_gets_its_sample_register_with_the_agreed_codes(
    database: Database,
) -> None:
    for country, codes in REQUIRED.items():
        services.ensure_sample_reference(database, country)
        offices = services.list_offices(database, country)
        assert 3 <= len(offices) <= 6, country
        assert all(o.sample and o.country == country for o in offices)
        by_code = {o.code: o for o in offices}
        for code in codes:
            assert by_code[code].procedures == frozenset(Procedure), code
        if country != "PH":  # the Philippines have no land border
            assert any(o.kind is OfficeKind.LAND_BORDER for o in offices), country
    vn = {o.code: o for o in services.list_offices(database, "VN")}
    assert vn["VNHCM01"].kind is OfficeKind.SEAPORT and "Ho Chi Minh" in vn["VNHCM01"].name
    assert vn["VNHAN01"].kind is OfficeKind.AIRPORT and "Noi Bai" in vn["VNHAN01"].name
    # The transit route Laos → Thailand → Malaysia crosses at paired border offices.
    transit = {o.code for c in ("LA", "TH", "MY") for o in services.list_offices(
        database, c, procedure=Procedure.TRANSIT, kind=OfficeKind.LAND_BORDER)}  # fmt: skip
    assert {"LAVTE01", "THNKI01", "THSDO01", "MYBKH01"} <= transit


def test_sample_rates_are_cross_rates_of_the_usd_figures(database: Database) -> None:
    six_digits = Context(prec=6)
    for country, member in ASEAN.items():
        services.ensure_sample_reference(database, country)
        table = services.rate_table(database, country)
        national = member.currency
        assert len(table) == len(PER_USD)
        for currency, per_usd in PER_USD.items():
            rate = table.rate(currency, date(2025, 1, 1))
            assert (
                rate is not None
                and rate.sample
                and rate == table.rate(currency, date(2027, 12, 31))
            )
            expected = six_digits.divide(Decimal(PER_USD[national]), Decimal(per_usd))
            assert rate.rate == expected, (country, currency)
        assert table.rate(national, DAY).rate == 1  # type: ignore[union-attr]
        assert table.rate("USD", date(2028, 1, 1)) is None
    vn = services.rate_table(database, "VN")
    assert vn.rate("USD", DAY).rate == Decimal("25400")  # type: ignore[union-attr]


def test_the_sample_is_loaded_once_and_never_over_the_administrations_data(
    vn: Database,
) -> None:
    before = revision(vn)
    services.ensure_sample_reference(vn, "VN")
    assert revision(vn) == before
    # A node whose administration has entered its own register gets no sample offices.
    services.register_office(vn, "KH", office("KHOWN01"))
    services.ensure_sample_reference(vn, "KH")
    assert [o.code for o in services.list_offices(vn, "KH")] == ["KHOWN01"]
    assert all(r.sample for r in services.list_rates(vn, "KH"))  # but its rates, yes


# --- the office register ----------------------------------------------------------------------


def office(code: str, **kw: object) -> Office:
    values: dict[str, object] = {
        "name": "Da Nang, Tien Sa seaport",
        "kind": OfficeKind.SEAPORT,
        "procedures": frozenset({Procedure.IMPORT, Procedure.EXPORT}),
        "valid_from": date(2026, 1, 1),
    }
    values.update(kw)
    return Office(code=code, **values)  # type: ignore[arg-type]


def test_an_administrator_registers_and_replaces_an_office(vn: Database) -> None:
    stored, created = services.register_office(vn, "VN", office("VNDNG01"))
    assert created and not stored.sample
    closed, created = services.register_office(
        vn, "VN", office("VNDNG01", valid_to=date(2026, 6, 30))
    )
    assert not created and closed.valid_to == date(2026, 6, 30)
    assert services.get_office(vn, "VN", "vndng01") == closed
    # Replacing a sample entry makes it the administration's own.
    own, _ = services.register_office(vn, "VN", office("VNHCM01", name="Cat Lai"))
    assert not own.sample


def test_a_bad_office_entry_changes_nothing(vn: Database) -> None:
    before = revision(vn)
    with pytest.raises(InvalidOffice) as refused:
        services.register_office(vn, "VN", office("THBKK09", name=""))
    assert [p.path for p in refused.value.problems] == ["code", "name"]
    assert revision(vn) == before
    with pytest.raises(UnknownOffice):
        services.get_office(vn, "VN", "THBKK09")


def test_an_office_of_another_country_is_not_in_this_register(database: Database) -> None:
    services.ensure_sample_reference(database, "TH")
    with pytest.raises(UnknownOffice):
        services.get_office(database, "VN", "THBKK01")


def test_offices_listed_by_day_and_procedure(vn: Database) -> None:
    services.register_office(vn, "VN", office("VNDNG01", valid_from=date(2026, 5, 1)))
    open_today = {o.code for o in services.list_offices(vn, "VN", on=DAY)}
    assert "VNHCM01" in open_today and "VNDNG01" not in open_today
    transit = {o.code for o in services.list_offices(vn, "VN", procedure=Procedure.TRANSIT)}
    assert "VNHPH01" not in transit and "VNHCM01" in transit


# --- exchange rates ---------------------------------------------------------------------------


def test_a_rate_table_is_loaded_from_its_csv_file(vn: Database, tmp_path: Path) -> None:
    file = tmp_path / "week10.csv"
    file.write_text(
        "\ufeff# VN customs rates, week 10\ncurrency,rate,valid_from,valid_to\n"
        "usd,25412,2026-03-02,2026-03-08\nUSD,25430.5,2026-03-09,2026-03-15\n"
        "EUR,27690.123456789012,2026-03-02,2026-03-08\n",
        encoding="utf-8",
    )
    report = services.import_rates(vn, "VN", file)
    assert (report.rates, report.inserted, report.unchanged, report.samples_replaced) == (
        3,
        3,
        0,
        2,
    )
    usd = services.find_rate(vn, "VN", "USD", date(2026, 3, 9))
    assert (usd.rate, usd.sample) == (Decimal("25430.5"), False)
    # Twelve decimals come back exactly on both engines.
    eur = services.find_rate(vn, "VN", "EUR", date(2026, 3, 8))
    assert str(eur.rate) == "27690.123456789012"
    # The currencies the table did not name keep their (sample) rates.
    assert services.find_rate(vn, "VN", "THB", DAY).sample
    with pytest.raises(UnknownRate):
        services.find_rate(vn, "VN", "USD", date(2026, 3, 16))  # sample USD replaced
    again = services.import_rates(vn, "VN", file)
    assert (again.inserted, again.unchanged) == (0, 3)


def test_a_bad_table_lists_every_problem_by_line_and_loads_nothing(vn: Database) -> None:
    before, rates = revision(vn), stored_rates(vn)
    text = (
        "# comment lines count, so paths are the file's line numbers\n"
        "currency,rate,valid_from,valid_to\n"
        "USD,25412,2026-03-02,2026-03-08\n"
        "USD,abc,2026-03-09,2026-03-15\n"
        "EUR,27690,2026-02-30,2026-03-08\n"
        "XYZ,1,2026-03-02,2026-03-08\n"
        "VND,2,2026-03-02,2026-03-08\n"
        "JPY,,2026-03-02,2026-03-01\n"
    )
    with pytest.raises(InvalidRateTable) as refused:
        services.import_rates(vn, "VN", text)
    assert [p.path for p in refused.value.problems] == [
        "line.4.rate",
        "line.5.valid_from",
        "line.8.rate",
    ]
    # Rows that parse are then checked as rates: still nothing stored.
    with pytest.raises(InvalidRateTable) as refused:
        services.import_rates(vn, "VN", text.replace("abc", "1").replace("02-30", "02-28")
                              .replace("JPY,,", "JPY,1,"))  # fmt: skip
    assert [p.path for p in refused.value.problems] == [
        "line.6.currency",
        "line.7.rate",
        "line.8.valid_to",
    ]
    assert (revision(vn), stored_rates(vn)) == (before, rates)


def test_a_header_with_an_unknown_or_missing_column_is_refused(vn: Database) -> None:
    with pytest.raises(InvalidRateTable) as refused:
        services.import_rates(vn, "VN", "currency,rate,valid_from,until\nUSD,1,2026-01-01,\n")
    assert [p.path for p in refused.value.problems] == ["header.valid_to", "header.until"]
    with pytest.raises(InvalidRateTable, match="no rates"):
        services.import_rates(vn, "VN", "# nothing\ncurrency,rate,valid_from,valid_to\n")


def test_overlapping_periods_are_refused_whole(vn: Database) -> None:
    services.publish_rates(vn, "VN", [RateEntry("USD", Decimal(25400), date(2026, 3, 1),
                                                date(2026, 3, 31))])  # fmt: skip
    before, rates = revision(vn), stored_rates(vn)
    table = [
        RateEntry("EUR", Decimal(27690), date(2026, 3, 1), date(2026, 3, 31)),
        RateEntry("USD", Decimal("0.0001"), date(2026, 3, 31), date(2026, 4, 6)),
    ]
    with pytest.raises(OverlappingRates) as refused:
        services.publish_rates(vn, "VN", table)
    assert [p.path for p in refused.value.problems] == ["1.valid_from"]
    assert "overlaps the published rate 25400 for 2026-03-01..2026-03-31" in refused.value.detail
    assert (revision(vn), stored_rates(vn)) == (before, rates)  # EUR was not loaded either
    with pytest.raises(InvalidRateTable) as own:
        services.publish_rates(vn, "VN", [table[0], table[0]])
    assert [p.path for p in own.value.problems] == ["1.valid_from"]


# --- look-ups at lodgement ---------------------------------------------------------------------


def test_reference_data_refuses_the_holes_of_lodgement(vn: Database) -> None:
    reference = ReferenceData(vn, "VN")
    assert reference.office("VNHCM01", DAY) is not None
    assert reference.office("VNXXX99", DAY) is None
    assert reference.handles("VNHCM01", Procedure.TRANSIT, DAY)
    assert not reference.handles("VNHPH01", Procedure.TRANSIT, DAY)
    with pytest.raises(OfficeRefused) as refused:
        reference.check_office("VNXXX99", Procedure.IMPORT, DAY)
    assert refused.value.problems[0].path == "office"
    with pytest.raises(OfficeRefused):
        reference.check_office("THBKK01", Procedure.IMPORT, DAY)  # not this node's office
    assert reference.check_office("VNHAN01", Procedure.EXPORT, DAY).code == "VNHAN01"

    assert reference.customs_rate("USD", DAY).rate == Decimal("25400")
    assert reference.customs_rate("USD", DAY, Decimal("25400.0")).rate == Decimal("25400")
    with pytest.raises(RateNotPublished) as wrong:
        reference.customs_rate("USD", DAY, Decimal("0.0001"))
    assert wrong.value.problems[0].path == "exchange_rate"
    with pytest.raises(NoPublishedRate) as none:
        reference.customs_rate("GBP", DAY)
    assert none.value.problems[0].path == "invoice_currency"
    assert reference.rate("VND", date(2040, 1, 1)).rate == 1  # type: ignore[union-attr]


def test_look_ups_are_served_from_memory(vn: Database) -> None:
    reference = ReferenceData(vn, "VN")
    reference.rate("USD", DAY)  # loads
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(vn.engine, "before_cursor_execute", listener)
    try:
        for _ in range(2000):
            assert reference.handles("VNHCM01", Procedure.IMPORT, DAY)
            assert reference.rate("USD", DAY) is not None
    finally:
        event.remove(vn.engine, "before_cursor_execute", listener)
    assert statements == []


def test_a_change_in_this_process_is_seen_at_once(vn: Database) -> None:
    reference = ReferenceData(vn, "VN", refresh_seconds=3600)
    assert reference.office("VNDNG01", DAY) is None
    services.register_office(vn, "VN", office("VNDNG01"))
    assert reference.office("VNDNG01", DAY) is not None
    services.publish_rates(vn, "VN", [RateEntry("USD", Decimal(25412), date(2026, 3, 2),
                                                date(2026, 3, 8))])  # fmt: skip
    assert reference.rate("USD", DAY).rate == Decimal(25412)  # type: ignore[union-attr]


def test_another_workers_change_is_seen_within_the_refresh_interval(vn: Database) -> None:
    other_worker = Database(vn.url)
    try:
        reference = ReferenceData(other_worker, "VN", refresh_seconds=0.3)
        assert reference.office("VNDNG01", DAY) is None
        services.register_office(vn, "VN", office("VNDNG01"))
        assert reference.office("VNDNG01", DAY) is None  # within the interval: the old copy
        time.sleep(0.35)
        assert reference.office("VNDNG01", DAY) is not None
    finally:
        other_worker.dispose()
