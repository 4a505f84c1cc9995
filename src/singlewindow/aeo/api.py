"""HTTP routes of the AEO room: an operator applies to its own customs and follows its
application; officers validate it (findings on each criterion, on-site visits), grant or
refuse, keep the register (suspend, reinstate, revoke, with the reason); the operator gives
or withdraws its consent to share with MRA partners; an administrator records the mutual
recognition arrangements; officers read what partners told and ask what an operator's
recognition brings at the border now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from singlewindow.aeo.model import AeoStatus, ApplicationStatus
from singlewindow.aeo.schemas import (
    NUMBER_PATTERN,
    OPERATOR_PATTERN,
    ApplicationCreate,
    ApplicationRead,
    ArrangementCreate,
    ArrangementRead,
    ConsentUpdate,
    DecisionCreate,
    FindingCreate,
    NoticeRead,
    OperatorRead,
    PartnerOperatorRead,
    PartnerRead,
    RecognitionRead,
    StatusChangeCreate,
    VisitCreate,
)
from singlewindow.aeo.services import Aeo
from singlewindow.api.deps import AdminDep, OfficerDep, PrincipalDep
from singlewindow.api.pages import Page
from singlewindow.core.fields import Limit, Offset
from singlewindow.risk.model import AeoRole
from singlewindow.risk.services import selectivity_of

router = APIRouter(prefix="/aeo", tags=["aeo"])

Number = Annotated[str, Path(pattern=NUMBER_PATTERN,
                             description="AEO application number, e.g. THAEO2026000001")]
Operator = Annotated[str, Path(pattern=OPERATOR_PATTERN, max_length=17,
                               description="Operator id: its administration's country code "
                                           "and 1 to 15 digits or capital letters")]
Country = Annotated[str, Path(pattern=r"^[A-Z]{2}$",
                              description="The partner administration's country code")]


async def aeo(request: Request) -> Aeo:
    """The node's `Aeo`, built with the node (`Node.aeo`)."""
    service: Aeo = request.app.state.node.aeo
    return service


AeoDep = Annotated[Aeo, Depends(aeo)]


# -- applications ----------------------------------------------------------------------------

@router.post("/applications", response_model=ApplicationRead, status_code=201)
def apply(body: ApplicationCreate, service: AeoDep, who: PrincipalDep) -> ApplicationRead:
    """Apply for AEO status, as the operator itself (the trader's own id), to this
    country's customs: its sites and a self-assessment of each WCO SAFE criterion."""
    return ApplicationRead.of(service.apply(body.to_domain(), who))


@router.get("/applications", response_model=list[ApplicationRead])
def applications(service: AeoDep, who: PrincipalDep,
                 status: ApplicationStatus | None = None) -> list[ApplicationRead]:
    """Officers: every application, newest first; a trader: its own."""
    return [ApplicationRead.of(v) for v in service.applications(who, status)]


@router.get("/applications/{number}", response_model=ApplicationRead)
def application(number: Number, service: AeoDep, who: PrincipalDep) -> ApplicationRead:
    """One application: officers, and its applicant (another's is not found)."""
    return ApplicationRead.of(service.application(number, who))


@router.post("/applications/{number}/validation", response_model=ApplicationRead)
def validation(number: Number, service: AeoDep, who: OfficerDep) -> ApplicationRead:
    """Start validating a submitted application."""
    return ApplicationRead.of(service.start_validation(number, who))


@router.post("/applications/{number}/findings", response_model=ApplicationRead)
def finding(number: Number, body: FindingCreate, service: AeoDep,
            who: OfficerDep) -> ApplicationRead:
    """The auditor's finding on one criterion: met or not, and why."""
    return ApplicationRead.of(service.record_finding(number, body.criterion, body.met,
                                                     body.note, who))


@router.post("/applications/{number}/visits", response_model=ApplicationRead)
def visit(number: Number, body: VisitCreate, service: AeoDep,
          who: OfficerDep) -> ApplicationRead:
    """An on-site visit of one of the application's sites, once it took place."""
    return ApplicationRead.of(service.record_visit(number, body.site, body.on, body.note,
                                                   who))


@router.post("/applications/{number}/decision", response_model=ApplicationRead)
def decision(number: Number, body: DecisionCreate, service: AeoDep,
             who: OfficerDep) -> ApplicationRead:
    """Grant (every criterion found met, a site visited) or refuse, with the reason; a grant
    enters the operator in the register."""
    return ApplicationRead.of(service.decide(number, body.grant, body.reason, who))


