"""The tariff model: rates and dated lines (the duties they lay: test_taxes.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from singlewindow.core.errors import Invalid
from singlewindow.tariff.errors import InvalidRate
from singlewindow.tariff.model import (
    Rate,
    RateKind,
    TariffLine,
)

D = Decimal


def line(**changes: object) -> TariffLine:
    values: dict[str, object] = {
        "country": "VN",
        "code": "22030090",
        "description": "Other beer made from malt",
        "quantity_unit": "l",
        "valid_from": date(2022, 1, 1),
        "valid_to": None,
        "mfn": Rate.parse("35%"),
        "vat": Rate.parse("10%"),
        "atiga": Rate.parse("5%"),
        "excise": Rate.parse("65%"),
    }
    values.update(changes)
    return TariffLine(**values)  # type: ignore[arg-type]


# --- the rate grammar ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("5%", RateKind.AD_VALOREM),
        ("0%", RateKind.AD_VALOREM),
        ("12.5%", RateKind.AD_VALOREM),
        ("3000/kg", RateKind.SPECIFIC),
        ("0.66/l", RateKind.SPECIFIC),
        ("427/1000u", RateKind.SPECIFIC),
        ("10% + 500/l", RateKind.COMPOUND),
        ("20% min 3000/kg", RateKind.COMPOUND),
        ("15% max 50000/u", RateKind.COMPOUND),
        ("20% min 3000/kg max 9000/kg", RateKind.COMPOUND),
    ],
)
def test_a_rate_round_trips_through_its_text(text: str, kind: RateKind) -> None:
    rate = Rate.parse(text)
    assert rate.kind is kind
    assert str(rate) == text
    assert Rate.parse(str(rate)) == rate


def test_parsing_forgives_spaces_case_and_trailing_zeros() -> None:
    assert str(Rate.parse("  20 %  MIN 3000 / KG ")) == "20% min 3000/kg"
    assert str(Rate.parse("12.50%")) == "12.5%"


def test_an_empty_cell_is_no_rate() -> None:
    assert Rate.parse_optional("") is None
    assert Rate.parse_optional("   ") is None
    assert Rate.parse_optional(None) is None


@pytest.mark.parametrize(
    "text", ["", "five percent", "5", "%", "-5%", "5%%", "10% + 5%", "3000/", "1,000/kg",
             "20% min 3000/kg max 100/kg", "10% + 500/l min 100/kg", "min 300/kg"],
)
def test_a_malformed_rate_is_refused_clearly(text: str) -> None:
    with pytest.raises(InvalidRate) as caught:
        Rate.parse(text)
    assert isinstance(caught.value, Invalid)
    assert caught.value.problems[0].message


def test_mixed_units_are_refused() -> None:
    with pytest.raises(InvalidRate, match="mixes units"):
        Rate.parse("10% + 500/l min 100/kg")


# --- applying a rate ------------------------------------------------------------------------


def test_ad_valorem() -> None:
    charge = Rate.parse("20%").apply(D("1234000"), D("50"), "VND")
    assert charge.amount == D("246800")
    assert charge.formula == "20% × 1,234,000 VND = 246,800 VND"


def test_specific_is_per_unit_of_quantity() -> None:
    charge = Rate.parse("3000/kg").apply(D("1234000"), D("50"), "VND")
    assert charge.amount == D("150000")
    assert charge.formula == "3,000 VND/kg × 50 kg = 150,000 VND"


def test_compound_adds_both_parts() -> None:
    charge = Rate.parse("10% + 500/l").apply(D("1000000"), D("20"), "VND")
    assert charge.amount == D("110000")
    assert "10% × 1,000,000 VND = 100,000 VND" in charge.formula
    assert "500 VND/l × 20 l = 10,000 VND" in charge.formula


def test_a_minimum_binds_when_the_percentage_is_lower() -> None:
    charge = Rate.parse("20% min 3000/kg").apply(D("500000"), D("50"), "VND")
    assert charge.amount == D("150000")  # 20% would be 100,000
    assert "minimum 3,000 VND/kg × 50 kg = 150,000 VND applies" in charge.formula


def test_a_minimum_does_not_bind_when_the_percentage_is_higher() -> None:
    charge = Rate.parse("20% min 3000/kg").apply(D("1234000"), D("50"), "VND")
    assert charge.amount == D("246800")
    assert "does not apply" in charge.formula


def test_a_maximum_binds_when_the_percentage_is_higher() -> None:
    charge = Rate.parse("15% max 50000/u").apply(D("10000000"), D("10"), "VND")
    assert charge.amount == D("500000")  # 15% would be 1,500,000
    assert "maximum 50,000 VND/u × 10 u = 500,000 VND applies" in charge.formula


def test_a_maximum_does_not_bind_when_the_percentage_is_lower() -> None:
    charge = Rate.parse("15% max 50000/u").apply(D("1000000"), D("10"), "VND")
    assert charge.amount == D("150000")
    assert "does not apply" in charge.formula


def test_both_bounds() -> None:
    rate = Rate.parse("20% min 3000/kg max 9000/kg")
    assert rate.amount(D("100000"), D("10")) == D("30000")  # floor
    assert rate.amount(D("300000"), D("10")) == D("60000")  # percentage
    assert rate.amount(D("1000000"), D("10")) == D("90000")  # ceiling


# --- dated lines --------------------------------------------------------------------------


def test_a_line_is_in_force_from_its_first_to_its_last_day_inclusive() -> None:
    dated = line(valid_from=date(2023, 1, 1), valid_to=date(2023, 12, 31))
    assert not dated.in_force(date(2022, 12, 31))
    assert dated.in_force(date(2023, 1, 1))
    assert dated.in_force(date(2023, 12, 31))
    assert not dated.in_force(date(2024, 1, 1))
    assert line().in_force(date(2099, 1, 1))
    assert dated.subheading == "220300"
    assert dated.dotted_code == "2203.00.90"
