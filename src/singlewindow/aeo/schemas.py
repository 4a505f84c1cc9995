"""API shapes of the AEO room: the application an operator lodges with its own customs, what
officers record while validating it (findings, on-site visits, the decision), the changes
of an authorisation, the mutual recognition arrangement an administrator records, and the
register, partners' operators and recognition as readers get them.

Pydantic bounds every field (lengths, list sizes, enums); the domain checks meaning (the
operator's administration, blank texts, sites visited, partners), so that one answer lists
every problem of an application."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from singlewindow.aeo.model import (
    MAX_SITES,
    NAME_LIMIT,
    TEXT_LIMIT,
    AeoStatus,
    Application,
    ApplicationStatus,
    Arrangement,
    Benefit,
    Change,
    Criterion,
    OperatorType,
    Site,
)
from singlewindow.aeo.services import (
    ApplicationView,
    NoticeView,
    OperatorView,
    PartnerOperatorView,
    PartnerSummary,
    StatusChangeView,
)
from singlewindow.core.fields import FreeText, LineText
from singlewindow.risk.model import AeoRole, AeoStanding


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


OPERATOR_PATTERN = r"^[A-Z]{2}[0-9A-Z]{1,15}$"
NUMBER_PATTERN = r"^[A-Z]{2}AEO[0-9]{10}$"
ARRANGEMENT_PATTERN = r"^[A-Z0-9][A-Z0-9-]{1,39}$"

OperatorId = Annotated[str, Field(pattern=OPERATOR_PATTERN, max_length=17,
                                  description="The operator's id: its administration's country "
                                              "code and 1 to 15 digits or capital letters, "
                                              "e.g. THTRADER0001")]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
Name = Annotated[LineText, Field(min_length=1, max_length=NAME_LIMIT)]
Text = Annotated[FreeText, Field(min_length=1, max_length=TEXT_LIMIT)]


class SiteIn(_Strict):
    """A place where the operator handles goods: the auditors visit it."""

    name: Name
    address: Name


class SelfAssessmentIn(_Strict):
    """How the operator meets each WCO SAFE criterion, in its own words: all four are asked."""

    compliance_record: Text
    records_management: Text
    financial_solvency: Text
    safety_security: Text


class ApplicationCreate(_Strict):
    """An application for AEO status, lodged by the operator with its own customs."""

    operator: OperatorId
    name: Name
    address: Name
    types: list[OperatorType] = Field(min_length=1, max_length=len(OperatorType))
    sites: list[SiteIn] = Field(min_length=1, max_length=MAX_SITES)
    self_assessment: SelfAssessmentIn
    consent_to_share: bool = Field(
        default=False, description="Whether its AEO data may be shared with MRA partners")

    def to_domain(self) -> Application:
        return Application(
            operator=self.operator, name=self.name, address=self.address,
            types=tuple(self.types),
            sites=tuple(Site(s.name, s.address) for s in self.sites),
            self_assessment={Criterion(k): v for k, v in self.self_assessment.model_dump()
                             .items()},
            consent_to_share=self.consent_to_share)


class FindingCreate(_Strict):
    """An auditor's finding on one criterion (the last one per criterion counts)."""

    criterion: Criterion
    met: bool
    note: Text


class VisitCreate(_Strict):
    """An on-site visit of one of the application's sites, once it took place."""

    site: Annotated[Name, Field(description="The name of a site of the application")]
    on: date
    note: Text


class DecisionCreate(_Strict):
    grant: bool = Field(description="true: granted (every criterion met, a site visited); "
                                    "false: refused")
    reason: Text


class OfficerChange(enum.Enum):
    """What officers do to an authorisation."""

    SUSPENDED = "suspended"
    REINSTATED = "reinstated"
    REVOKED = "revoked"

    @property
    def change(self) -> Change:
        return Change(self.value)


class StatusChangeCreate(_Strict):
    change: OfficerChange
    reason: Text


class ConsentUpdate(_Strict):
    given: bool = Field(description="true: consent to share with MRA partners given; false: "
                                    "withdrawn (partners drop the operator)")


class ArrangementCreate(_Strict):
    """A mutual recognition arrangement this country signed."""

    id: Annotated[str, Field(pattern=ARRANGEMENT_PATTERN, max_length=40,
                             description="e.g. ASEAN-AEO-MRA")]
    name: Name
    partners: list[CountryCode] = Field(min_length=2, max_length=50,
                                        description="Its administrations, this node's among "
                                                    "them")
    starts_on: date
    ends_on: date | None = None
    benefits: list[Benefit] = Field(min_length=1, max_length=len(Benefit))
    roles: list[AeoRole] = Field(min_length=1, max_length=len(AeoRole))

    def to_domain(self) -> Arrangement:
        return Arrangement(id=self.id, name=self.name, partners=frozenset(self.partners),
                           starts_on=self.starts_on, benefits=frozenset(self.benefits),
                           roles=frozenset(self.roles), ends_on=self.ends_on)


