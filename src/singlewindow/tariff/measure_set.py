"""A country's measures as one validated set, and what they lay on a goods item.

`MeasureSet` validates a set as a whole (every `Problem` with its location, nothing kept of a
bad set) and answers the question of a goods item: `applicable()` (everything that applies, by
type) and `duties_for()` (the customs duty, the claimed preference or why it is refused,
additional duties, taxes, prohibitions and unmet restrictions), each result naming the
measure that produced it. `measures_of_lines` reads a schedule's fixed columns as measures.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from singlewindow.core.countries import ASEAN, is_country
from singlewindow.core.errors import Problem
from singlewindow.core.money import round_to_minor_unit
from singlewindow.tariff.errors import InvalidMeasures
from singlewindow.tariff.measures import (
    E_FORM_D,
    ERGA_OMNES,
    GOODS_CODE_LENGTHS,
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
    periods_overlap,
)
from singlewindow.tariff.model import DutyLine, TariffLine, TaxType

_DIGITS = re.compile(r"^\d+$")
ANSWERS_KEPT = 20_000  # duties_for answers a set keeps (a few MB at most)


@dataclass(frozen=True)
class Cited:
    """A result of `duties_for` and the measure that produced it."""

    measure: Measure
    reason: str = ""

    @property
    def id(self) -> str:
        return self.measure.id

    @property
    def description(self) -> str:
        return self.measure.citation


class RefusalKind(enum.StrEnum):
    """Why the tariff refuses a claimed preference. A claim the origin cannot make or
    without its proof is an error on the declaration; an agreement with no rate for the
    code only means the third-country duty is due."""

    UNKNOWN_AGREEMENT = "unknown_agreement"
    NOT_PARTY = "not_party"
    NO_RATE = "no_rate"
    NO_PROOF = "no_proof"

    @property
    def is_error(self) -> bool:
        return self is not RefusalKind.NO_RATE


@dataclass(frozen=True)
class PreferenceRefusal:
    """Why a claimed preference is not granted: the declaration shows it on the item."""

    agreement: str
    reason: str
    measure: Measure | None = None
    kind: RefusalKind = RefusalKind.NO_PROOF


@dataclass(frozen=True)
class Duties:
    """What the measures lay on one goods item, each part naming its measure.

    `customs_duty` is the preference when granted, else the third-country duty.
    `prohibitions` stop the declaration; `missing` are the restrictions whose documents the
    item does not present (an error on that item); `met` are those it does.
    """

    third_country: Cited | None
    preference: Cited | None
    refusal: PreferenceRefusal | None
    additional: tuple[Cited, ...]
    taxes: tuple[Cited, ...]
    prohibitions: tuple[Cited, ...]
    missing: tuple[Cited, ...]
    met: tuple[Cited, ...]

    @property
    def customs_duty(self) -> Cited | None:
        return self.preference or self.third_country

    @property
    def stopped(self) -> bool:
        return bool(self.prohibitions)

    def problems(self, path: str) -> list[Problem]:
        """The errors a declaration shows on this item (`path`, e.g. `items.2`): each
        prohibition, each missing licence, and a refused preference claim."""
        found = self.prohibition_problems(path)
        found += [
            Problem(f"{path}.documents", f"{c.reason} ({c.description})") for c in self.missing
        ]
        if self.refusal is not None and self.refusal.kind.is_error:
            found.append(Problem(f"{path}.preference", self.refusal.reason))
        return found

    def prohibition_problems(self, path: str) -> list[Problem]:
        """Why the item may not be imported at all, one problem a prohibition, at `path`."""
        return [Problem(path, f"{c.reason} ({c.description})") for c in self.prohibitions]

    def customs_lines(
        self, customs_value: Decimal, quantity: Decimal, currency: str
    ) -> list[DutyLine]:
        """The customs duty and the additional duties on the customs value, as duty lines
        whose `measure` cites the measure. Taxes are left to the country's rule of bases."""
        lines: list[DutyLine] = []
        duty = self.customs_duty
        if duty is not None:
            lines.append(
                _line(duty, customs_value, quantity, currency, preferential=duty is self.preference)
            )
        lines += [
            _line(c, customs_value, quantity, currency, tax=TaxType.ADDITIONAL_DUTY)
            for c in self.additional
        ]
        return lines

    def without_preference(self, refusal: PreferenceRefusal) -> Duties:
        """These duties with the preference refused (its proof not accepted by customs): the
        third-country duty is due."""
        return replace(self, preference=None, refusal=refusal)


