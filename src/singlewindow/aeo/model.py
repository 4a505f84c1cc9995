"""Authorised Economic Operators and mutual recognition, plain Python: the application and
its validation against the WCO SAFE criteria, the authorisation's status, the arrangement
with partner administrations, and what a partner told us of its operators.

    application:    submitted ─► validating ─► granted
                        │            └───────► refused
                        └──────────┴─────────► withdrawn (by the applicant)
    authorisation:  granted ◄─► suspended          (reinstated)
                        └───────────┴─► revoked    (final)

An operator is known everywhere by the id its own administration gave it: the ISO country
code of that administration and its national number (as EORI numbers are). A partner's
operators are matched by that id exactly, never by name.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from singlewindow.aeo.errors import InvalidApplication, StatusConflict
from singlewindow.core.countries import customs_party, is_country
from singlewindow.core.errors import Problem
from singlewindow.core.transitions import Transitions
from singlewindow.risk.model import AeoRole, AeoStanding

# -- the operator ------------------------------------------------------------------------------

OPERATOR_ID = re.compile(r"[A-Z]{2}[0-9A-Z]{1,15}")


def operator_problem(text: str) -> str | None:
    """Why `text` is not an operator id, or None."""
    if not OPERATOR_ID.fullmatch(text):
        return ("an operator id is the country code of its administration and 1 to 15 digits "
                "or capital letters (e.g. THTRADER0001)")
    if not is_country(text[:2]):
        return f"{text[:2]} is not an ISO 3166-1 country code"
    return None


def administration_of(operator: str) -> str:
    """The country whose customs authorised the operator: the first two letters of its id."""
    return operator[:2]


class OperatorType(enum.Enum):
    IMPORTER_EXPORTER = "importer_exporter"
    CUSTOMS_BROKER = "customs_broker"
    CARRIER = "carrier"
    WAREHOUSE_OPERATOR = "warehouse_operator"
    MANUFACTURER = "manufacturer"


class Criterion(enum.Enum):
    """The WCO SAFE Framework's conditions for an AEO, as the ASEAN programmes audit them."""

    COMPLIANCE_RECORD = "compliance_record"
    RECORDS_MANAGEMENT = "records_management"
    FINANCIAL_SOLVENCY = "financial_solvency"
    SAFETY_SECURITY = "safety_security"

    @property
    def words(self) -> str:
        return _CRITERION_WORDS[self]


_CRITERION_WORDS = {
    Criterion.COMPLIANCE_RECORD: "compliance record",
    Criterion.RECORDS_MANAGEMENT: "records management",
    Criterion.FINANCIAL_SOLVENCY: "financial solvency",
    Criterion.SAFETY_SECURITY: "safety and security",
}

NAME_LIMIT = 200
TEXT_LIMIT = 2000
MAX_SITES = 50


def _text_problem(value: str, path: str, what: str, limit: int,
                  problems: list[Problem]) -> None:
    if not value.strip() or len(value) > limit:
        problems.append(Problem(path, f"{what} is 1 to {limit} characters"))


@dataclass(frozen=True)
class Site:
    """A place where the operator handles goods: the auditors visit it."""

    name: str
    address: str


@dataclass(frozen=True)
class Application:
    """What an operator states when it applies: who it is, where it works, how it meets each
    criterion, and whether its data may be shared with MRA partners."""

    operator: str
    name: str
    address: str
    types: tuple[OperatorType, ...]
    sites: tuple[Site, ...]
    self_assessment: Mapping[Criterion, str]
    consent_to_share: bool = False

    def problems(self, country: str) -> list[Problem]:
        """Everything wrong with it; an application is taken only by its own administration."""
        found: list[Problem] = []
        if (problem := operator_problem(self.operator)) is not None:
            found.append(Problem("operator", problem))
        elif administration_of(self.operator) != country:
            found.append(Problem("operator", f"{self.operator} is an operator of "
                                             f"{self.operator[:2]}: it applies to its own "
                                             f"customs, not to {country}'s"))
        _text_problem(self.name, "name", "the name", NAME_LIMIT, found)
        _text_problem(self.address, "address", "the address", NAME_LIMIT, found)
        if not self.types:
            found.append(Problem("types", "say which kind of operator it is (importer or "
                                          "exporter, customs broker, carrier, warehouse "
                                          "operator, manufacturer)"))
        if len(set(self.types)) != len(self.types):
            found.append(Problem("types", "each type once"))
        if not 1 <= len(self.sites) <= MAX_SITES:
            found.append(Problem("sites", f"name 1 to {MAX_SITES} sites"))
        for i, site in enumerate(self.sites):
            _text_problem(site.name, f"sites.{i}.name", "a site's name", NAME_LIMIT, found)
            _text_problem(site.address, f"sites.{i}.address", "a site's address", NAME_LIMIT,
                          found)
        for criterion in Criterion:
            answer = self.self_assessment.get(criterion)
            if answer is None:
                found.append(Problem(f"self_assessment.{criterion.value}",
                                     f"the self-assessment of the {criterion.words} is "
                                     f"missing"))
            else:
                _text_problem(answer, f"self_assessment.{criterion.value}",
                              f"the self-assessment of the {criterion.words}", TEXT_LIMIT,
                              found)
        return found