@router.post("/applications/{number}/withdrawal", response_model=ApplicationRead)
def withdrawal(number: Number, service: AeoDep, who: PrincipalDep) -> ApplicationRead:
    """The applicant withdraws its open application."""
    return ApplicationRead.of(service.withdraw(number, who))


# -- the register ----------------------------------------------------------------------------

@router.get("/operators", response_model=Page[OperatorRead])
def register(service: AeoDep, who: OfficerDep, status: AeoStatus | None = None,
             limit: Limit = 50, offset: Offset = 0) -> Page[OperatorRead]:
    """The register of this country's AEOs, by operator id."""
    views, total = service.register(who, status, limit=limit, offset=offset)
    return Page[OperatorRead](items=[OperatorRead.of(v) for v in views], total=total,
                              limit=limit, offset=offset)


@router.get("/operators/{operator}", response_model=OperatorRead)
def operator(operator: Operator, service: AeoDep, who: PrincipalDep) -> OperatorRead:
    """One authorisation with its history (who changed it, when, why): officers, and the
    operator itself."""
    return OperatorRead.of(service.operator(operator, who))


@router.post("/operators/{operator}/status", response_model=OperatorRead)
def status(operator: Operator, body: StatusChangeCreate, service: AeoDep,
           who: OfficerDep) -> OperatorRead:
    """Suspend, reinstate or revoke an authorisation, with the reason; partners it consented
    to are told."""
    service.change_status(operator, body.change.change, body.reason, who)
    return OperatorRead.of(service.operator(operator, who))


@router.put("/operators/{operator}/consent", response_model=OperatorRead)
def consent(operator: Operator, body: ConsentUpdate, service: AeoDep,
            who: PrincipalDep) -> OperatorRead:
    """The operator gives or withdraws its consent to share its data with MRA partners."""
    service.set_consent(operator, body.given, who)
    return OperatorRead.of(service.operator(operator, who))


# -- mutual recognition ----------------------------------------------------------------------

@router.post("/arrangements", response_model=ArrangementRead, status_code=201)
def record_arrangement(body: ArrangementCreate, service: AeoDep,
                       who: AdminDep) -> ArrangementRead:
    """Record a mutual recognition arrangement this country signed; once in force, the
    consented operators are listed to each partner."""
    return ArrangementRead.of(service.record_arrangement(body.to_domain(), who))


@router.get("/arrangements", response_model=list[ArrangementRead])
def arrangements(service: AeoDep, who: OfficerDep) -> list[ArrangementRead]:
    return [ArrangementRead.of(a) for a in service.arrangements()]


@router.get("/partners", response_model=list[PartnerRead])
def partners(service: AeoDep, who: OfficerDep) -> list[PartnerRead]:
    """Each partner administration and what it told of its operators."""
    return [PartnerRead.of(p) for p in service.partners(who)]


@router.get("/partners/{country}/operators", response_model=Page[PartnerOperatorRead])
def partner_operators(country: Country, service: AeoDep, who: OfficerDep, limit: Limit = 50,
                      offset: Offset = 0) -> Page[PartnerOperatorRead]:
    """A partner's operators as it told them, by operator id."""
    views, total = service.partner_operators(country, who, limit=limit, offset=offset)
    return Page[PartnerOperatorRead](items=[PartnerOperatorRead.of(v) for v in views],
                                     total=total, limit=limit, offset=offset)


@router.get("/partners/{country}/notices", response_model=list[NoticeRead])
def notices(country: Country, service: AeoDep, who: OfficerDep) -> list[NoticeRead]:
    """The AEO.List and AEO.Change messages a partner sent, newest first."""
    return [NoticeRead.of(n) for n in service.notices(country, who)]


@router.get("/recognition/{operator}", response_model=RecognitionRead)
def recognition(operator: Operator, service: AeoDep, who: OfficerDep,
                role: Annotated[AeoRole, Query(description="The operator's role on the "
                                                           "consignment")]) -> RecognitionRead:
    """Whether a consignment naming the operator in `role` gets an AEO benefit now, and
    which: what selectivity would grant, with the policy's figures."""
    standing = service.recognition(operator, role, who)
    policy = selectivity_of(service.database).policy
    return RecognitionRead.of(operator, role, standing,
                              standing.benefits(policy) if standing is not None else [])
