"""Waste shipments under the Basel Convention, plain Python: which goods codes are waste, the
Basel entries a waste item is classified under and what each requires, the consent an
importing country gave (PIC) with its arithmetic, and the dated rules a country sets.

    waste item (HS code below) ──► Basel code needed
        Annex VIII (A…), Annex II (Y46, Y48, Y49)  ──► the importing country's prior informed
            consent: its notification reference, parties, Basel and HS code, validity and
            quantity (kg) checked; the quantity used never goes over the quantity consented
        Annex IX (B…)  ──► the exporter's attestation (B3011: sorted, clean, for
            environmentally sound recycling) and, for plastics, the contamination share
    every waste item ──► the country's dated rules: outright bans (by Basel code, HS code,
        origin) and minimum standards (a maximum contamination share)

The waste headings are HS 2022 headings and subheadings checked one by one against the
packaged nomenclature (`tariff/data/harmonized-system.csv`, UN Comtrade's HS 2022 texts):
see `WASTE_HEADINGS` and `WASTE_SUBHEADINGS`. The Basel entries are those of the Convention's
annexes as amended by decision BC-14/12 (plastic waste, in force 1 January 2021) and BC-15/18
(electrical and electronic waste, in force 1 January 2025: A1181 and Y49 replace A1180 and
B1110).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from singlewindow.core.countries import is_country
from singlewindow.core.errors import Problem
from singlewindow.declarations.model import Declaration, DeclarationType, GoodsItem
from singlewindow.green.errors import ConsentConflict, InvalidConsent, InvalidRule

# -- which goods are waste ---------------------------------------------------------------------

# Headings whose every subheading is waste or scrap (HS 2022, checked against the packaged
# nomenclature). 85.48 is not here: HS 2022 moved its waste and scrap to the new 85.49.
WASTE_HEADINGS: dict[str, str] = {
    "2618": "granulated slag from the manufacture of iron or steel",
    "2619": "slag, dross, scalings and other waste from iron or steel",
    "2620": "slag, ash and residues containing metals, arsenic or their compounds",
    "2621": "other slag and ash, incl. ash from the incineration of municipal waste",
    "3825": "residual products of the chemical industries; municipal waste; sewage sludge",
    "3915": "waste, parings and scrap of plastics",
    "4004": "waste, parings and scrap of rubber",
    "4707": "recovered (waste and scrap) paper or paperboard",
    "5003": "silk waste",
    "5103": "waste of wool or of animal hair",
    "5202": "cotton waste",
    "6310": "rags, scrap twine, cordage, rope and cables",
    "7001": "cullet and other waste and scrap of glass",
    "7112": "waste and scrap of precious metal",
    "7204": "ferrous waste and scrap",
    "7404": "copper waste and scrap",
    "7503": "nickel waste and scrap",
    "7602": "aluminium waste and scrap",
    "7802": "lead waste and scrap",
    "7902": "zinc waste and scrap",
    "8002": "tin waste and scrap",
    "8549": "electrical and electronic waste and scrap",
}
# Subheadings that are waste in headings that are not wholly waste.
WASTE_SUBHEADINGS: dict[str, str] = {
    "271091": "waste oils containing PCBs, PCTs or PBBs",
    "271099": "other waste oils",
    "300692": "waste pharmaceuticals",
    "411520": "parings and other waste of leather",
    "810197": "tungsten waste and scrap",
    "810297": "molybdenum waste and scrap",
    "810330": "tantalum waste and scrap",
    "810420": "magnesium waste and scrap",
    "810530": "cobalt waste and scrap",
    "810830": "titanium waste and scrap",
    "810931": "zirconium waste and scrap (hafnium < 1:500)",
    "810939": "zirconium waste and scrap (hafnium ≥ 1:500)",
    "811020": "antimony waste and scrap",
    "811213": "beryllium waste and scrap",
    "811222": "chromium waste and scrap",
    "811252": "thallium waste and scrap",
    "811261": "cadmium waste and scrap",
}


def is_waste(commodity_code: str) -> bool:
    """Whether goods of this code (6 or more digits) are waste under HS 2022."""
    return commodity_code[:4] in WASTE_HEADINGS or commodity_code[:6] in WASTE_SUBHEADINGS


def dotted(commodity_code: str) -> str:
    """`391590` → `3915.90`: how officers write a subheading."""
    return f"{commodity_code[:4]}.{commodity_code[4:6]}"


# -- the Basel entries --------------------------------------------------------------------------


class Requirement(enum.StrEnum):
    CONSENT = "consent"  # prior informed consent of the importing country (Art. 6)
    ATTESTATION = "attestation"  # the exporter's attestation of what the entry requires


@dataclass(frozen=True)
class BaselEntry:
    code: str
    annex: str  # II, VIII or IX
    description: str
    headings: tuple[str, ...]  # the HS headings its goods are declared under
    valid_from: date = date(1992, 5, 5)  # the Convention's entry into force
    valid_to: date | None = None

    @property
    def requirement(self) -> Requirement:
        # Annex VIII is hazardous, Annex II needs special consideration: both under control.
        return Requirement.ATTESTATION if self.annex == "IX" else Requirement.CONSENT

    @property
    def plastic(self) -> bool:
        return "3915" in self.headings

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


_PLASTIC_AMENDMENT = date(2021, 1, 1)
_E_WASTE_AMENDMENT = date(2025, 1, 1)
_METALS = ("7204", "7404", "7503", "7602", "7902", "8002", "7112", "8101", "8102", "8103",
           "8104", "8105", "8108", "8109", "8111", "8112")

BASEL: dict[str, BaselEntry] = {e.code: e for e in (
    BaselEntry("A3210", "VIII", "plastic waste containing or contaminated with Annex I "
               "constituents, or with Annex III characteristics", ("3915",),
               _PLASTIC_AMENDMENT),
    BaselEntry("Y48", "II", "plastic waste, including mixtures, other than A3210 and B3011",
               ("3915",), _PLASTIC_AMENDMENT),
    BaselEntry("B3011", "IX", "plastic waste almost exclusively of one non-halogenated polymer "
               "(or a few), destined for separate recycling in an environmentally sound "
               "manner and almost free from contamination", ("3915",), _PLASTIC_AMENDMENT),
    BaselEntry("A1180", "VIII", "waste electrical and electronic assemblies containing "
               "hazardous components (replaced by A1181)", ("8549",),
               valid_to=date(2024, 12, 31)),
    BaselEntry("B1110", "IX", "electrical and electronic assemblies without hazardous "
               "components (deleted: see Y49)", ("8549",),
               valid_to=date(2024, 12, 31)),
    BaselEntry("A1181", "VIII", "waste electrical and electronic equipment containing or "
               "contaminated with hazardous components", ("8549",), _E_WASTE_AMENDMENT),
    BaselEntry("Y49", "II", "waste electrical and electronic equipment other than A1181",
               ("8549",), _E_WASTE_AMENDMENT),
    BaselEntry("A1160", "VIII", "waste lead-acid batteries, whole or crushed", ("8549",)),
    BaselEntry("A2010", "VIII", "glass waste from cathode-ray tubes and other activated "
               "glasses", ("7001", "8549")),
    BaselEntry("A3020", "VIII", "waste mineral oils unfit for their originally intended use",
               ("2710",)),
    BaselEntry("A4010", "VIII", "wastes from the production, preparation and use of "
               "pharmaceutical products", ("3006", "3825")),
    BaselEntry("Y46", "II", "wastes collected from households", ("3825",)),
    BaselEntry("B1010", "IX", "metal and metal-alloy wastes in metallic, non-dispersible "
               "form", _METALS),
    BaselEntry("B2020", "IX", "glass waste in non-dispersible form", ("7001",)),
    BaselEntry("B3020", "IX", "paper, paperboard and paper product wastes", ("4707",)),
    BaselEntry("B3030", "IX", "textile wastes", ("5003", "5103", "5202", "6310")),
    BaselEntry("B3040", "IX", "rubber wastes", ("4004",)),
)}
BASEL_CODE = re.compile(r"(A|B)[0-9]{4}|Y[0-9]{1,2}")


# -- what a goods item declares -----------------------------------------------------------------


@dataclass(frozen=True)
class WasteItem:
    """The Basel data of one goods item of a declaration, as the green room reads it."""

    index: int  # position in the declaration (paths: items.<index>.…)
    sequence: int
    commodity_code: str
    origin_country: str
    net_mass: Decimal  # kg: what a consent's quantity is counted in
    basel_code: str | None
    consent: str | None
    attestation: str | None
    contamination_share: Decimal | None

    @property
    def label(self) -> str:
        return f"item {self.sequence}"

    @classmethod
    def of(cls, index: int, item: GoodsItem) -> WasteItem:
        return cls(index, item.sequence, item.commodity_code, item.origin_country,
                   item.net_mass, item.basel_code, item.waste_consent,
                   item.recycling_attestation, item.contamination_share)


def waste_items(declaration: Declaration) -> list[WasteItem]:
    """The items a Basel check concerns: waste codes, and any item that names Basel data."""
    return [
        WasteItem.of(index, item) for index, item in enumerate(declaration.items)
        if is_waste(item.commodity_code) or item.basel_code or item.waste_consent
    ]


def concerns(declaration: Declaration) -> bool:
    """Cheap first look (no I/O): does the green room have anything to check?"""
    return any(
        is_waste(item.commodity_code) or item.basel_code or item.waste_consent
        for item in declaration.items
    )


def item_problems(item: WasteItem, on: date) -> list[Problem]:
    """What is wrong with one item's Basel classification, whatever consents and rules say."""
    path = f"items.{item.index}"
    hs = item.commodity_code[:6]
    if not is_waste(item.commodity_code):
        return [Problem(f"{path}.basel_code",
                        f"{item.label}: HS {hs} is not waste: Basel data does not belong"
                        " on it")]
    if not item.basel_code:
        return [Problem(f"{path}.basel_code",
                        f"{item.label}: HS {hs} is waste: a Basel code is needed")]
    entry = BASEL.get(item.basel_code)
    if entry is None:
        return [Problem(f"{path}.basel_code",
                        f"{item.label}: {item.basel_code} is not a Basel entry this node knows"
                        f" ({', '.join(sorted(BASEL))})")]
    problems: list[Problem] = []
    if not entry.in_force(on):
        problems.append(Problem(f"{path}.basel_code",
                                f"{item.label}: Basel entry {entry.code} is not in force on"
                                f" {on}"))
    if item.commodity_code[:4] not in entry.headings:
        problems.append(Problem(f"{path}.basel_code",
                                f"{item.label}: Basel entry {entry.code} ({entry.description})"
                                f" is not declared under HS {dotted(hs)}"))
    if entry.requirement is Requirement.CONSENT and not item.consent:
        problems.append(Problem(f"{path}.waste_consent",
                                f"{item.label}: {entry.code} needs the prior informed consent"
                                " of the importing country: give its notification reference"))
    if entry.requirement is Requirement.ATTESTATION:
        if not item.attestation:
            problems.append(Problem(f"{path}.recycling_attestation",
                                    f"{item.label}: {entry.code} needs the exporter's"
                                    " attestation (sorted, clean, for environmentally sound"
                                    " recycling)"))
        if entry.plastic and item.contamination_share is None:
            problems.append(Problem(f"{path}.contamination_share",
                                    f"{item.label}: {entry.code} needs the contamination"
                                    " share declared"))
    if item.contamination_share is not None and not 0 <= item.contamination_share <= 1:
        problems.append(Problem(f"{path}.contamination_share",
                                f"{item.label}: a contamination share is between 0 and 1"))
    return problems