# -- validation of an application -------------------------------------------------------------

class ApplicationStatus(enum.Enum):
    SUBMITTED = "submitted"
    VALIDATING = "validating"
    GRANTED = "granted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


APPLICATION = Transitions(
    {
        ApplicationStatus.SUBMITTED: {ApplicationStatus.VALIDATING, ApplicationStatus.REFUSED,
                                      ApplicationStatus.WITHDRAWN},
        ApplicationStatus.VALIDATING: {ApplicationStatus.GRANTED, ApplicationStatus.REFUSED,
                                       ApplicationStatus.WITHDRAWN},
        ApplicationStatus.GRANTED: set(),
        ApplicationStatus.REFUSED: set(),
        ApplicationStatus.WITHDRAWN: set(),
    },
    refusal=StatusConflict,
    noun="the application",
)


@dataclass(frozen=True)
class Finding:
    """An auditor's finding on one criterion: met or not, and why."""

    criterion: Criterion
    met: bool
    note: str
    by: str
    at: datetime


@dataclass(frozen=True)
class SiteVisit:
    site: str
    on: date
    note: str
    by: str


@dataclass
class Validation:
    """An application as officers validate it: its findings (the last per criterion counts)
    and the on-site visits."""

    number: str
    status: ApplicationStatus
    sites: tuple[str, ...]
    findings: dict[Criterion, Finding] = field(default_factory=dict)
    visits: list[SiteVisit] = field(default_factory=list)

    def start(self) -> None:
        self.status = APPLICATION.move(self.status, ApplicationStatus.VALIDATING, who=self.number)

    def find(self, finding: Finding) -> None:
        self._validating("record a finding")
        problems: list[Problem] = []
        _text_problem(finding.note, "note", "the finding's note", TEXT_LIMIT, problems)
        if problems:
            raise InvalidApplication(problems)
        self.findings[finding.criterion] = finding

    def visit(self, visit: SiteVisit, today: date) -> None:
        self._validating("record an on-site visit")
        problems: list[Problem] = []
        if visit.site not in self.sites:
            problems.append(Problem("site", f"{visit.site!r} is not a site of the application"
                                            f" ({', '.join(self.sites)})"))
        if visit.on > today:
            problems.append(Problem("on", "a visit is recorded once it took place"))
        _text_problem(visit.note, "note", "the visit's note", TEXT_LIMIT, problems)
        if problems:
            raise InvalidApplication(problems)
        self.visits.append(visit)

    def missing_for_grant(self) -> list[str]:
        """What still stands in the way of a grant: a criterion not audited or not met, no
        visit of a site."""
        missing = []
        for criterion in Criterion:
            finding = self.findings.get(criterion)
            if finding is None:
                missing.append(f"the {criterion.words} is not audited yet")
            elif not finding.met:
                missing.append(f"the {criterion.words} was found not met")
        if not self.visits:
            missing.append("no on-site visit is recorded")
        return missing

    def grant(self) -> None:
        if self.status is ApplicationStatus.VALIDATING and (missing := self.missing_for_grant()):
            raise StatusConflict(f"{self.number} cannot be granted: " + "; ".join(missing))
        self.status = APPLICATION.move(self.status, ApplicationStatus.GRANTED, who=self.number)

    def refuse(self) -> None:
        self.status = APPLICATION.move(self.status, ApplicationStatus.REFUSED, who=self.number)

    def withdraw(self) -> None:
        self.status = APPLICATION.move(self.status, ApplicationStatus.WITHDRAWN, who=self.number)

    def _validating(self, what: str) -> None:
        if self.status is not ApplicationStatus.VALIDATING:
            raise StatusConflict(f"{self.number} is {self.status.value}: officers {what} "
                                 f"while it is being validated")