# -- answers ---------------------------------------------------------------------------------

class ApplicationRead(BaseModel):
    """An application as the applicant and officers see it; `missing_for_grant` says what
    still stands in the way of a grant while it is being validated."""

    number: str
    operator: str
    name: str
    address: str
    types: list[str]
    sites: list[dict[str, str]]
    self_assessment: dict[str, str]
    consent_to_share: bool
    status: ApplicationStatus
    findings: dict[str, dict[str, Any]]
    visits: list[dict[str, str]]
    decision: dict[str, str] | None
    submitted_at: datetime
    missing_for_grant: list[str]

    @classmethod
    def of(cls, view: ApplicationView) -> ApplicationRead:
        return cls(number=view.number, operator=view.operator, name=view.name,
                   address=view.address, types=list(view.types), sites=list(view.sites),
                   self_assessment=view.self_assessment,
                   consent_to_share=view.consent_to_share, status=view.status,
                   findings=view.findings, visits=list(view.visits), decision=view.decision,
                   submitted_at=view.submitted_at,
                   missing_for_grant=list(view.missing_for_grant))


class StatusChangeRead(BaseModel):
    """One line of the register's history: what changed, the status after, who and why."""

    change: str
    status: str
    version: int
    reason: str
    by: str
    at: datetime

    @classmethod
    def of(cls, view: StatusChangeView) -> StatusChangeRead:
        return cls(change=view.change, status=view.status, version=view.version,
                   reason=view.reason, by=view.by, at=view.at)


class OperatorRead(BaseModel):
    """An AEO of this country as the register holds it (its history on the one-operator
    answers)."""

    operator: str
    name: str
    address: str
    types: list[str]
    status: AeoStatus
    consent: bool
    version: int
    granted_on: date
    application: str
    history: list[StatusChangeRead]

    @classmethod
    def of(cls, view: OperatorView) -> OperatorRead:
        return cls(operator=view.operator, name=view.name, address=view.address,
                   types=list(view.types), status=view.status, consent=view.consent,
                   version=view.version, granted_on=view.granted_on,
                   application=view.application,
                   history=[StatusChangeRead.of(h) for h in view.history])


class ArrangementRead(BaseModel):
    id: str
    name: str
    partners: list[str]
    starts_on: date
    ends_on: date | None
    benefits: list[Benefit]
    roles: list[AeoRole]

    @classmethod
    def of(cls, arrangement: Arrangement) -> ArrangementRead:
        return cls(id=arrangement.id, name=arrangement.name,
                   partners=sorted(arrangement.partners), starts_on=arrangement.starts_on,
                   ends_on=arrangement.ends_on,
                   benefits=sorted(arrangement.benefits, key=lambda b: b.value),
                   roles=sorted(arrangement.roles, key=lambda r: r.value))


class PartnerRead(BaseModel):
    """What one partner administration told of its operators, and when we last learnt."""

    administration: str
    recognised: int
    suspended: int
    dropped: int
    last_learnt: datetime | None
    notices: int

    @classmethod
    def of(cls, view: PartnerSummary) -> PartnerRead:
        return cls(administration=view.administration, recognised=view.recognised,
                   suspended=view.suspended, dropped=view.dropped,
                   last_learnt=view.last_learnt, notices=view.notices)


class PartnerOperatorRead(BaseModel):
    operator: str
    administration: str
    name: str
    types: list[str]
    status: str
    version: int
    told_at: datetime
    learnt_at: datetime

    @classmethod
    def of(cls, view: PartnerOperatorView) -> PartnerOperatorRead:
        return cls(operator=view.operator, administration=view.administration,
                   name=view.name, types=list(view.types), status=view.status,
                   version=view.version, told_at=view.told_at, learnt_at=view.learnt_at)


class NoticeRead(BaseModel):
    """An AEO.List or AEO.Change message a partner sent, as we logged it."""

    administration: str
    kind: str
    operator: str | None
    change: str | None
    operators: int
    applied: int
    told_at: datetime
    learnt_at: datetime
    message_id: str

    @classmethod
    def of(cls, view: NoticeView) -> NoticeRead:
        return cls(administration=view.administration, kind=view.kind,
                   operator=view.operator, change=view.change, operators=view.operators,
                   applied=view.applied, told_at=view.told_at, learnt_at=view.learnt_at,
                   message_id=view.message_id)


class RecognitionRead(BaseModel):
    """What selectivity would grant now to a consignment naming the operator in the role."""

    operator: str
    role: AeoRole
    recognised: bool
    programme: str | None
    benefits: list[str]

    @classmethod
    def of(cls, operator: str, role: AeoRole, standing: AeoStanding | None,
           benefits: list[str]) -> RecognitionRead:
        return cls(operator=operator, role=role, recognised=standing is not None,
                   programme=standing.programme if standing else None, benefits=benefits)