# -- consents -----------------------------------------------------------------------------------

KG = Decimal("0.001")  # consents count grams at most
NOTIFICATION = re.compile(r"[A-Z]{2}-[0-9A-Z][0-9A-Z/-]{0,30}")


@dataclass(frozen=True)
class Consent:
    """The consent the importing country's competent authority gave a notified movement:
    who may ship what to whom, how much, until when; and how much has been used."""

    reference: str  # the notification reference, e.g. VN-2026-0042
    importing_country: str
    exporter: str  # party ids as declarations name them
    importer: str
    basel_code: str
    hs_code: str  # the HS subheading (6 digits) the consent covers
    quantity: Decimal  # kg
    valid_from: date
    valid_to: date
    used: Decimal = Decimal(0)
    revoked: bool = False
    exporter_name: str = ""
    importer_name: str = ""

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.used

    def problems_for(self, item: WasteItem, exporter: str | None, importer: str | None,
                     on: date, taken: Decimal = Decimal(0)) -> list[Problem]:
        """Why this consent does not cover `item` shipped by `exporter` to `importer` on `on`,
        `taken` kg of it already counted for earlier items of the same lodgement."""
        path = f"items.{item.index}.waste_consent"
        ref = f"consent {self.reference}"

        def problem(message: str) -> Problem:
            return Problem(path, f"{item.label}: {ref} {message}")

        if self.revoked:
            return [problem("was revoked")]
        problems = []
        if on < self.valid_from:
            problems.append(problem(f"is valid from {self.valid_from}"))
        if on > self.valid_to:
            problems.append(problem(f"expired on {self.valid_to}"))
        if (exporter, importer) != (self.exporter, self.importer):
            problems.append(problem(f"is for other parties (exporter {self.exporter},"
                                    f" importer {self.importer})"))
        if item.basel_code != self.basel_code:
            problems.append(problem(f"is for Basel code {self.basel_code}, not"
                                    f" {item.basel_code}"))
        if item.commodity_code[:6] != self.hs_code:
            problems.append(problem(f"is for HS {self.hs_code}, not"
                                    f" {item.commodity_code[:6]}"))
        left = self.remaining - taken
        if item.net_mass > left:
            problems.append(problem(f"is used up: {kilograms(left)} kg left,"
                                    f" {kilograms(item.net_mass)} kg declared"))
        return problems

    def use(self, kg: Decimal) -> Consent:
        """The consent with `kg` more used; never over the quantity consented."""
        if kg <= 0:
            raise ConsentConflict("a shipment uses a positive quantity")
        if self.used + kg > self.quantity:
            raise ConsentConflict(f"consent {self.reference} is used up: "
                                  f"{kilograms(self.remaining)} kg left,"
                                  f" {kilograms(kg)} kg declared")
        return replace(self, used=self.used + kg)

    def give_back(self, kg: Decimal) -> Consent:
        """The consent with a cancelled shipment's `kg` returned."""
        if kg <= 0 or kg > self.used:
            raise ConsentConflict(f"consent {self.reference} has {kilograms(self.used)} kg used;"
                                  f" {kilograms(kg)} kg cannot be given back")
        return replace(self, used=self.used - kg)