def _line(
    cited: Cited,
    base: Decimal,
    quantity: Decimal,
    currency: str,
    preferential: bool = False,
    tax: TaxType = TaxType.IMPORT_DUTY,
) -> DutyLine:
    rate = cited.measure.duty
    if rate is None:  # validation refuses a duty measure without a duty expression
        raise ValueError(f"measure {cited.id} has no duty expression")
    amount = round_to_minor_unit(rate.amount(base, quantity), currency)
    return DutyLine(
        tax,
        cited.description,
        base,
        quantity,
        rate.text,
        amount,
        currency,
        preferential,
        rate,
    )


# ---------------------------------------------------------------------------------------------
# A set of measures


class MeasureSet:
    """One country's measures with the areas, agreements and additional codes they name.

    Built only from a valid set (`MeasureSet(...)` raises `InvalidMeasures` with every
    problem), so that the questions below never meet a dangling reference. Measures are
    indexed by goods code, so that "everything that applies" to a code is four dict look-ups
    (its chapter, heading, subheading and line) and a scan of the few measures found.
    """

    def __init__(
        self,
        measures: Iterable[Measure],
        areas: Iterable[GeographicalArea],
        agreements: Iterable[Agreement] = (),
        additional_codes: Iterable[AdditionalCode] = (),
        known_code: Callable[[str], bool] | None = None,
    ) -> None:
        """`known_code`, when given, says whether a goods code exists in the nomenclature."""
        self.measures = tuple(measures)
        area_list = tuple(areas)
        self.areas = {area.id: area for area in area_list}
        self.agreements = {agreement.id: agreement for agreement in agreements}
        self.additional_codes = {c.code: c for c in additional_codes}
        problems = validate(
            self.measures,
            area_list,
            tuple(self.agreements.values()),
            tuple(self.additional_codes),
            known_code,
        )
        if problems:
            raise InvalidMeasures(problems)
        by_code: dict[str, list[Measure]] = {}
        for measure in self.measures:
            by_code.setdefault(measure.goods_code, []).append(measure)
        self._by_code = {code: tuple(ms) for code, ms in by_code.items()}
        # duties_for answers by its question: lodgement asks the same few questions (code,
        # origin, day, claim, documents) thousands of times, and a set never changes
        self._answers: dict[tuple[object, ...], Duties] = {}
        self._codes: dict[tuple[object, ...], frozenset[str]] = {}
        # the document types some condition asks for: no other document changes an answer
        self.document_codes = frozenset(
            code for m in self.measures for c in m.conditions for code in c.codes
        )

    def __len__(self) -> int:
        return len(self.measures)

    def _candidates(self, code: str) -> Iterator[Measure]:
        for length in GOODS_CODE_LENGTHS:
            if length > len(code):
                break
            yield from self._by_code.get(code[:length], ())

    def applicable(
        self, code: str, origin: str, on: date, additional_code: str | None = None
    ) -> dict[MeasureType, tuple[Measure, ...]]:
        """Everything that applies to a goods item of `code` (8 digits) from `origin` on
        `on`, by type, most specific goods code first: what a trader asks before shipping."""
        found: dict[MeasureType, list[Measure]] = {}
        for measure in self._candidates(code):
            if measure.applies_to(code, origin, on, additional_code, self.areas[measure.area]):
                found.setdefault(measure.type, []).append(measure)
        return {
            kind: tuple(sorted(ms, key=lambda m: -len(m.goods_code))) for kind, ms in found.items()
        }

    def additional_codes_for(self, code: str, origin: str, on: date) -> frozenset[str]:
        """The additional codes of the measures in force on `code` for `origin`: a goods item
        must declare one of them (its producer, or the residual code for all others), since
        leaving it out would escape a duty laid on the producer."""
        question = ("additional codes", code, origin, on)
        answer = self._codes.get(question)
        if answer is None:
            answer = frozenset(
                m.additional_code
                for m in self._candidates(code)
                if m.additional_code is not None
                and m.applies_to(code, origin, on, m.additional_code, self.areas[m.area])
            )
            if len(self._codes) >= ANSWERS_KEPT:
                self._codes.clear()
            self._codes[question] = answer
        return answer

    def duties_for(
        self,
        code: str,
        origin: str,
        on: date,
        additional_code: str | None = None,
        claimed: str | None = None,
        documents: Sequence[PresentedDocument] = (),
    ) -> Duties:
        """What the measures lay on one goods item, as customs decides it.

        `claimed` is the agreement the trader names (customs grants the claimed preference
        only, never the best of all); it is granted only if the origin is party to the
        agreement on `on`, a preference of that agreement applies to the code, and the
        item's `documents` meet its conditions. Otherwise the refusal says why.
        """
        question = (code, origin, on, additional_code, claimed, tuple(documents))
        answer = self._answers.get(question)
        if answer is None:
            if len(self._answers) >= ANSWERS_KEPT:
                self._answers.clear()  # a bound, not an LRU: the few hot questions return
            answer = self._duties_for(code, origin, on, additional_code, claimed, documents)
            self._answers[question] = answer
        return answer

    def _duties_for(
        self,
        code: str,
        origin: str,
        on: date,
        additional_code: str | None,
        claimed: str | None,
        documents: Sequence[PresentedDocument],
    ) -> Duties:
        found = self.applicable(code, origin, on, additional_code)
        thirds = found.get(MeasureType.THIRD_COUNTRY_DUTY, ())
        third = self._most_specific(thirds) if thirds else None
        preference: Cited | None = None
        refusal: PreferenceRefusal | None = None
        if claimed is not None:
            preference, refusal = self._preference(
                claimed, code, origin, on, found.get(MeasureType.TARIFF_PREFERENCE, ()), documents
            )
        additional: list[Cited] = []
        taxes: list[Cited] = []
        prohibitions: list[Cited] = []
        missing: list[Cited] = []
        met: list[Cited] = []
        for kind, measures in found.items():
            # one duty or tax of each type is due: that of the most specific measure
            if kind.is_additional_duty:
                additional.append(Cited(self._most_specific(measures)))
            elif kind.nature is MeasureNature.TAX:
                taxes.append(Cited(self._most_specific(measures)))
            elif kind.nature is MeasureNature.PROHIBITION:
                prohibitions += [
                    Cited(m, f"the import of {code} from {origin} is prohibited") for m in measures
                ]
            elif kind.nature is MeasureNature.RESTRICTION:
                for measure in measures:
                    unmet = [c for c in measure.conditions if c.met_by(documents) is None]
                    if unmet:
                        wanted = "; ".join(c.wanted() for c in unmet)
                        missing.append(Cited(measure, f"{code} needs {wanted}"))
                    else:
                        met.append(Cited(measure))
        return Duties(
            third_country=None if third is None else Cited(third),
            preference=preference,
            refusal=refusal,
            additional=tuple(additional),
            taxes=tuple(taxes),
            prohibitions=tuple(prohibitions),
            missing=tuple(missing),
            met=tuple(met),
        )

    def _most_specific(self, measures: Sequence[Measure]) -> Measure:
        """Of the measures of one type that apply (validation allows one per area on one
        branch of the tree), the one for a named producer (additional code) before one for
        all, then of the most specific area (a country before a group, before erga omnes),
        then of the longest goods code."""
        return max(
            measures,
            key=lambda m: (
                m.additional_code is not None,
                self.areas[m.area].specificity,
                len(m.goods_code),
            ),
        )

    def _preference(
        self,
        claimed: str,
        code: str,
        origin: str,
        on: date,
        preferences: Sequence[Measure],
        documents: Sequence[PresentedDocument],
    ) -> tuple[Cited | None, PreferenceRefusal | None]:
        agreement = self.agreements.get(claimed)
        if agreement is None:
            return None, PreferenceRefusal(
                claimed,
                f"{claimed} is not an agreement of this tariff",
                kind=RefusalKind.UNKNOWN_AGREEMENT,
            )
        if not self.areas[agreement.area].covers(origin, on):
            return None, PreferenceRefusal(
                claimed,
                f"{origin} is not party to {agreement.name} on {on.isoformat()}",
                kind=RefusalKind.NOT_PARTY,
            )
        measures = [m for m in preferences if m.agreement == claimed]
        if not measures:
            return None, PreferenceRefusal(
                claimed,
                f"{agreement.name} has no preferential rate for {code} from {origin}",
                kind=RefusalKind.NO_RATE,
            )
        measure = self._most_specific(measures)
        unmet = [c for c in measure.conditions if c.met_by(documents) is None]
        if unmet:
            wanted = "; ".join(c.wanted() for c in unmet)
            return None, PreferenceRefusal(
                claimed, f"{agreement.name} preference needs {wanted}", measure
            )
        proofs = [c.met_by(documents) for c in measure.conditions]
        shown = ", ".join(f"{p.type} {p.reference}" for p in proofs if p is not None)
        return Cited(measure, f"proof of origin {shown}" if shown else ""), None


