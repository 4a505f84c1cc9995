"""The reference rules: which office may handle a procedure on a day, and which exchange rate
a declaration is valued at (plain Python, no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from singlewindow.reference.model import (
    ExchangeRate,
    Office,
    OfficeKind,
    Procedure,
    RateTable,
    decimal_places,
    declared_rate_refusal,
    office_problems,
    office_refusal,
    plan_rate_load,
    rate_problems,
)

ALL = frozenset(Procedure)
DAY = date(2026, 3, 4)


def office(code: str = "VNHCM01", procedures: frozenset[Procedure] = ALL, **kw: object) -> Office:
    values: dict[str, object] = {
        "name": "Ho Chi Minh City, Cat Lai seaport",
        "kind": OfficeKind.SEAPORT,
        "valid_from": date(2020, 1, 1),
    }
    values.update(kw)
    return Office(code=code, procedures=procedures, **values)  # type: ignore[arg-type]


def usd(rate: str, start: date, end: date, *, sample: bool = False) -> ExchangeRate:
    return ExchangeRate("USD", "VND", Decimal(rate), start, end, sample=sample)


# --- offices -----------------------------------------------------------------------------------


def test_an_office_missing_from_the_register_is_refused() -> None:
    # The hole: VNXXX99 was accepted, and the declaration landed where no officer looks.
    refusal = office_refusal(None, "VNXXX99", Procedure.IMPORT, DAY)
    assert refusal == "'VNXXX99' is not a customs office in the register"


def test_a_registered_office_open_that_day_handles_its_procedures() -> None:
    assert office_refusal(office(), "VNHCM01", Procedure.TRANSIT, DAY) is None
    assert office().handles(Procedure.IMPORT, DAY)


def test_an_office_is_refused_for_a_procedure_it_does_not_handle() -> None:
    airport = office("VNHAN01", frozenset({Procedure.IMPORT, Procedure.EXPORT}))
    refusal = office_refusal(airport, "VNHAN01", Procedure.TRANSIT, DAY)
    assert refusal is not None and "does not handle transit (it handles export, import)" in refusal
    assert not airport.handles(Procedure.TRANSIT, DAY)


def test_an_office_is_refused_before_it_opens_and_after_its_last_day() -> None:
    closed = office(valid_from=date(2020, 1, 1), valid_to=date(2026, 3, 3))
    assert "closed on 2026-03-03" in (
        office_refusal(closed, "VNHCM01", Procedure.IMPORT, DAY) or ""
    )
    assert closed.handles(Procedure.IMPORT, date(2026, 3, 3))  # the last day is still open
    future = office(valid_from=date(2026, 3, 5))
    assert "opens on 2026-03-05" in (office_refusal(future, "VNHCM01", Procedure.IMPORT, DAY) or "")


def test_a_node_registers_only_offices_of_its_own_country() -> None:
    problems = office_problems(office("THBKK01"), "VN")
    assert [(p.path, p.message) for p in problems] == [
        ("code", "THBKK01 is not an office of VN: this node registers only codes starting VN")
    ]
    assert office_problems(office(), "VN") == []


@pytest.mark.parametrize("code", ["VN", "vnhcm01", "VNHCM0001", "VN-HCM", "V1HCM01", ""])
def test_an_office_code_follows_the_register_format(code: str) -> None:
    assert [p.path for p in office_problems(office(code), "VN")] == ["code"]


def test_an_office_entry_with_bad_fields_lists_every_problem() -> None:
    bad = office(
        name="Cat Lai\x00",
        procedures=frozenset(),
        valid_from=date(2026, 1, 1),
        valid_to=date(2025, 1, 1),
    )
    assert [p.path for p in office_problems(bad, "VN", "offices.3")] == [
        "offices.3.name",
        "offices.3.procedures",
        "offices.3.valid_to",
    ]
    assert [p.path for p in office_problems(office(name=" "), "VN")] == ["name"]
    assert [p.path for p in office_problems(office(name="x" * 121), "VN")] == ["name"]


# --- exchange rates ----------------------------------------------------------------------------


def test_a_declared_rate_other_than_the_published_one_is_refused() -> None:
    # The hole: USD at 0.0001 valued USD 42,240 of coffee at 4 VND.
    published = usd("25400", date(2025, 1, 1), date(2027, 12, 31), sample=True)
    refusal = declared_rate_refusal(published, Decimal("0.0001"))
    assert refusal == (
        "the exchange rate of USD on this day is 25400 VND "
        "(published for 2025-01-01..2027-12-31), not 0.0001"
    )
    assert declared_rate_refusal(published, Decimal("25400.00")) is None
    assert published.value_of(Decimal("42240")) == Decimal("1072896000")


def test_the_rate_in_force_is_the_one_whose_period_holds_the_day() -> None:
    march = usd("25410", date(2026, 3, 1), date(2026, 3, 31))
    april = usd("25480", date(2026, 4, 1), date(2026, 4, 30))
    table = RateTable("VND", [april, march])
    assert table.rate("USD", date(2026, 3, 1)) == march
    assert table.rate("USD", date(2026, 3, 31)) == march
    assert table.rate("USD", date(2026, 4, 1)) == april
    assert table.rate("USD", date(2026, 2, 28)) is None  # before any period
    assert table.rate("USD", date(2026, 5, 1)) is None  # none published yet
    assert table.rate("EUR", date(2026, 3, 4)) is None
    assert [r.valid_from.month for r in table.rates("USD")] == [3, 4]


def test_a_gap_between_periods_has_no_rate() -> None:
    table = RateTable(
        "VND",
        [
            usd("1", date(2026, 1, 1), date(2026, 1, 10)),
            usd("2", date(2026, 1, 20), date(2026, 1, 31)),
        ],
    )
    assert table.rate("USD", date(2026, 1, 15)) is None


def test_the_national_currency_is_one_on_any_day() -> None:
    rate = RateTable("VND", []).rate("VND", DAY)
    assert rate is not None and rate.rate == 1 and rate.in_force(DAY)


@pytest.mark.parametrize(
    ("rate", "path", "message"),
    [
        (ExchangeRate("USD", "VND", Decimal(0), DAY, DAY), "rate", "greater than zero"),
        (ExchangeRate("USD", "VND", Decimal(-3), DAY, DAY), "rate", "greater than zero"),
        (ExchangeRate("USD", "VND", Decimal("NaN"), DAY, DAY), "rate", "greater than zero"),
        (ExchangeRate("USD", "VND", Decimal("Infinity"), DAY, DAY), "rate", "greater than zero"),
        (ExchangeRate("USD", "VND", Decimal("1e400"), DAY, DAY), "rate", "16 integer digits"),
        (
            ExchangeRate("USD", "VND", Decimal("0.0000000000001"), DAY, DAY),
            "rate",
            "12 decimal places",
        ),
        (ExchangeRate("VND", "VND", Decimal("2"), DAY, DAY), "rate", "its rate is 1"),
        (ExchangeRate("XYZ", "VND", Decimal("2"), DAY, DAY), "currency", "not an ISO 4217"),
        (
            ExchangeRate("USD", "VND", Decimal("2"), DAY, date(2026, 3, 1)),
            "valid_to",
            "before valid_from",
        ),
    ],
)
def test_a_rate_that_cannot_be_published_says_why(
    rate: ExchangeRate, path: str, message: str
) -> None:
    problems = rate_problems(rate, "line.7")
    assert [p.path for p in problems] == [f"line.7.{path}"]
    assert message in problems[0].message


def test_decimal_places_count_only_digits_that_carry() -> None:
    assert decimal_places(Decimal("1.2500")) == 2
    assert decimal_places(Decimal("2.54E+4")) == 0
    assert decimal_places(Decimal("0.0000527559")) == 10
    assert rate_problems(ExchangeRate("USD", "VND", Decimal("1.0000000000000"), DAY, DAY)) == []


# --- loads ----------------------------------------------------------------------------------


def test_two_periods_of_one_currency_in_one_table_are_refused() -> None:
    new = [
        usd("25400", date(2026, 3, 1), date(2026, 3, 31)),
        usd("1", date(2026, 3, 31), date(2026, 4, 6)),
    ]
    _, problems, conflicts = plan_rate_load(RateTable("VND", []), new, ["line.2", "line.3"])
    assert [p.path for p in problems] == ["line.3.valid_from"]
    assert "overlaps 2026-03-01..2026-03-31 of line.2" in problems[0].message
    assert conflicts == []


def test_a_period_overlapping_a_published_rate_is_refused() -> None:
    # Otherwise two rates would apply on one day and the declarant would pick the cheaper.
    stored = RateTable("VND", [usd("25400", date(2026, 3, 1), date(2026, 3, 31))])
    plan, problems, conflicts = plan_rate_load(
        stored, [usd("0.0001", date(2026, 3, 15), date(2026, 3, 21))], ["0"]
    )
    assert problems == []
    assert [(p.path, p.message) for p in conflicts] == [
        (
            "0.valid_from",
            "USD 2026-03-15..2026-03-21 overlaps the published rate 25400 "
            "for 2026-03-01..2026-03-31",
        )
    ]
    assert plan.insert == []


def test_successive_periods_and_a_table_loaded_twice_are_admitted() -> None:
    march = usd("25400", date(2026, 3, 1), date(2026, 3, 31))
    april = usd("25480", date(2026, 4, 1), date(2026, 4, 30))
    plan, problems, conflicts = plan_rate_load(
        RateTable("VND", [march]), [march, april], ["0", "1"]
    )
    assert (problems, conflicts) == ([], [])
    assert (plan.unchanged, plan.insert) == ([march], [april])


def test_official_rates_replace_the_sample_rates_of_their_currency_only() -> None:
    sample_usd = usd("25400", date(2025, 1, 1), date(2027, 12, 31), sample=True)
    sample_eur = ExchangeRate(
        "EUR", "VND", Decimal("27608.7"), date(2025, 1, 1), date(2027, 12, 31), sample=True
    )
    official = usd("25412", date(2026, 3, 2), date(2026, 3, 8))
    plan, problems, conflicts = plan_rate_load(
        RateTable("VND", [sample_usd, sample_eur]), [official], ["line.2"]
    )
    assert (problems, conflicts) == ([], [])
    assert plan.insert == [official]
    assert plan.superseded_samples == [sample_usd]


def test_sample_rates_never_displace_official_ones() -> None:
    official = usd("25412", date(2026, 3, 2), date(2026, 3, 8))
    sample = usd("25400", date(2025, 1, 1), date(2027, 12, 31), sample=True)
    plan, _, conflicts = plan_rate_load(RateTable("VND", [official]), [sample], ["line.6"])
    assert [p.path for p in conflicts] == ["line.6.valid_from"]
    assert plan.superseded_samples == []