def kilograms(amount: Decimal) -> str:
    """4000 → '4,000'; 12.5 → '12.5'."""
    normal = amount.quantize(KG).normalize()
    whole, _, fraction = f"{normal:f}".partition(".")
    return f"{int(whole):,}" + (f".{fraction}" if fraction else "")


def consent_problems(consent: Consent, country: str) -> list[Problem]:
    """What is wrong with a consent an authority records."""
    problems = []
    if not NOTIFICATION.fullmatch(consent.reference):
        problems.append(Problem("reference", "a notification reference is the country code, a"
                                             " hyphen and up to 31 capital letters, digits, /"
                                             " or -, e.g. VN-2026-0042"))
    if consent.importing_country != country:
        problems.append(Problem("importing_country",
                                f"this node records the consents {country} gives"))
    entry = BASEL.get(consent.basel_code)
    if entry is None:
        problems.append(Problem("basel_code", f"{consent.basel_code} is not a Basel entry"
                                              " this node knows"))
    elif entry.requirement is not Requirement.CONSENT:
        problems.append(Problem("basel_code", f"{entry.code} (Annex IX) moves without prior"
                                              " informed consent"))
    elif consent.hs_code[:4] not in entry.headings:
        problems.append(Problem("hs_code", f"{entry.code} is not declared under HS"
                                           f" {dotted(consent.hs_code)}"))
    if not (len(consent.hs_code) == 6 and consent.hs_code.isdigit()
            and is_waste(consent.hs_code)):
        problems.append(Problem("hs_code", f"{consent.hs_code!r} is not a waste subheading of"
                                           " HS 2022 (6 digits)"))
    if consent.quantity <= 0 or consent.quantity != consent.quantity.quantize(KG):
        problems.append(Problem("quantity", "the quantity is a positive number of kg (at most"
                                            " 3 decimals)"))
    if consent.valid_to < consent.valid_from:
        problems.append(Problem("valid_to", "the consent ends before it starts"))
    for name in ("exporter", "importer"):
        if not getattr(consent, name).strip():
            problems.append(Problem(name, f"the {name} is required"))
    if problems:
        raise InvalidConsent(problems)
    return problems