# ---------------------------------------------------------------------------------------------
# Validation


def validate(
    measures: Sequence[Measure],
    areas: Sequence[GeographicalArea],
    agreements: Sequence[Agreement] = (),
    additional_codes: Sequence[str] = (),
    known_code: Callable[[str], bool] | None = None,
) -> list[Problem]:
    """Every problem of a set, each with its location (`measures.3.area`, `areas.ATIGA...`)."""
    problems = _area_problems(areas)
    by_area = {area.id: area for area in areas}
    for agreement in agreements:
        if agreement.area not in by_area:
            problems.append(
                Problem(
                    f"agreements.{agreement.id}.area", f"no geographical area {agreement.area!r}"
                )
            )
    agreement_ids = {a.id for a in agreements}
    codes = set(additional_codes)
    seen: dict[str, int] = {}
    for index, measure in enumerate(measures):
        path = f"measures.{index}"
        if measure.id in seen:
            problems.append(
                Problem(
                    f"{path}.id", f"measure id {measure.id!r} is also measures.{seen[measure.id]}"
                )
            )
        seen.setdefault(measure.id, index)
        problems += _measure_problems(path, measure, by_area, agreement_ids, codes, known_code)
    problems += _overlaps(measures)
    return problems


def _area_problems(areas: Sequence[GeographicalArea]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for area in areas:
        path = f"areas.{area.id}"
        if area.id in seen:
            problems.append(Problem(path, f"area {area.id!r} is defined twice"))
        seen.add(area.id)
        if area.kind is AreaKind.COUNTRY and not is_country(area.id):
            problems.append(Problem(path, f"{area.id!r} is not an ISO 3166 country code"))
        if area.kind is not AreaKind.GROUP and area.memberships:
            problems.append(Problem(f"{path}.memberships", "only a group has members"))
        by_country: dict[str, list[AreaMembership]] = {}
        for index, membership in enumerate(area.memberships):
            where = f"{path}.memberships.{index}"
            if not is_country(membership.country):
                problems.append(
                    Problem(f"{where}.country", f"{membership.country!r} is not a country code")
                )
            if membership.valid_to is not None and membership.valid_to < membership.valid_from:
                problems.append(Problem(f"{where}.valid_to", "ends before it starts"))
            for other in by_country.get(membership.country, ()):
                if periods_overlap(
                    other.valid_from, other.valid_to, membership.valid_from, membership.valid_to
                ):
                    problems.append(
                        Problem(where, f"{membership.country} is a member twice over one period")
                    )
            by_country.setdefault(membership.country, []).append(membership)
    return problems


_WITH_DUTY = (MeasureNature.DUTY, MeasureNature.PREFERENCE, MeasureNature.TAX)


def _measure_problems(
    path: str,
    measure: Measure,
    areas: dict[str, GeographicalArea],
    agreements: set[str],
    additional_codes: set[str],
    known_code: Callable[[str], bool] | None,
) -> list[Problem]:
    problems: list[Problem] = []
    code = measure.goods_code
    if not _is_goods_code(code):
        problems.append(
            Problem(f"{path}.goods_code", f"{code!r} is not a goods code of 2, 4, 6 or 8 digits")
        )
    elif known_code is not None and not known_code(code):
        problems.append(Problem(f"{path}.goods_code", f"no goods code {code} in the nomenclature"))
    area = areas.get(measure.area)
    if area is None:
        problems.append(Problem(f"{path}.area", f"no geographical area {measure.area!r}"))
    for country in sorted(measure.excluded):
        if area is not None and not area.ever_covers(country):
            problems.append(Problem(f"{path}.excluded", f"{country} is not in area {measure.area}"))
    if measure.valid_to is not None and measure.valid_to < measure.valid_from:
        problems.append(Problem(f"{path}.valid_to", "ends before it starts"))
    nature = measure.type.nature
    if nature in _WITH_DUTY and measure.duty is None:
        problems.append(Problem(f"{path}.duty", f"a {measure.type.label} needs a duty expression"))
    if nature not in _WITH_DUTY and measure.duty is not None:
        problems.append(Problem(f"{path}.duty", f"a {measure.type.label} lays no duty"))
    if nature is MeasureNature.PREFERENCE:
        if measure.agreement is None:
            problems.append(Problem(f"{path}.agreement", "a tariff preference names its agreement"))
        elif measure.agreement not in agreements:
            problems.append(Problem(f"{path}.agreement", f"no agreement {measure.agreement!r}"))
    elif measure.agreement is not None:
        problems.append(Problem(f"{path}.agreement", "only a tariff preference has an agreement"))
    if nature is MeasureNature.RESTRICTION and not measure.conditions:
        problems.append(Problem(f"{path}.conditions", "a restriction names the documents it needs"))
    if nature not in (MeasureNature.PREFERENCE, MeasureNature.RESTRICTION) and measure.conditions:
        problems.append(
            Problem(
                f"{path}.conditions",
                f"a {measure.type.label} has no conditions (one lifted by a document is a "
                "restriction)",
            )
        )
    for index, condition in enumerate(measure.conditions):
        if not condition.accepted:
            problems.append(Problem(f"{path}.conditions.{index}", "accepts no document type"))
    if measure.additional_code is not None and measure.additional_code not in additional_codes:
        problems.append(
            Problem(f"{path}.additional_code", f"no additional code {measure.additional_code!r}")
        )
    return problems


def _is_goods_code(code: str) -> bool:
    return bool(_DIGITS.match(code)) and len(code) in GOODS_CODE_LENGTHS


def _overlaps(measures: Sequence[Measure]) -> list[Problem]:
    """Two measures of one type, area, additional code (and agreement) whose goods codes are
    on one branch of the tree (one the other's ancestor, or the same) and whose periods
    overlap: which would be due is ambiguous, so the set is refused (TARIC's rule ME32).

    Each measure is compared with the earlier ones on its own code and with all those on its
    ancestors' codes (a pair is reported once, at the longer code): a few look-ups each, not
    a comparison of every pair, so a whole schedule validates in linear time."""
    # a measure with a bad code is refused on its own; its overlaps would only repeat that
    valid = [
        (i, measure) for i, measure in enumerate(measures) if _is_goods_code(measure.goods_code)
    ]
    by_key: dict[tuple[object, ...], list[tuple[int, Measure]]] = {}
    for index, measure in valid:
        key = (measure.type, measure.area, measure.additional_code, measure.agreement)
        by_key.setdefault((*key, measure.goods_code), []).append((index, measure))
    problems: list[Problem] = []
    for index, measure in valid:
        key = (measure.type, measure.area, measure.additional_code, measure.agreement)
        code = measure.goods_code
        others = [
            found
            for length in GOODS_CODE_LENGTHS
            if length < len(code)
            for found in by_key.get((*key, code[:length]), ())
        ]
        others += [found for found in by_key[(*key, code)] if found[0] < index]
        for other_index, other in others:
            if periods_overlap(
                measure.valid_from, measure.valid_to, other.valid_from, other.valid_to
            ):
                problems.append(
                    Problem(
                        f"measures.{index}",
                        f"{measure.type.label} {measure.id} on {code} for {measure.area} "
                        f"overlaps measures.{other_index} ({other.id} on {other.goods_code}) "
                        "in time",
                    )
                )
    return problems


# ---------------------------------------------------------------------------------------------
# The schedule's fixed columns as measures

ATIGA_IN_FORCE = date(2010, 5, 17)  # the ASEAN Trade in Goods Agreement entered into force
ATIGA_AREA = GeographicalArea.group(
    "ATIGA", "ATIGA member states", [AreaMembership(c, ATIGA_IN_FORCE) for c in sorted(ASEAN)]
)
ATIGA = Agreement("ATIGA", "ATIGA", "ATIGA")
_COLUMNS = (
    ("mfn", MeasureType.THIRD_COUNTRY_DUTY, "MFN rate"),
    ("atiga", MeasureType.TARIFF_PREFERENCE, "ATIGA preferential rate"),
    ("excise", MeasureType.EXCISE, "excise"),
    ("vat", MeasureType.VAT, "VAT"),
)


def measures_of_lines(lines: Iterable[TariffLine]) -> list[Measure]:
    """A national schedule's columns as measures, so that the schedule CSV keeps loading:
    MFN is the third-country duty (erga omnes), ATIGA a tariff preference for the ATIGA
    area unlocked by an e-Form D, excise and VAT their taxes; each on the line's 8-digit
    code over the line's validity. Ids say where each came from: `VN-22030090-2022-01-01-mfn`.
    """
    found: list[Measure] = []
    for line in lines:
        rates = line.rates()
        for column, kind, name in _COLUMNS:
            rate = rates[column]
            if rate is None:
                continue
            preference = kind is MeasureType.TARIFF_PREFERENCE
            found.append(
                Measure(
                    id=f"{line.country}-{line.code}-{line.valid_from.isoformat()}-{column}",
                    type=kind,
                    goods_code=line.code,
                    area=ATIGA_AREA.id if preference else ERGA_OMNES,
                    valid_from=line.valid_from,
                    valid_to=line.valid_to,
                    duty=rate,
                    conditions=(MeasureCondition((E_FORM_D,)),) if preference else (),
                    agreement=ATIGA.id if preference else None,
                    description=f"{name} {rate} on {line.dotted_code}",
                )
            )
    return found


def schedule_measures(lines: Iterable[TariffLine]) -> MeasureSet:
    """The measure set of a schedule of fixed columns, with the areas its measures name."""
    return national_measures(lines)


@dataclass(frozen=True)
class MeasureData:
    """What a country adds to its schedule's columns (a measure file, docs/tariff-measures.md):
    its measures and the areas, agreements, additional codes and document types they name.

    An area or agreement of the same id as a built-in one (`ATIGA`, `1011`) replaces it, so a
    country may date the ATIGA memberships its own way.
    """

    measures: tuple[Measure, ...] = ()
    areas: tuple[GeographicalArea, ...] = ()
    agreements: tuple[Agreement, ...] = ()
    additional_codes: tuple[AdditionalCode, ...] = ()
    document_types: tuple[DocumentType, ...] = ()


def national_measures(
    lines: Iterable[TariffLine],
    data: MeasureData = MeasureData(),
    known_code: Callable[[str], bool] | None = None,
) -> MeasureSet:
    """A country's whole measure set: its measure file's measures first (so that a problem
    at `measures.N` is the file's N-th measure), then its schedule's columns as measures.
    `InvalidMeasures` with every problem when the two do not fit together."""
    areas = {area.id: area for area in (GeographicalArea.erga_omnes(), ATIGA_AREA)}
    areas.update({area.id: area for area in data.areas})
    agreements = {ATIGA.id: ATIGA} | {a.id: a for a in data.agreements}
    return MeasureSet(
        (*data.measures, *measures_of_lines(lines)),
        areas.values(),
        agreements.values(),
        data.additional_codes,
        known_code,
    )
