"""HTTP routes of the green room: the competent authority's officers record the consents
their country gave, list them, read one with its uses and revoke it; an administrator sets
and ends the country's dated rules (every signed-in user reads them: they are the law); anyone
signed in checks a declaration against the Basel checks without lodging it; officers read the
node's figures (waste shipments stopped and passed)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request

from singlewindow.api.deps import AdminDep, OfficerDep, PrincipalDep
from singlewindow.core.fields import Limit, Offset
from singlewindow.green.schemas import (
    REFERENCE_PATTERN,
    RULE_PATTERN,
    CheckRead,
    CheckRequest,
    ConsentCreate,
    ConsentRead,
    FiguresRead,
    ProblemRead,
    RevocationCreate,
    RuleCreate,
    RuleEnd,
    RuleRead,
    ShipmentRead,
)
from singlewindow.green.services import Green

router = APIRouter(prefix="/green", tags=["green"])

Reference = Annotated[str, Path(pattern=REFERENCE_PATTERN, max_length=33,
                                description="Notification reference, e.g. VN-2026-0042")]
RuleId = Annotated[str, Path(pattern=RULE_PATTERN, description="The rule's id")]


async def green(request: Request) -> Green:
    """The node's `Green`, built with the node (`Node.green`)."""
    service: Green = request.app.state.node.green
    return service


GreenDep = Annotated[Green, Depends(green)]


@router.post("/consents", response_model=ConsentRead, status_code=201)
def record_consent(body: ConsentCreate, service: GreenDep, who: OfficerDep) -> ConsentRead:
    """Record a consent this country's competent authority gave (nothing used yet)."""
    return ConsentRead.of(service.record_consent(body.to_domain(), who))


@router.get("/consents", response_model=list[ConsentRead])
def consents(service: GreenDep, who: OfficerDep, limit: Limit = 100,
             offset: Offset = 0) -> list[ConsentRead]:
    """The consents recorded, newest first, with what each has used."""
    return [ConsentRead.of(v) for v in service.consents(who, limit, offset)]


@router.get("/consents/{reference}", response_model=ConsentRead)
def consent(reference: Reference, service: GreenDep, who: OfficerDep) -> ConsentRead:
    """One consent with its uses, shipment by shipment."""
    return ConsentRead.of(service.consent(reference, who), with_uses=True)


@router.post("/consents/{reference}/revocation", response_model=ConsentRead)
def revoke(reference: Reference, body: RevocationCreate, service: GreenDep,
           who: OfficerDep) -> ConsentRead:
    """Withdraw a consent: no further shipment may use it."""
    return ConsentRead.of(service.revoke(reference, body.reason, who), with_uses=True)


@router.post("/rules", response_model=RuleRead, status_code=201)
def add_rule(body: RuleCreate, service: GreenDep, who: AdminDep) -> RuleRead:
    """Set a dated rule of this country: a ban, or a maximum contamination share."""
    return RuleRead.of(service.add_rule(body.to_domain(), who))


@router.get("/rules", response_model=list[RuleRead])
def rules(service: GreenDep, who: PrincipalDep) -> list[RuleRead]:
    """Every rule, in force or not; samples say they are."""
    return [RuleRead.of(v) for v in service.rules()]


@router.post("/rules/{rule_id}/end", response_model=RuleRead)
def end_rule(rule_id: RuleId, body: RuleEnd, service: GreenDep, who: AdminDep) -> RuleRead:
    """A rule stops applying after its last day (rules are never deleted)."""
    return RuleRead.of(service.end_rule(rule_id, body.last_day, who))


@router.post("/check", response_model=CheckRead)
def check(body: CheckRequest, service: GreenDep, who: PrincipalDep) -> CheckRead:
    """What the Basel checks say of a declaration, lodging nothing and counting nothing."""
    problems = service.check(body.to_domain())
    return CheckRead(passes=not problems, problems=[ProblemRead.of(p) for p in problems])


@router.get("/shipments", response_model=list[ShipmentRead])
def shipments(service: GreenDep, who: OfficerDep,
              outcome: Literal["stopped", "passed"] | None = None, limit: Limit = 50,
              offset: Offset = 0) -> list[ShipmentRead]:
    """Waste shipments lodged or stopped here, newest first; a stopped one says why."""
    return [ShipmentRead.of(v) for v in service.shipments(who, outcome, limit, offset)]


@router.get("/figures", response_model=FiguresRead)
def figures(service: GreenDep, who: OfficerDep) -> FiguresRead:
    """Waste shipments this node stopped at lodgement and let through."""
    return FiguresRead.of(service.figures())