# -- a country's rules --------------------------------------------------------------------------


class RuleKind(enum.StrEnum):
    BAN = "ban"  # an outright ban of the matching waste
    MAX_CONTAMINATION = "max_contamination"  # a minimum standard: the share at most


class Direction(enum.StrEnum):
    IMPORT = "import"
    EXPORT = "export"


@dataclass(frozen=True)
class CountryRule:
    """A dated rule of this country on waste it lets in (or out): which waste it matches
    (any of Basel code, HS code prefix, origin; None matches all) and what it says."""

    id: str
    kind: RuleKind
    valid_from: date
    valid_to: date | None = None
    direction: Direction = Direction.IMPORT
    basel_code: str | None = None
    hs_prefix: str | None = None
    origin: str | None = None
    max_share: Decimal | None = None  # for MAX_CONTAMINATION, e.g. 0.005 (0.5 %)
    note: str = ""
    sample: bool = False  # a rule the packaged sample data set, not a country's law

    def matches(self, item: WasteItem, direction: Direction, on: date) -> bool:
        return (
            self.direction is direction
            and self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)
            and (self.basel_code is None or self.basel_code == item.basel_code)
            and (self.hs_prefix is None or item.commodity_code.startswith(self.hs_prefix))
            and (self.origin is None or self.origin == item.origin_country)
        )

    @property
    def what(self) -> str:
        parts = [p for p in (self.basel_code, self.hs_prefix and f"HS {self.hs_prefix}",
                             self.origin and f"from {self.origin}") if p]
        return " ".join(parts) or "waste"

    @property
    def label(self) -> str:
        return f"rule {self.id}" + (", a sample" if self.sample else "")

    def problem_for(self, item: WasteItem, country: str) -> Problem | None:
        path = f"items.{item.index}"
        moves = "imports" if self.direction is Direction.IMPORT else "exports"
        if self.kind is RuleKind.BAN:
            return Problem(f"{path}.basel_code",
                           f"{item.label}: banned in {country} from {self.valid_from}:"
                           f" {self.what} {moves} ({self.label})")
        assert self.max_share is not None
        share = item.contamination_share
        if share is None:
            return Problem(f"{path}.contamination_share",
                           f"{item.label}: {country} admits {self.what} with at most"
                           f" {_percent(self.max_share)} contamination: declare the share"
                           f" ({self.label})")
        if share > self.max_share:
            return Problem(f"{path}.contamination_share",
                           f"{item.label}: contamination {_percent(share)} is over {country}'s"
                           f" {_percent(self.max_share)} for {self.what} {moves}"
                           f" ({self.label})")
        return None


