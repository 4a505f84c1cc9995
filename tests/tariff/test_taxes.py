"""The duties and taxes of a goods item, laid from its measures on each country's bases.

The first tests are the schedule-column figures of before the measure model, unchanged: a
sample line read as measures lays the same amounts on the same bases.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from singlewindow.tariff.measure_set import MeasureSet, RefusalKind, schedule_measures
from singlewindow.tariff.measures import (
    E_FORM_D,
    ERGA_OMNES,
    GeographicalArea,
    Measure,
    MeasureType,
    PresentedDocument,
)
from singlewindow.tariff.model import DutyLine, Rate, TariffLine, TaxType
from singlewindow.tariff.taxes import (
    DEFAULT_BASES,
    BaseComponent,
    TaxBases,
    lay_duties,
    tax_bases,
)
from tests.tariff.test_model import line

D = Decimal
ON = date(2026, 6, 1)


def lay(
    tariff_line: TariffLine,
    value: Decimal,
    quantity: Decimal,
    currency: str,
    preference: bool = False,
    bases: TaxBases = DEFAULT_BASES,
) -> list[DutyLine]:
    duties = schedule_measures([tariff_line]).duties_for(
        tariff_line.code,
        "TH",
        ON,
        claimed="ATIGA" if preference else None,
        documents=[PresentedDocument(E_FORM_D.code, "FD-1")] if preference else [],
    )
    return lay_duties(duties, value, quantity, currency, bases)


def test_duty_then_excise_then_vat_each_on_the_right_base() -> None:
    duties = lay(line(), D("1000000"), D("100"), "VND")
    assert [d.tax for d in duties] == [TaxType.IMPORT_DUTY, TaxType.EXCISE, TaxType.VAT]
    duty, excise, vat = duties
    assert (duty.base, duty.rate, duty.amount) == (D("1000000"), "35%", D("350000"))
    assert not duty.preferential
    assert (excise.base, excise.amount) == (D("1350000"), D("877500"))
    assert vat.base == D("1000000") + D("350000") + D("877500")
    assert vat.amount == D("222750")
    assert vat.formula == "10% × 2,227,500 VND = 222,750 VND"
    assert vat.measure.startswith("VAT on customs value + import duty + excise (measure ")


def test_without_excise_vat_is_on_value_plus_duty() -> None:
    duties = lay(line(excise=None), D("1000000"), D("100"), "VND")
    assert [d.tax for d in duties] == [TaxType.IMPORT_DUTY, TaxType.VAT]
    assert duties[1].base == D("1350000")
    assert "excise" not in duties[1].measure.partition("(")[0]


def test_the_preferential_rate_only_when_claimed_with_its_proof() -> None:
    claimed = lay(line(), D("1000000"), D("100"), "VND", preference=True)[0]
    assert (claimed.rate, claimed.amount, claimed.preferential) == ("5%", D("50000"), True)
    assert "ATIGA preferential rate" in claimed.measure
    not_claimed = lay(line(), D("1000000"), D("100"), "VND", preference=False)[0]
    assert (not_claimed.rate, not_claimed.preferential) == ("35%", False)
    assert "MFN rate" in not_claimed.measure


def test_a_line_without_atiga_rate_falls_back_to_mfn_even_when_claimed() -> None:
    plain = line(atiga=None)
    duties = schedule_measures([plain]).duties_for(
        plain.code, "TH", ON, claimed="ATIGA", documents=[PresentedDocument("E-FORM-D", "F")]
    )
    assert duties.refusal is not None and duties.refusal.kind is RefusalKind.NO_RATE
    assert not duties.refusal.kind.is_error  # the MFN rate is due, the claim is no error
    [duty, *_] = lay_duties(duties, D("1000000"), D("100"), "VND")
    assert (duty.rate, duty.amount, duty.preferential) == ("35%", D("350000"), False)


def test_vnd_rounds_to_the_dong_and_khr_usd_to_the_cent() -> None:
    plain = line(mfn=Rate.parse("12.5%"), excise=None, atiga=None)
    vnd = lay(plain, D("1234567"), D("1"), "VND")
    assert vnd[0].amount == D("154321")  # 154,320.875
    assert "rounded to 154,321 VND" in vnd[0].formula
    khr = lay(plain, D("1234567"), D("1"), "KHR")
    assert khr[0].amount == D("154320.88")
    usd = lay(plain, D("100.05"), D("1"), "USD")
    assert usd[0].amount == D("12.51")  # 12.50625, half up
    assert usd[1].base == D("112.56")  # the VAT base uses the rounded duty


def test_each_amount_comes_with_its_explanation_naming_its_measure() -> None:
    for duty in lay(line(), D("1000000"), D("100"), "VND", preference=True):
        text = duty.explanation()
        assert duty.rate in text
        assert duty.formula in text
        assert "VND" in text
        assert "measure VN-22030090-2022-01-01-" in text


# ---------------------------------------------------------------------------------------------
# Bases per country, additional duties and the environmental tax


def m(id: str, type: MeasureType, duty: str, **fields: object) -> Measure:
    values: dict[str, object] = {
        "id": id,
        "type": type,
        "goods_code": "39232100",
        "area": ERGA_OMNES,
        "valid_from": date(2022, 1, 1),
        "duty": Rate.parse(duty),
    }
    values.update(fields)
    return Measure(**values)  # type: ignore[arg-type]


BAGS = MeasureSet(
    [
        m("DUTY", MeasureType.THIRD_COUNTRY_DUTY, "10%"),
        m("SAFEGUARD", MeasureType.SAFEGUARD, "5%", area="CN"),
        m("SCT", MeasureType.EXCISE, "20%"),
        m("EPT", MeasureType.ENVIRONMENTAL_TAX, "50000/kg"),
        m("VAT", MeasureType.VAT, "10%"),
    ],
    [GeographicalArea.erga_omnes(), GeographicalArea.country("CN")],
)


def test_vat_in_viet_nam_is_on_every_duty_and_tax_laid_before_it() -> None:
    # 1,000,000 VND of plastic bags, 20 kg, from China; hand-computed
    duties = BAGS.duties_for("39232100", "CN", ON)
    lines = lay_duties(duties, D("1000000"), D("20"), "VND", tax_bases("VN"))
    assert [(d.tax, d.base, d.amount) for d in lines] == [
        (TaxType.IMPORT_DUTY, D("1000000"), D("100000")),
        (TaxType.ADDITIONAL_DUTY, D("1000000"), D("50000")),
        (TaxType.EXCISE, D("1150000"), D("230000")),  # value + duty + safeguard
        (TaxType.ENVIRONMENTAL_TAX, D("1150000"), D("1000000")),  # 50,000 × 20 kg
        (TaxType.VAT, D("2380000"), D("238000")),  # every one of them
    ]
    assert "SAFEGUARD" in lines[1].measure
    assert lines[4].measure.startswith(
        "VAT on customs value + import duty + additional duties + excise + environmental tax"
    )


def test_another_countrys_rule_of_bases_gives_another_vat() -> None:
    # a law that levies VAT on the duty-paid value only, and excise on the customs value
    narrow = TaxBases(
        "a narrower law",
        (
            (TaxType.EXCISE, (BaseComponent.CUSTOMS_VALUE,)),
            (TaxType.VAT, (BaseComponent.CUSTOMS_VALUE, BaseComponent.IMPORT_DUTY)),
        ),
    )
    duties = BAGS.duties_for("39232100", "JP", ON)  # no safeguard for Japan
    lines = lay_duties(duties, D("1000000"), D("20"), "VND", narrow)
    assert [(d.tax, d.base, d.amount) for d in lines] == [
        (TaxType.IMPORT_DUTY, D("1000000"), D("100000")),
        (TaxType.EXCISE, D("1000000"), D("200000")),
        (TaxType.VAT, D("1100000"), D("110000")),
    ]  # no environmental tax: this law has none, so it is not laid
    assert narrow.base_of(TaxType.VAT) == (BaseComponent.CUSTOMS_VALUE, BaseComponent.IMPORT_DUTY)


def test_countries_without_a_rule_of_their_own_use_the_default() -> None:
    assert tax_bases("LA") is DEFAULT_BASES
    assert "48/2024/QH15" in tax_bases("VN").law
