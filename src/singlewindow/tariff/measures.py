"""The tariff as measures, in TARIC's words: what applies to a goods code, for an origin, on a date.

Standard library only (with core's value modules and the tariff model). Today a national line
carries fixed columns (MFN, ATIGA, VAT, excise); a real administration lays many more measures
on one line, and each new agreement, prohibition or licence must be data, not a migration.
The UK Trade Tariff (TARIC) is the model:

    Measure ──── MeasureType (third-country duty, tariff preference, VAT, excise, ...)
      │            └── MeasureNature: duty / preference / tax / prohibition / restriction
      ├── goods code: 2, 4, 6 or 8 digits, inherited down the tree (09 covers 09011100)
      ├── GeographicalArea (a country, a group such as ATIGA, or erga omnes 1011)
      │     └── AreaMembership (country, valid_from, valid_to), and the measure's exclusions
      ├── additional code (a named producer, for anti-dumping)
      ├── duty expression: a `tariff.model.Rate`
      ├── MeasureCondition: the documents that unlock (a proof of origin) or are required
      │     (a licence, a permit, a consent), met by a goods item's `PresentedDocument`s
      └── for a preference, its `Agreement` (whose area says who is party, and when)

A set of them, validated as a whole and asked what applies to a goods item, is
`tariff.measure_set.MeasureSet`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from singlewindow.tariff.model import Rate

ERGA_OMNES = "1011"  # TARIC's code for "all third countries"
# What a measure file and a declaration may call things: an id (a measure, an area, an
# agreement) and a code (a document type, an additional code). No dots: a problem's location
# names an entry by its id (`areas.RCEP.memberships.3`).
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$"
GOODS_CODE_LENGTHS = (2, 4, 6, 8)  # chapter, heading, HS subheading, national line


def in_period(valid_from: date, valid_to: date | None, on: date) -> bool:
    """Validity as TARIC writes it: `valid_to` is the last day in force; None is open-ended."""
    return valid_from <= on and (valid_to is None or on <= valid_to)


def periods_overlap(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return (a_to is None or b_from <= a_to) and (b_to is None or a_from <= b_to)


# ---------------------------------------------------------------------------------------------
# Geographical areas


class AreaKind(enum.StrEnum):
    COUNTRY = "country"  # one country (ISO 3166 alpha-2)
    GROUP = "group"  # the parties to an agreement, or any named list of countries
    ERGA_OMNES = "erga_omnes"  # every country


@dataclass(frozen=True)
class AreaMembership:
    """A country's membership of a group, dated: agreements gain parties (RCEP entered into
    force for each party on its own date), so the same origin is covered on one day and not
    on the day before."""

    country: str
    valid_from: date
    valid_to: date | None = None

    def in_force(self, on: date) -> bool:
        return in_period(self.valid_from, self.valid_to, on)


@dataclass(frozen=True)
class GeographicalArea:
    """Where a measure applies: a country, a group of countries, or erga omnes (`1011`).

    An area's id is its business code (`VN`, `ATIGA`, `1011`), the one measures name; a
    country area needs no memberships, a group is exactly its dated memberships.
    """

    id: str
    description: str
    kind: AreaKind
    memberships: tuple[AreaMembership, ...] = ()
    _by_country: dict[str, tuple[AreaMembership, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        by_country: dict[str, list[AreaMembership]] = {}
        for membership in self.memberships:
            by_country.setdefault(membership.country, []).append(membership)
        object.__setattr__(self, "_by_country", {c: tuple(ms) for c, ms in by_country.items()})

    @classmethod
    def country(cls, code: str, description: str = "") -> GeographicalArea:
        return cls(code, description or code, AreaKind.COUNTRY)

    @classmethod
    def group(
        cls, id: str, description: str, memberships: Iterable[AreaMembership]
    ) -> GeographicalArea:
        return cls(id, description, AreaKind.GROUP, tuple(memberships))

    @classmethod
    def erga_omnes(cls) -> GeographicalArea:
        return cls(ERGA_OMNES, "Erga omnes (all third countries)", AreaKind.ERGA_OMNES)

    def covers(self, country: str, on: date) -> bool:
        """Whether `country` is in the area on `on` (a group: a membership in force)."""
        if self.kind is AreaKind.ERGA_OMNES:
            return True
        if self.kind is AreaKind.COUNTRY:
            return country == self.id
        return any(m.in_force(on) for m in self._by_country.get(country, ()))

    def ever_covers(self, country: str) -> bool:
        """Whether `country` is in the area on some date (an exclusion must name a member)."""
        if self.kind is AreaKind.GROUP:
            return country in self._by_country
        return self.kind is AreaKind.ERGA_OMNES or country == self.id

    @property
    def specificity(self) -> int:
        """A country is more specific than a group, a group than erga omnes: where two duties
        of one type apply to one origin, the more specific area's is the one that is due."""
        return {AreaKind.COUNTRY: 2, AreaKind.GROUP: 1, AreaKind.ERGA_OMNES: 0}[self.kind]