def reason_problems(reason: str) -> list[Problem]:
    """A decision on an operator says why (it is kept in the register)."""
    problems: list[Problem] = []
    _text_problem(reason, "reason", "the reason", TEXT_LIMIT, problems)
    return problems


# -- the authorisation ---------------------------------------------------------------------------

class AeoStatus(enum.Enum):
    GRANTED = "granted"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


AUTHORISATION = Transitions(
    {
        AeoStatus.GRANTED: {AeoStatus.SUSPENDED, AeoStatus.REVOKED},
        AeoStatus.SUSPENDED: {AeoStatus.GRANTED, AeoStatus.REVOKED},
        AeoStatus.REVOKED: set(),
    },
    refusal=StatusConflict,
    noun="the authorisation",
)


class Change(enum.Enum):
    """What happened to an authorisation, as the register keeps it and partners are told."""

    GRANTED = "granted"
    SUSPENDED = "suspended"
    REINSTATED = "reinstated"
    REVOKED = "revoked"
    CONSENT_GIVEN = "consent_given"
    CONSENT_WITHDRAWN = "consent_withdrawn"


_STATUS_AFTER = {Change.SUSPENDED: AeoStatus.SUSPENDED, Change.REINSTATED: AeoStatus.GRANTED,
                 Change.REVOKED: AeoStatus.REVOKED}


@dataclass
class Authorisation:
    """An operator's AEO status at home. Every change it tells partners moves its `version`
    by one, so that a partner keeps the latest whatever order the messages arrive in."""

    operator: str
    status: AeoStatus
    consent: bool
    version: int = 1

    @property
    def recognised(self) -> bool:
        return self.status is AeoStatus.GRANTED

    @property
    def shared(self) -> bool:
        """Whether partners may hold it: consent given and not revoked (a revocation is told
        once, then partners drop it)."""
        return self.consent and self.status is not AeoStatus.REVOKED

    def change(self, change: Change) -> None:
        """Suspend, reinstate, revoke, or give or withdraw consent; anything else refused."""
        if change in _STATUS_AFTER:
            self.status = AUTHORISATION.move(self.status, _STATUS_AFTER[change],
                                             who=self.operator)
        elif change is Change.CONSENT_GIVEN or change is Change.CONSENT_WITHDRAWN:
            wanted = change is Change.CONSENT_GIVEN
            if self.consent == wanted:
                raise StatusConflict(f"{self.operator} has already "
                                     f"{'given' if wanted else 'withdrawn'} its consent")
            if self.status is AeoStatus.REVOKED:
                raise StatusConflict(f"{self.operator} is revoked: its consent no longer "
                                     f"matters")
            self.consent = wanted
        else:
            raise StatusConflict(f"{self.operator} is granted once, by its application")
        self.version += 1


# -- mutual recognition --------------------------------------------------------------------------

class Benefit(enum.Enum):
    LOWER_RISK_SCORE = "lower_risk_score"
    FEWER_INSPECTIONS = "fewer_inspections"
    PRIORITY = "priority"
    SIMPLIFIED_TRANSIT = "simplified_transit"


ARRANGEMENT_ID = re.compile(r"[A-Z0-9][A-Z0-9-]{1,39}")