def _percent(share: Decimal) -> str:
    return f"{(share * 100).normalize():f} %"


RULE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


def rule_problems(rule: CountryRule) -> None:
    problems = []
    if not RULE_ID.fullmatch(rule.id):
        problems.append(Problem("id", "a rule id is 1 to 40 small letters, digits or hyphens"))
    if rule.basel_code is not None and rule.basel_code not in BASEL:
        problems.append(Problem("basel_code", f"{rule.basel_code} is not a Basel entry this"
                                              " node knows"))
    if rule.hs_prefix is not None and not (rule.hs_prefix.isdigit()
                                           and 2 <= len(rule.hs_prefix) <= 8):
        problems.append(Problem("hs_prefix", "an HS code prefix is 2 to 8 digits"))
    if rule.origin is not None and not is_country(rule.origin):
        problems.append(Problem("origin", f"{rule.origin!r} is not an ISO 3166-1 alpha-2"
                                          " code"))
    if rule.valid_to is not None and rule.valid_to < rule.valid_from:
        problems.append(Problem("valid_to", "the rule ends before it starts"))
    if rule.kind is RuleKind.MAX_CONTAMINATION:
        if rule.max_share is None or not 0 <= rule.max_share < 1:
            problems.append(Problem("max_share", "a maximum contamination share is at least 0"
                                                 " and below 1 (0.005 is 0.5 %)"))
    elif rule.max_share is not None:
        problems.append(Problem("max_share", "a ban has no contamination share"))
    if problems:
        raise InvalidRule(problems)


