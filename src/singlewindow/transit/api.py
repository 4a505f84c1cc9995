"""HTTP routes of transit: the holder lodges and follows its movements and reads its
guarantee's balance; officers record at their offices what the movement does (crossing,
arrival, control results), release what was held for control, solve discrepancies, follow
what is expected and what is overdue, and register guarantees."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from singlewindow.api.deps import OfficerDep, PrincipalDep
from singlewindow.api.pages import Page
from singlewindow.core.fields import Limit, Offset
from singlewindow.transit.schemas import (
    ControlResultsCreate,
    GuaranteeCreate,
    GuaranteeRead,
    MovementEventRead,
    MovementRead,
    OfficeRecord,
    RevocationCreate,
    SolutionCreate,
    TransitDeclarationCreate,
)
from singlewindow.transit.services import Transit

router = APIRouter(prefix="/transit", tags=["transit"])

MRN = Annotated[str, Path(pattern=r"^[0-9]{2}[A-Z]{2}[A-Z0-9]{12}[A-Z][0-9]$",
                          description="Movement reference number (18 characters)")]
Reference = Annotated[str, Path(min_length=1, max_length=24, pattern=r"^[^\x00-\x1f\x7f]*$")]


async def transit(request: Request) -> Transit:
    """The node's `Transit`, built with the node (`Node.transit`)."""
    service: Transit = request.app.state.node.transit
    return service


TransitDep = Annotated[Transit, Depends(transit)]


@router.post("/movements", response_model=MovementRead, status_code=201)
def lodge(body: TransitDeclarationCreate, service: TransitDep, who: PrincipalDep) -> MovementRead:
    """Lodge a transit declaration (IE015) at this country's office of departure, as its
    holder. Accepted with an MRN, the guarantee reserved for the highest duties of any
    country of the routing, and released for transit (IE029) unless held for control."""
    return MovementRead.of(service.lodge(body.to_domain(service.clock()), who))


@router.get("/movements", response_model=Page[MovementRead])
def movements(service: TransitDep, who: PrincipalDep, limit: Limit = 50,
              offset: Offset = 0) -> Page[MovementRead]:
    """Movements held at this node, newest first; a trader sees only its own."""
    views = service.movements(who, limit=limit, offset=offset)
    return Page[MovementRead](items=[MovementRead.of(v) for v in views],
                              total=service.movement_count(who), limit=limit, offset=offset)


@router.get("/movements/{mrn}", response_model=MovementRead)
def read(mrn: MRN, service: TransitDep, who: PrincipalDep) -> MovementRead:
    return MovementRead.of(service.get(mrn, who))


@router.get("/movements/{mrn}/history", response_model=list[MovementEventRead])
def history(mrn: MRN, service: TransitDep, who: PrincipalDep) -> list[MovementEventRead]:
    """What happened to the movement at this node, oldest first."""
    return [MovementEventRead.of(e) for e in service.history(mrn, who)]


@router.post("/movements/{mrn}/release", response_model=MovementRead)
def release(mrn: MRN, service: TransitDep, who: OfficerDep) -> MovementRead:
    """Release for transit a movement selectivity held for control (departure office)."""
    return MovementRead.of(service.release(mrn, who))


@router.post("/movements/{mrn}/crossing", response_model=MovementRead)
def crossing(mrn: MRN, body: OfficeRecord, service: TransitDep, who: OfficerDep) -> MovementRead:
    """The goods entered this country at an office of transit (IE118; IE115 at an office
    not declared), recorded by an officer of that office."""
    return MovementRead.of(service.record_crossing(mrn, body.office, who))


@router.post("/movements/{mrn}/arrival", response_model=MovementRead)
def arrival(mrn: MRN, body: OfficeRecord, service: TransitDep, who: OfficerDep) -> MovementRead:
    """The goods were presented at the office of destination (IE006)."""
    return MovementRead.of(service.record_arrival(mrn, body.office, who))


@router.post("/movements/{mrn}/control", response_model=MovementRead)
def control(mrn: MRN, body: ControlResultsCreate, service: TransitDep,
            who: OfficerDep) -> MovementRead:
    """Unloading remarks and control results at destination (IE018)."""
    return MovementRead.of(service.record_control(mrn, body.seals_intact, body.discrepancies,
                                                  body.remarks, who))


@router.post("/movements/{mrn}/solution", response_model=MovementRead)
def solution(mrn: MRN, body: SolutionCreate, service: TransitDep,
             who: OfficerDep) -> MovementRead:
    """Solve a discrepancy at the office of departure: written off, or the duties recovered."""
    return MovementRead.of(service.solve(mrn, body.recovered, body.note, who))


@router.get("/expected", response_model=list[MovementRead])
def expected(service: TransitDep, who: OfficerDep) -> list[MovementRead]:
    """Movements announced to the officer's office (IE050, IE001) not yet crossed or arrived."""
    return [MovementRead.of(v) for v in service.expected(who)]


@router.get("/overdue", response_model=list[MovementRead])
def overdue(service: TransitDep, who: OfficerDep) -> list[MovementRead]:
    """Departures past their time limit: overdue, in enquiry, in recovery."""
    return [MovementRead.of(v) for v in service.due(who)]


@router.post("/guarantees", response_model=GuaranteeRead, status_code=201)
def register_guarantee(body: GuaranteeCreate, service: TransitDep,
                       who: OfficerDep) -> GuaranteeRead:
    """Register a holder's transit guarantee with its reference amount, validity and
    access code (kept only as a salted digest)."""
    return GuaranteeRead.of(service.register_guarantee(
        body.reference, body.holder, body.amount, body.currency, body.valid_from,
        body.valid_to, body.access_code, who))


@router.get("/guarantees/{reference}", response_model=GuaranteeRead)
def guarantee(reference: Reference, service: TransitDep, who: PrincipalDep) -> GuaranteeRead:
    """A guarantee's amount, what movements reserve of it and its balance."""
    return GuaranteeRead.of(service.guarantee(reference, who))


@router.post("/guarantees/{reference}/revocation", response_model=GuaranteeRead)
def revoke_guarantee(reference: Reference, body: RevocationCreate, service: TransitDep,
                     who: OfficerDep) -> GuaranteeRead:
    return GuaranteeRead.of(service.revoke_guarantee(reference, body.on, who))