@dataclass(frozen=True)
class Arrangement:
    """A mutual recognition arrangement: the administrations that recognise each other's
    AEOs, from when, with which benefits, for operators in which roles."""

    id: str  # e.g. ASEAN-AEO-MRA
    name: str
    partners: frozenset[str]  # countries, this node's among them
    starts_on: date
    benefits: frozenset[Benefit]
    roles: frozenset[AeoRole]
    ends_on: date | None = None

    def problems(self, country: str) -> list[Problem]:
        found: list[Problem] = []
        if not ARRANGEMENT_ID.fullmatch(self.id):
            found.append(Problem("id", "2 to 40 capital letters, digits or hyphens "
                                       "(e.g. ASEAN-AEO-MRA)"))
        _text_problem(self.name, "name", "the name", NAME_LIMIT, found)
        unknown = sorted(c for c in self.partners if not is_country(c))
        if unknown:
            found.append(Problem("partners", f"not ISO country codes: {', '.join(unknown)}"))
        if country not in self.partners:
            found.append(Problem("partners", f"an arrangement of this node names {country}"))
        if len(self.partners - {country}) < 1:
            found.append(Problem("partners", "name at least one partner administration"))
        if not self.benefits:
            found.append(Problem("benefits", "say which benefits it grants"))
        if not self.roles:
            found.append(Problem("roles", "say for which roles of the operator"))
        if self.ends_on is not None and self.ends_on < self.starts_on:
            found.append(Problem("ends_on", "it ends after it starts"))
        return found

    def in_force(self, on: date) -> bool:
        return self.starts_on <= on and (self.ends_on is None or on <= self.ends_on)

    def others(self, country: str) -> list[str]:
        """The partner administrations of `country` under it."""
        return sorted(self.partners - {country})

    def standing(self, operator: str, role: AeoRole, on: date) -> AeoStanding | None:
        """What this arrangement grants a partner's recognised operator in `role` on `on`."""
        if not self.in_force(on) or role not in self.roles:
            return None
        return AeoStanding(
            operator, role, f"{self.name} (recognised from "
                            f"{customs_party(administration_of(operator))})",
            lower_score=Benefit.LOWER_RISK_SCORE in self.benefits,
            fewer_checks=Benefit.FEWER_INSPECTIONS in self.benefits,
            priority=Benefit.PRIORITY in self.benefits,
            simplified_transit=Benefit.SIMPLIFIED_TRANSIT in self.benefits,
        )


def home_standing(operator: str, role: AeoRole, country: str) -> AeoStanding:
    """What the national programme grants its own AEOs: every benefit, the simplified transit
    procedure to an authorised consignor."""
    return AeoStanding(operator, role, f"the AEO programme of {country}",
                       simplified_transit=role is AeoRole.CONSIGNOR)


@dataclass(frozen=True)
class PartnerOperator:
    """An operator as its administration told us: the latest version wins."""

    operator: str
    name: str
    types: tuple[str, ...]
    status: str  # granted, suspended, revoked, withdrawn (consent withdrawn: dropped)
    version: int
    told_at: datetime  # by the partner's clock

    @property
    def recognised(self) -> bool:
        return self.status == AeoStatus.GRANTED.value

    @property
    def dropped(self) -> bool:
        """Revoked or consent withdrawn: nothing of it is kept but its id and version."""
        return self.status in (AeoStatus.REVOKED.value, WITHDRAWN)

    def newer_than(self, version: int | None) -> bool:
        return version is None or self.version > version

    def forgotten(self) -> PartnerOperator:
        """What is kept of a dropped operator: its id and version, no name or types."""
        return replace(self, name="", types=())


WITHDRAWN = "withdrawn"  # a partner's operator whose consent to share was withdrawn
PARTNER_STATUSES = frozenset({*(s.value for s in AeoStatus), WITHDRAWN})


def partner_status(change: Change, status: AeoStatus) -> str:
    """What a partner holds after a change at home: the status, or withdrawn."""
    return WITHDRAWN if change is Change.CONSENT_WITHDRAWN else status.value


def standing_of(
    parties: Iterable[tuple[str, AeoRole]],
    on: date,
    country: str,
    home: Mapping[str, bool],
    partners: Mapping[str, PartnerOperator],
    arrangements: Iterable[Arrangement],
) -> AeoStanding | None:
    """The first party of a consignment recognised in its role: one of this country's AEOs
    (`home`: operator → recognised) or a partner's under an arrangement in force with it."""
    arrangements = list(arrangements)
    for party, role in parties:
        if home.get(party):
            return home_standing(party, role, country)
        told = partners.get(party)
        if told is None or not told.recognised:
            continue
        administration = administration_of(party)
        for arrangement in arrangements:
            if administration in arrangement.partners and country in arrangement.partners:
                standing = arrangement.standing(party, role, on)
                if standing is not None:
                    return standing
    return None