# ---------------------------------------------------------------------------------------------
# Measure types


class MeasureNature(enum.StrEnum):
    """What a measure type does to a goods item, which decides how `duties_for` treats it."""

    DUTY = "duty"  # a customs duty: the third-country duty, or one added to it
    PREFERENCE = "preference"  # a lower duty under an agreement, replacing the third-country one
    TAX = "tax"  # an internal tax collected at import (VAT, excise, environmental tax)
    PROHIBITION = "prohibition"  # the goods may not be imported
    RESTRICTION = "restriction"  # imported only with a document another agency issues


class MeasureType(enum.StrEnum):
    """The kinds of measure a node applies (TARIC 103 third-country duty, 142 tariff
    preference, 552 anti-dumping, 277 import prohibition, ...): a fixed, small set, because
    each one is handled differently; the agreements, areas and documents are data."""

    THIRD_COUNTRY_DUTY = "third_country_duty"
    TARIFF_PREFERENCE = "tariff_preference"
    VAT = "vat"
    EXCISE = "excise"
    ENVIRONMENTAL_TAX = "environmental_tax"
    ANTI_DUMPING = "anti_dumping"
    SAFEGUARD = "safeguard"
    PROHIBITION = "prohibition"
    RESTRICTION = "restriction"

    @property
    def nature(self) -> MeasureNature:
        return _NATURES[self]

    @property
    def is_additional_duty(self) -> bool:
        """Anti-dumping and safeguard duties are laid on top of the customs duty."""
        return self in (MeasureType.ANTI_DUMPING, MeasureType.SAFEGUARD)

    @property
    def label(self) -> str:
        return _LABELS[self]


_NATURES: dict[MeasureType, MeasureNature] = {
    MeasureType.THIRD_COUNTRY_DUTY: MeasureNature.DUTY,
    MeasureType.TARIFF_PREFERENCE: MeasureNature.PREFERENCE,
    MeasureType.VAT: MeasureNature.TAX,
    MeasureType.EXCISE: MeasureNature.TAX,
    MeasureType.ENVIRONMENTAL_TAX: MeasureNature.TAX,
    MeasureType.ANTI_DUMPING: MeasureNature.DUTY,
    MeasureType.SAFEGUARD: MeasureNature.DUTY,
    MeasureType.PROHIBITION: MeasureNature.PROHIBITION,
    MeasureType.RESTRICTION: MeasureNature.RESTRICTION,
}

_LABELS: dict[MeasureType, str] = {
    MeasureType.THIRD_COUNTRY_DUTY: "third-country duty",
    MeasureType.TARIFF_PREFERENCE: "tariff preference",
    MeasureType.VAT: "VAT",
    MeasureType.EXCISE: "excise",
    MeasureType.ENVIRONMENTAL_TAX: "environmental protection tax",
    MeasureType.ANTI_DUMPING: "anti-dumping duty",
    MeasureType.SAFEGUARD: "safeguard duty",
    MeasureType.PROHIBITION: "import prohibition",
    MeasureType.RESTRICTION: "import restriction",
}

# ---------------------------------------------------------------------------------------------
# Conditions and the documents that meet them


class DocumentRole(enum.StrEnum):
    PROOF_OF_ORIGIN = "proof_of_origin"  # unlocks a preference
    LICENCE = "licence"  # a licence or permit another agency issues
    CONSENT = "consent"  # a prior consent (the Basel consent for waste, to come)


@dataclass(frozen=True)
class DocumentType:
    """A kind of document a condition asks for (TARIC's certificate codes). Data, not code:
    a new agreement's certificate is one more value."""

    code: str
    description: str
    role: DocumentRole


E_FORM_D = DocumentType("E-FORM-D", "ATIGA e-Form D", DocumentRole.PROOF_OF_ORIGIN)
FORM_E = DocumentType("FORM-E", "ACFTA Form E", DocumentRole.PROOF_OF_ORIGIN)
FORM_AK = DocumentType("FORM-AK", "AKFTA Form AK", DocumentRole.PROOF_OF_ORIGIN)
RCEP_CERTIFICATE = DocumentType(
    "RCEP-CO", "RCEP certificate of origin", DocumentRole.PROOF_OF_ORIGIN
)
ORIGIN_DECLARATION = DocumentType(
    "ORIGIN-DECLARATION",
    "origin declaration by the exporter or producer (RCEP, CPTPP, EVFTA)",
    DocumentRole.PROOF_OF_ORIGIN,
)
IMPORT_LICENCE = DocumentType("IMPORT-LICENCE", "import licence", DocumentRole.LICENCE)
PERMIT = DocumentType("PERMIT", "import permit of a competent agency", DocumentRole.LICENCE)
CONSENT = DocumentType("CONSENT", "prior written consent", DocumentRole.CONSENT)
# The document types every node knows; a measure file may add its own (a new agreement's
# certificate, a Basel consent), and its conditions may name any of them.
DOCUMENT_TYPES: dict[str, DocumentType] = {
    t.code: t
    for t in (
        E_FORM_D,
        FORM_E,
        FORM_AK,
        RCEP_CERTIFICATE,
        ORIGIN_DECLARATION,
        IMPORT_LICENCE,
        PERMIT,
        CONSENT,
    )
}


