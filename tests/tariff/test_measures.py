"""The measure model: areas, measure types, conditions, and what applies to a goods item.

Pure: no database. The sample set is Viet Nam's, shaped like its decrees but with made-up
rates (marked as samples): coffee under six agreements, steel with anti-dumping duties on
named producers and a safeguard, a prohibition and two licensed restrictions.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from singlewindow.core.countries import ASEAN
from singlewindow.core.errors import Invalid, Problem
from singlewindow.core.money import round_to_minor_unit
from singlewindow.tariff.errors import InvalidMeasures
from singlewindow.tariff.measure_set import MeasureSet, schedule_measures, validate
from singlewindow.tariff.measures import (
    CONSENT,
    E_FORM_D,
    ERGA_OMNES,
    FORM_AK,
    FORM_E,
    IMPORT_LICENCE,
    ORIGIN_DECLARATION,
    PERMIT,
    RCEP_CERTIFICATE,
    AdditionalCode,
    Agreement,
    AreaKind,
    AreaMembership,
    DocumentType,
    GeographicalArea,
    Measure,
    MeasureCondition,
    MeasureNature,
    MeasureType,
    PresentedDocument,
)
from singlewindow.tariff.model import Rate, TaxType
from singlewindow.tariff.services import parse_schedule, sample_schedule

D = Decimal
T = MeasureType
START = date(2022, 1, 1)
ON = date(2024, 7, 1)
ASEAN_SINCE = date(2010, 1, 1)
EU = ("DE", "FR", "IT", "NL", "BE")


def members(countries: tuple[str, ...] | list[str], since: date) -> list[AreaMembership]:
    return [AreaMembership(c, since) for c in countries]


def areas() -> list[GeographicalArea]:
    asean = sorted(ASEAN)
    return [
        GeographicalArea.erga_omnes(),
        GeographicalArea.country("CN", "China"),
        GeographicalArea.group("ATIGA", "ATIGA member states", members(asean, ASEAN_SINCE)),
        GeographicalArea.group(
            "ACFTA", "ASEAN-China FTA parties", members([*asean, "CN"], ASEAN_SINCE)
        ),
        GeographicalArea.group(
            "AKFTA", "ASEAN-Korea FTA parties", members([*asean, "KR"], ASEAN_SINCE)
        ),
        GeographicalArea.group(
            "RCEP",
            "RCEP parties",
            [
                *members(["VN", "SG", "TH", "CN", "JP", "AU", "NZ"], START),
                AreaMembership("KR", date(2022, 2, 1)),  # in force for Korea a month later
            ],
        ),
        GeographicalArea.group(
            "CPTPP",
            "CPTPP parties",
            [
                *members(["JP", "CA", "AU", "MX", "SG"], date(2018, 12, 30)),
                AreaMembership("VN", date(2019, 1, 14)),
            ],
        ),
        GeographicalArea.group(
            "EVFTA",
            "EU-Viet Nam FTA: the European Union",
            [
                *members(EU, date(2020, 8, 1)),
                AreaMembership("GB", date(2020, 8, 1), date(2020, 12, 31)),  # until it left
            ],
        ),
    ]


AGREEMENTS = [
    Agreement("ATIGA", "ATIGA", "ATIGA"),
    Agreement("ACFTA", "ACFTA", "ACFTA"),
    Agreement("AKFTA", "AKFTA", "AKFTA"),
    Agreement("RCEP", "RCEP", "RCEP"),
    Agreement("CPTPP", "CPTPP", "CPTPP"),
    Agreement("EVFTA", "EVFTA", "EVFTA"),
]

PRODUCERS = [
    AdditionalCode("C001", "Producer A Steel Co., Ltd"),
    AdditionalCode("C002", "Producer B Iron and Steel Co., Ltd"),
]


def proof(*types: DocumentType) -> tuple[MeasureCondition, ...]:
    return (MeasureCondition(types),)


def m(
    id: str, type: MeasureType, code: str, area: str, duty: str | None = None, **changes: object
) -> Measure:
    measure = Measure(id, type, code, area, START, duty=None if duty is None else Rate.parse(duty))
    return replace(measure, **changes)  # type: ignore[arg-type]


def sample_measures() -> list[Measure]:
    return [
        # coffee (0901 11 00): the third-country duty on the whole chapter, inherited down
        m("VN-1", T.THIRD_COUNTRY_DUTY, "09", ERGA_OMNES, "20%"),
        m(
            "VN-2",
            T.TARIFF_PREFERENCE,
            "0901",
            "ATIGA",
            "0%",
            agreement="ATIGA",
            conditions=proof(E_FORM_D),
        ),
        m(
            "VN-3",
            T.TARIFF_PREFERENCE,
            "090111",
            "ACFTA",
            "5%",
            agreement="ACFTA",
            conditions=proof(FORM_E),
        ),
        m(
            "VN-4",
            T.TARIFF_PREFERENCE,
            "09011100",
            "AKFTA",
            "3%",
            agreement="AKFTA",
            conditions=proof(FORM_AK),
        ),
        m(
            "VN-5",
            T.TARIFF_PREFERENCE,
            "09",
            "RCEP",
            "7% min 800/kg",
            agreement="RCEP",
            conditions=proof(RCEP_CERTIFICATE, ORIGIN_DECLARATION),
        ),
        m(
            "VN-6",
            T.TARIFF_PREFERENCE,
            "0901",
            "CPTPP",
            "2.5%",
            agreement="CPTPP",
            conditions=proof(ORIGIN_DECLARATION),
        ),
        m(
            "VN-7",
            T.TARIFF_PREFERENCE,
            "0901",
            "EVFTA",
            "1500/kg",
            agreement="EVFTA",
            conditions=proof(ORIGIN_DECLARATION),
        ),
        m("VN-8", T.VAT, "09", ERGA_OMNES, "5%"),
        # flat-rolled steel (7210): anti-dumping on named Chinese producers, a safeguard
        # for every origin but two members whose imports are below the de minimis share
        m("VN-10", T.THIRD_COUNTRY_DUTY, "7210", ERGA_OMNES, "10%"),
        m("VN-11", T.ANTI_DUMPING, "7210", "CN", "4.5%", additional_code="C001"),
        m("VN-12", T.ANTI_DUMPING, "7210", "CN", "19%", additional_code="C002"),
        m("VN-13", T.SAFEGUARD, "721049", ERGA_OMNES, "8%", excluded=frozenset({"ID", "TH"})),
        # a prohibition, and restrictions needing a licence or a consent
        m("VN-20", T.PROHIBITION, "3825", ERGA_OMNES, description="Import of municipal waste"),
        m("VN-21", T.RESTRICTION, "3004", ERGA_OMNES, conditions=proof(IMPORT_LICENCE, PERMIT)),
        m("VN-22", T.RESTRICTION, "3915", ERGA_OMNES, conditions=proof(CONSENT)),
        m("VN-23", T.THIRD_COUNTRY_DUTY, "3004", ERGA_OMNES, "0%"),
        m("VN-24", T.ENVIRONMENTAL_TAX, "271012", ERGA_OMNES, "2000/l"),
    ]


@pytest.fixture
def measures() -> MeasureSet:
    return MeasureSet(sample_measures(), areas(), AGREEMENTS, PRODUCERS)


COFFEE = "09011100"
VALUE = D("10000000")  # VND, CIF
KG = D("1000")


def doc(type: DocumentType, reference: str = "REF-1") -> PresentedDocument:
    return PresentedDocument(type.code, reference)


# ---------------------------------------------------------------------------------------------
# Areas


def test_erga_omnes_covers_every_country_and_a_country_itself_only() -> None:
    assert GeographicalArea.erga_omnes().covers("ZW", ON)
    assert GeographicalArea.erga_omnes().kind is AreaKind.ERGA_OMNES
    china = GeographicalArea.country("CN")
    assert china.covers("CN", ON) and not china.covers("VN", ON)


def test_a_membership_covers_from_its_first_day_to_its_last() -> None:
    by_id = {a.id: a for a in areas()}
    rcep, evfta = by_id["RCEP"], by_id["EVFTA"]
    assert not rcep.covers("KR", date(2022, 1, 31))
    assert rcep.covers("KR", date(2022, 2, 1))
    assert evfta.covers("GB", date(2020, 12, 31))
    assert not evfta.covers("GB", date(2021, 1, 1))
    assert not evfta.covers("DE", date(2020, 7, 31)) and evfta.covers("DE", date(2020, 8, 1))


def test_a_measure_does_not_apply_to_the_countries_it_excludes(measures: MeasureSet) -> None:
    steel = "72104911"
    assert T.SAFEGUARD in measures.applicable(steel, "CN", ON)
    assert T.SAFEGUARD not in measures.applicable(steel, "TH", ON)
    assert T.SAFEGUARD not in measures.applicable(steel, "ID", ON)


# ---------------------------------------------------------------------------------------------
# Types, inheritance down the tree, validity


def test_each_measure_type_knows_its_nature() -> None:
    assert T.THIRD_COUNTRY_DUTY.nature is MeasureNature.DUTY
    assert T.TARIFF_PREFERENCE.nature is MeasureNature.PREFERENCE
    assert {T.VAT.nature, T.EXCISE.nature, T.ENVIRONMENTAL_TAX.nature} == {MeasureNature.TAX}
    assert T.ANTI_DUMPING.nature is MeasureNature.DUTY and T.ANTI_DUMPING.is_additional_duty
    assert T.SAFEGUARD.is_additional_duty and not T.THIRD_COUNTRY_DUTY.is_additional_duty
    assert T.PROHIBITION.nature is MeasureNature.PROHIBITION
    assert T.RESTRICTION.nature is MeasureNature.RESTRICTION


def test_measures_on_a_chapter_heading_and_subheading_apply_to_the_lines_under_them(
    measures: MeasureSet,
) -> None:
    found = measures.applicable(COFFEE, "KR", ON)
    assert [x.id for x in found[T.THIRD_COUNTRY_DUTY]] == ["VN-1"]  # chapter 09
    assert [x.id for x in found[T.TARIFF_PREFERENCE]] == ["VN-4", "VN-5"]  # line, chapter
    found = measures.applicable(COFFEE, "TH", ON)  # party to ATIGA, ACFTA, AKFTA and RCEP
    assert [x.id for x in found[T.TARIFF_PREFERENCE]] == ["VN-4", "VN-3", "VN-2", "VN-5"]
    assert measures.applicable("09012100", "CN", ON)[T.TARIFF_PREFERENCE][0].id == "VN-5"
    tea = measures.applicable("09021000", "KR", ON)[T.TARIFF_PREFERENCE]
    assert [x.id for x in tea] == ["VN-5"]  # not VN-4, which is on the coffee line only
    assert "VN-3" in [x.id for x in measures.applicable(COFFEE, "CN", ON)[T.TARIFF_PREFERENCE]]
    assert measures.applicable("10019100", "VN", ON) == {}


def test_a_measure_applies_only_within_its_validity_as_of_either_side_of_a_rate_change() -> None:
    old = m("A", T.THIRD_COUNTRY_DUTY, "0901", ERGA_OMNES, "20%", valid_to=date(2023, 12, 31))
    new = m("B", T.THIRD_COUNTRY_DUTY, "0901", ERGA_OMNES, "15%", valid_from=date(2024, 1, 1))
    book = MeasureSet([old, new], areas())
    before = book.duties_for(COFFEE, "US", date(2023, 12, 31)).third_country
    after = book.duties_for(COFFEE, "US", date(2024, 1, 1)).third_country
    assert before is not None and before.id == "A"
    assert after is not None and after.id == "B"
    assert book.applicable(COFFEE, "US", date(2021, 12, 31)) == {}


# ---------------------------------------------------------------------------------------------
# Preferences: only the claimed one, only for parties, only with its proof


def test_a_preference_is_granted_with_its_proof_and_names_its_measure(
    measures: MeasureSet,
) -> None:
    duties = measures.duties_for(
        COFFEE, "TH", ON, claimed="ATIGA", documents=[doc(E_FORM_D, "TH-2024-000123")]
    )
    assert duties.refusal is None
    assert duties.preference is not None and duties.preference.id == "VN-2"
    assert duties.customs_duty is duties.preference
    assert "E-FORM-D TH-2024-000123" in duties.preference.reason
    assert "measure VN-2" in duties.preference.description


def test_a_preference_without_its_proof_is_refused_and_the_third_country_duty_is_due(
    measures: MeasureSet,
) -> None:
    for documents in ([], [doc(FORM_E)], [doc(E_FORM_D, "  ")]):
        duties = measures.duties_for(COFFEE, "TH", ON, claimed="ATIGA", documents=documents)
        assert duties.preference is None
        assert duties.refusal is not None and "e-Form D" in duties.refusal.reason
        assert duties.customs_duty is not None and duties.customs_duty.id == "VN-1"
        assert duties.problems("items.0")[-1].path == "items.0.preference"


def test_a_preference_is_refused_to_an_origin_not_party_on_that_date(
    measures: MeasureSet,
) -> None:
    rcep = [doc(RCEP_CERTIFICATE)]
    refused = measures.duties_for(COFFEE, "KR", date(2022, 1, 31), claimed="RCEP", documents=rcep)
    assert refused.refusal is not None
    assert refused.refusal.reason == "KR is not party to RCEP on 2022-01-31"
    granted = measures.duties_for(COFFEE, "KR", date(2022, 2, 1), claimed="RCEP", documents=rcep)
    assert granted.preference is not None and granted.preference.id == "VN-5"
    china = measures.duties_for(COFFEE, "CN", ON, claimed="ATIGA", documents=[doc(E_FORM_D)])
    assert china.refusal is not None and "CN is not party to ATIGA" in china.refusal.reason


def test_only_the_claimed_preference_is_granted_never_the_best_of_all(
    measures: MeasureSet,
) -> None:
    # Singapore is party to ATIGA (0%), RCEP and CPTPP; it claims CPTPP, so it gets 2.5%
    duties = measures.duties_for(
        COFFEE, "SG", ON, claimed="CPTPP", documents=[doc(ORIGIN_DECLARATION), doc(E_FORM_D)]
    )
    assert duties.preference is not None and duties.preference.id == "VN-6"
    unclaimed = measures.duties_for(COFFEE, "SG", ON, documents=[doc(E_FORM_D)])
    assert unclaimed.preference is None and unclaimed.refusal is None
    assert unclaimed.customs_duty is not None and unclaimed.customs_duty.id == "VN-1"


def test_a_claim_of_an_agreement_with_no_rate_for_the_code_or_unknown_is_refused(
    measures: MeasureSet,
) -> None:
    no_rate = measures.duties_for("09021000", "KR", ON, claimed="AKFTA", documents=[doc(FORM_AK)])
    assert no_rate.refusal is not None
    assert no_rate.refusal.reason == "AKFTA has no preferential rate for 09021000 from KR"
    unknown = measures.duties_for(COFFEE, "KR", ON, claimed="KVFTA")
    assert unknown.refusal is not None and "not an agreement" in unknown.refusal.reason


# Hand-computed: coffee, 10,000,000 VND CIF, 1,000 kg.
@pytest.mark.parametrize(
    ("agreement", "origin", "proof_type", "measure", "duty"),
    [
        ("ATIGA", "MY", E_FORM_D, "VN-2", D("0")),  # 0%
        ("ACFTA", "CN", FORM_E, "VN-3", D("500000")),  # 5% × 10,000,000
        ("AKFTA", "KR", FORM_AK, "VN-4", D("300000")),  # 3% × 10,000,000
        # 7% × 10,000,000 = 700,000, below the minimum 800 × 1,000 kg = 800,000
        ("RCEP", "JP", ORIGIN_DECLARATION, "VN-5", D("800000")),
        ("CPTPP", "CA", ORIGIN_DECLARATION, "VN-6", D("250000")),  # 2.5% × 10,000,000
        ("EVFTA", "DE", ORIGIN_DECLARATION, "VN-7", D("1500000")),  # 1,500 × 1,000 kg
        (None, "US", None, "VN-1", D("2000000")),  # no claim: 20% × 10,000,000
    ],
)
def test_hand_computed_customs_duty_under_each_agreement(
    measures: MeasureSet,
    agreement: str | None,
    origin: str,
    proof_type: DocumentType | None,
    measure: str,
    duty: Decimal,
) -> None:
    documents = [] if proof_type is None else [doc(proof_type)]
    duties = measures.duties_for(COFFEE, origin, ON, claimed=agreement, documents=documents)
    assert duties.refusal is None
    assert duties.customs_duty is not None and duties.customs_duty.id == measure
    [line] = duties.customs_lines(VALUE, KG, "VND")
    assert line.amount == duty
    assert line.tax is TaxType.IMPORT_DUTY
    assert line.preferential is (agreement is not None)
    assert f"measure {measure}:" in line.measure
    # the same figure through `Rate` directly: the measure reuses the duty expression
    rate = duties.customs_duty.measure.duty
    assert rate is not None and rate.apply(VALUE, KG, "VND").amount == duty


def test_a_duty_line_explains_the_rate_and_cites_the_measure(measures: MeasureSet) -> None:
    duties = measures.duties_for(
        COFFEE, "JP", ON, claimed="RCEP", documents=[doc(RCEP_CERTIFICATE)]
    )
    [line] = duties.customs_lines(VALUE, KG, "VND")
    assert line.explanation() == (
        "import_duty (measure VN-5: RCEP tariff preference 7% min 800/kg on 09, for RCEP): "
        "base 10,000,000 VND, rate 7% min 800/kg: 7% × 10,000,000 VND = 700,000 VND; "
        "minimum 800 VND/kg × 1,000 kg = 800,000 VND applies → 800,000 VND"
    )


def test_a_citation_names_the_exclusions_and_the_additional_code(measures: MeasureSet) -> None:
    by_id = {x.id: x for x in measures.measures}
    assert by_id["VN-13"].citation == (
        "measure VN-13: safeguard duty 8% on 721049, for erga omnes except ID, TH"
    )
    assert by_id["VN-11"].citation == (
        "measure VN-11: anti-dumping duty 4.5% on 7210, for CN, additional code C001"
    )
    assert by_id["VN-20"].citation == "measure VN-20: Import of municipal waste, for erga omnes"


def test_taxes_are_listed_with_their_measures(measures: MeasureSet) -> None:
    duties = measures.duties_for(COFFEE, "US", ON)
    assert [t.id for t in duties.taxes] == ["VN-8"]
    fuel = measures.duties_for("27101221", "SG", ON)
    assert [t.measure.type for t in fuel.taxes] == [T.ENVIRONMENTAL_TAX]


# ---------------------------------------------------------------------------------------------
# Additional duties, prohibitions and restrictions


def test_an_anti_dumping_duty_applies_only_to_its_producer(measures: MeasureSet) -> None:
    steel = "72104911"
    producer_a = measures.duties_for(steel, "CN", ON, additional_code="C001")
    assert [c.id for c in producer_a.additional] == ["VN-11", "VN-13"]
    producer_b = measures.duties_for(steel, "CN", ON, additional_code="C002")
    assert [c.id for c in producer_b.additional] == ["VN-12", "VN-13"]
    nobody = measures.duties_for(steel, "CN", ON)
    assert [c.id for c in nobody.additional] == ["VN-13"]
    # the same producer's steel shipped from Korea: the duty is on Chinese origin only
    korea = measures.duties_for(steel, "KR", ON, additional_code="C001")
    assert [c.id for c in korea.additional] == ["VN-13"]
    # hand-computed: 10% + 4.5% + 8% on 10,000,000 VND
    amounts = [line.amount for line in producer_a.customs_lines(VALUE, KG, "VND")]
    assert amounts == [D("1000000"), D("450000"), D("800000")]


def test_a_prohibition_stops_the_item_with_its_reason(measures: MeasureSet) -> None:
    duties = measures.duties_for("38251000", "JP", ON)
    assert duties.stopped
    [problem] = duties.problems("items.3")
    assert problem.path == "items.3"
    assert "prohibited" in problem.message and "VN-20" in problem.message
    assert "Import of municipal waste" in problem.message
    assert not measures.duties_for(COFFEE, "JP", ON).stopped


def test_a_restriction_needs_its_licence(measures: MeasureSet) -> None:
    medicine = "30049099"
    without = measures.duties_for(medicine, "IN", ON)
    assert [c.id for c in without.missing] == ["VN-21"] and not without.met
    [problem] = without.problems("items.1")
    assert problem.path == "items.1.documents"
    assert "import licence or import permit" in problem.message
    with_permit = measures.duties_for(
        medicine, "IN", ON, documents=[PresentedDocument("PERMIT", "DAV-2024-77")]
    )
    assert not with_permit.missing and [c.id for c in with_permit.met] == ["VN-21"]
    assert with_permit.problems("items.1") == []
    waste = measures.duties_for("39151000", "JP", ON, documents=[doc(IMPORT_LICENCE)])
    assert [c.id for c in waste.missing] == ["VN-22"]  # a licence is not a consent


# ---------------------------------------------------------------------------------------------
# Validation: every problem, with its location


def paths(problems: list[Problem]) -> list[str]:
    return [p.path for p in problems]


def test_the_sample_set_is_valid() -> None:
    assert validate(sample_measures(), areas(), AGREEMENTS, [c.code for c in PRODUCERS]) == []


def test_overlapping_measures_of_one_type_code_area_and_period_are_refused() -> None:
    base = m("A", T.THIRD_COUNTRY_DUTY, "09", ERGA_OMNES, "20%")
    same_code = m("B", T.THIRD_COUNTRY_DUTY, "09", ERGA_OMNES, "15%", valid_from=date(2023, 1, 1))
    down_the_tree = m("C", T.THIRD_COUNTRY_DUTY, "090111", ERGA_OMNES, "10%")
    other_area = m("D", T.THIRD_COUNTRY_DUTY, "09", "CN", "30%")  # allowed: another area
    other_branch = m("E", T.THIRD_COUNTRY_DUTY, "10", ERGA_OMNES, "5%")  # allowed
    with pytest.raises(InvalidMeasures) as caught:
        MeasureSet([base, same_code, down_the_tree, other_area, other_branch], areas())
    problems = caught.value.problems
    assert paths(problems) == ["measures.1", "measures.2", "measures.2"]
    assert "overlaps measures.0 (A on 09)" in problems[1].message
    assert "overlaps measures.1 (B on 09)" in problems[2].message
    assert isinstance(caught.value, Invalid)


def test_an_overlap_is_reported_at_the_longer_code_whatever_the_order() -> None:
    line = m("A", T.ANTI_DUMPING, "72104911", "CN", "4%", additional_code="C001")
    heading = m("B", T.ANTI_DUMPING, "7210", "CN", "9%", additional_code="C001")
    other_producer = m("C", T.ANTI_DUMPING, "7210", "CN", "9%", additional_code="C002")
    problems = validate([line, heading, other_producer], areas(), [], ["C001", "C002"])
    assert paths(problems) == ["measures.0"]
    assert "overlaps measures.1 (B on 7210)" in problems[0].message


def test_a_code_that_is_not_2_4_6_or_8_digits_and_an_unknown_area_are_refused() -> None:
    bad = [
        m("A", T.THIRD_COUNTRY_DUTY, "090", ERGA_OMNES, "20%"),
        m("B", T.THIRD_COUNTRY_DUTY, "0901.11", ERGA_OMNES, "20%"),
        m("C", T.THIRD_COUNTRY_DUTY, "090111001", ERGA_OMNES, "20%"),
        m("D", T.THIRD_COUNTRY_DUTY, "0902", "MERCOSUR", "20%"),
    ]
    problems = validate(bad, areas())
    assert paths(problems) == [
        "measures.0.goods_code",
        "measures.1.goods_code",
        "measures.2.goods_code",
        "measures.3.area",
    ]
    assert problems[3].message == "no geographical area 'MERCOSUR'"


def test_a_code_missing_from_the_nomenclature_is_refused_when_it_is_given() -> None:
    problems = validate(
        [m("A", T.THIRD_COUNTRY_DUTY, "0999", ERGA_OMNES, "20%")],
        areas(),
        known_code=lambda code: code.startswith("0901"),
    )
    assert problems[0].path == "measures.0.goods_code"
    assert "no goods code 0999" in problems[0].message


def test_every_inconsistency_of_a_measure_is_located() -> None:
    bad = [
        m("A", T.TARIFF_PREFERENCE, "0901", "ATIGA", "0%"),  # no agreement
        m("B", T.TARIFF_PREFERENCE, "0902", "ATIGA", "0%", agreement="KVFTA"),
        m("C", T.PROHIBITION, "3825", ERGA_OMNES, "5%", conditions=proof(PERMIT)),
        m("D", T.RESTRICTION, "3004", ERGA_OMNES),  # no document named
        m("E", T.VAT, "09", ERGA_OMNES),  # no duty expression
        m("F", T.ANTI_DUMPING, "7210", "CN", "4%", additional_code="C404"),
        m("G", T.SAFEGUARD, "7210", "ATIGA", "4%", excluded=frozenset({"CN"})),
        m("G", T.THIRD_COUNTRY_DUTY, "7211", ERGA_OMNES, "4%", valid_to=date(2021, 1, 1)),
    ]
    problems = validate(bad, areas(), AGREEMENTS, ["C001"])
    assert paths(problems) == [
        "measures.0.agreement",
        "measures.1.agreement",
        "measures.2.duty",
        "measures.2.conditions",
        "measures.3.conditions",
        "measures.4.duty",
        "measures.5.additional_code",
        "measures.6.excluded",
        "measures.7.id",
        "measures.7.valid_to",
    ]


def test_areas_and_agreements_are_validated_with_their_locations() -> None:
    bad_areas = [
        GeographicalArea.erga_omnes(),
        GeographicalArea.country("XX"),
        GeographicalArea.group(
            "ATIGA",
            "ATIGA",
            [
                AreaMembership("VN", ASEAN_SINCE),
                AreaMembership("VN", date(2015, 1, 1)),
                AreaMembership("QQ", ASEAN_SINCE),
                AreaMembership("TH", ASEAN_SINCE, date(2009, 1, 1)),
            ],
        ),
    ]
    problems = validate([], bad_areas, [Agreement("RCEP", "RCEP", "RCEP")])
    assert paths(problems) == [
        "areas.XX",
        "areas.ATIGA.memberships.1",
        "areas.ATIGA.memberships.2.country",
        "areas.ATIGA.memberships.3.valid_to",
        "agreements.RCEP.area",
    ]


# ---------------------------------------------------------------------------------------------
# The schedule's columns as measures: the same figures as today


@pytest.mark.parametrize("country", ["KH", "LA", "MY", "SG", "TH", "VN"])
def test_a_sample_schedule_as_measures_lays_the_same_customs_duty(country: str) -> None:
    path = sample_schedule(country)
    assert path is not None
    lines = parse_schedule(country, path)
    book = schedule_measures(lines)
    origin = "MY" if country != "MY" else "SG"
    value, quantity = D("12345678.9"), D("37.5")
    currency = ASEAN[country].currency
    for line in lines:
        for preference in (False, True):
            # the schedule's columns: the ATIGA rate when claimed with its proof, else MFN
            rate = line.atiga if preference and line.atiga is not None else line.mfn
            expected = (
                round_to_minor_unit(rate.amount(value, quantity), currency),
                str(rate),
                preference and line.atiga is not None,
            )
            duties = book.duties_for(
                line.code,
                origin,
                line.valid_from,
                claimed="ATIGA" if preference else None,
                documents=[doc(E_FORM_D, "VERIFIED")] if preference else [],
            )
            [duty] = duties.customs_lines(value, quantity, currency)
            assert (duty.amount, duty.rate, duty.preferential) == expected, line.code
            taxes = {t.measure.type: t.measure.duty for t in duties.taxes}
            assert taxes.get(T.VAT) == line.vat and taxes.get(T.EXCISE) == line.excise