def rules_problems(item: WasteItem, rules: Iterable[CountryRule], direction: Direction,
                   country: str, on: date) -> list[Problem]:
    """What this country's rules in force on `on` say against the item."""
    found = []
    for rule in rules:
        if rule.matches(item, direction, on):
            problem = rule.problem_for(item, country)
            if problem is not None:
                found.append(problem)
    return found


def direction_of(declaration: Declaration) -> Direction:
    return Direction.IMPORT if declaration.type is DeclarationType.IMPORT else Direction.EXPORT


# -- the check of a declaration -----------------------------------------------------------------


@dataclass(frozen=True)
class Use:
    """What one goods item takes of a consent."""

    consent: str
    item: int  # the item's sequence
    kg: Decimal
    index: int = 0  # its position in the declaration (the path of a problem)


def check_declaration(
    declaration: Declaration,
    country: str,
    consents: dict[str, Consent],
    rules: Sequence[CountryRule],
    on: date,
) -> tuple[list[Problem], list[Use]]:
    """Every Basel problem of a declaration at this node, and, when there is none, what it
    takes of each consent. Consents are this node's (the importing country's): an import
    must cite one this node recorded; an export's consent was given abroad, so only its
    presence is checked here."""
    direction = direction_of(declaration)
    problems: list[Problem] = []
    uses: list[Use] = []
    taken: dict[str, Decimal] = {}
    exporter = declaration.exporter.id if declaration.exporter else None
    importer = declaration.importer.id if declaration.importer else None
    for item in waste_items(declaration):
        found = item_problems(item, on)
        if not found:
            found = rules_problems(item, rules, direction, country, on)
        entry = BASEL.get(item.basel_code or "")
        if (not found and direction is Direction.IMPORT and entry is not None
                and entry.requirement is Requirement.CONSENT and item.consent):
            consent = consents.get(item.consent)
            if consent is None:
                found = [Problem(f"items.{item.index}.waste_consent",
                                 f"{item.label}: no consent {item.consent} was recorded by"
                                 f" {country}'s competent authority")]
            else:
                found = consent.problems_for(item, exporter, importer, on,
                                             taken.get(consent.reference, Decimal(0)))
                if not found:
                    taken[consent.reference] = (taken.get(consent.reference, Decimal(0))
                                                + item.net_mass)
                    uses.append(Use(consent.reference, item.sequence, item.net_mass,
                                    item.index))
        problems.extend(found)
    return problems, ([] if problems else uses)