@dataclass(frozen=True)
class PresentedDocument:
    """A document a goods item presents: its type code and its reference."""

    type: str
    reference: str


@dataclass(frozen=True)
class MeasureCondition:
    """One document a measure asks for: any one of `accepted` types, with a reference.

    On a preference it unlocks the lower rate (no proof, no preference); on a restriction it
    is the licence without which the import is an error. A measure's conditions must all be
    met; within one condition any accepted type will do (RCEP: a certificate *or* an origin
    declaration).
    """

    accepted: tuple[DocumentType, ...]
    description: str = ""

    @cached_property
    def codes(self) -> frozenset[str]:
        return frozenset(t.code for t in self.accepted)

    def met_by(self, documents: Sequence[PresentedDocument]) -> PresentedDocument | None:
        """The first presented document that meets the condition, or None."""
        codes = self.codes
        for document in documents:
            if document.type in codes and document.reference.strip():
                return document
        return None

    def wanted(self) -> str:
        """The documents asked for, as people read them: `ATIGA e-Form D or ...`."""
        return self.description or " or ".join(t.description for t in self.accepted)


# ---------------------------------------------------------------------------------------------
# Agreements, additional codes and measures


@dataclass(frozen=True)
class Agreement:
    """A preferential trade agreement: its id (`ATIGA`), name, and the area of its parties,
    whose dated memberships say whether an origin may claim it on a date."""

    id: str
    name: str
    area: str


@dataclass(frozen=True)
class AdditionalCode:
    """A code that narrows a measure beyond the goods code: for anti-dumping, one named
    producer (TARIC's additional codes, `C001`; the residual rate for all other producers has
    a code of its own, declared as such)."""

    code: str
    description: str


@dataclass(frozen=True)
class Measure:
    """One measure: a type laid on a goods code, for an area, over a period.

    `id` is a surrogate id, kept apart from the business codes (TARIC's measure sid), so
    that explanations can cite it. `goods_code` has 2, 4, 6 or 8 digits and covers every
    code under it. `excluded` are countries of the area the measure does not apply to.
    `additional_code`, when given, limits the measure to goods items that declare it.
    `duty` is the duty expression (duties, preferences, taxes); `agreement` names the
    agreement a preference belongs to.
    """

    id: str
    type: MeasureType
    goods_code: str
    area: str
    valid_from: date
    valid_to: date | None = None
    duty: Rate | None = None
    excluded: frozenset[str] = frozenset()
    additional_code: str | None = None
    conditions: tuple[MeasureCondition, ...] = ()
    agreement: str | None = None
    description: str = ""

    def in_force(self, on: date) -> bool:
        return in_period(self.valid_from, self.valid_to, on)

    def covers_code(self, code: str) -> bool:
        """Inheritance down the tree: a measure on chapter 09 applies to 09011100."""
        return code.startswith(self.goods_code)

    def applies_to(
        self,
        code: str,
        origin: str,
        on: date,
        additional_code: str | None,
        area: GeographicalArea,
    ) -> bool:
        """Whether the measure applies to a goods item of `code` from `origin` on `on`.

        `area` is this measure's area (the set resolves it). A measure with an additional
        code applies only to an item that declares that code.
        """
        return (
            self.in_force(on)
            and self.covers_code(code)
            and origin not in self.excluded
            and (self.additional_code is None or self.additional_code == additional_code)
            and area.covers(origin, on)
        )

    @property
    def title(self) -> str:
        """What the measure is, in a few words: `ATIGA tariff preference 0% on 0901`."""
        if self.description:
            return self.description
        what = f"{self.agreement} {self.type.label}" if self.agreement else self.type.label
        rate = f" {self.duty}" if self.duty is not None else ""
        return f"{what}{rate} on {self.goods_code}"

    @cached_property
    def citation(self) -> str:
        """How an explanation names the measure: its id and what it is (computed once: every
        duty line quotes it)."""
        area = "erga omnes" if self.area == ERGA_OMNES else self.area
        parts = [f"measure {self.id}: {self.title}, for {area}"]
        if self.excluded:
            parts.append(f" except {', '.join(sorted(self.excluded))}")
        if self.additional_code:
            parts.append(f", additional code {self.additional_code}")
        return "".join(parts)
