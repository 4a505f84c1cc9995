"""HTTP routes of clearance: each parses a schema, calls one use case, returns a schema."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from singlewindow.access.model import Principal, Role
from singlewindow.api.deps import OfficerDep, PrincipalDep, require_role, run_service
from singlewindow.api.pages import Page
from singlewindow.declarations.errors import UnknownPreArrival
from singlewindow.declarations.model import Status
from singlewindow.declarations.prearrival import PreArrival
from singlewindow.declarations.repository import to_document
from singlewindow.declarations.schemas import (
    CancellationCreate,
    DeclarationCreate,
    DeclarationRead,
    DeclarationSummary,
    DeclarationUpdate,
    EventRead,
    GuaranteeCreate,
    GuaranteeUse,
    InspectionCreate,
    PaymentCreate,
    PreArrivalRead,
    VersionRead,
)
from singlewindow.declarations.services import Clearance
from singlewindow.risk.model import Channel

router = APIRouter(prefix="/declarations", tags=["declarations"])
guarantees = APIRouter(prefix="/guarantees", tags=["declarations"])
pre_arrival = APIRouter(prefix="/pre-arrival", tags=["declarations"])

TraderDep = Annotated[Principal, Depends(require_role(Role.TRADER, Role.ADMIN))]


async def clearance(request: Request) -> Clearance:
    return request.app.state.clearance


ClearanceDep = Annotated[Clearance, Depends(clearance)]


@router.post("", response_model=DeclarationRead, status_code=201)
async def lodge(body: DeclarationCreate, service: ClearanceDep, who: TraderDep) -> DeclarationRead:
    """Lodge a declaration: validated, numbered, assessed and channelled at once."""
    view = await run_service(service.database, service.lodge, body.to_domain(), who)
    return DeclarationRead.of(view)


@router.get("", response_model=Page[DeclarationSummary])
def list_declarations(
    service: ClearanceDep,
    who: PrincipalDep,
    status: Status | None = None,
    channel: Channel | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[DeclarationSummary]:
    views, total = service.list(who, status, channel, limit, offset)
    return Page[DeclarationSummary](
        items=[DeclarationSummary.of(v) for v in views], total=total, limit=limit, offset=offset
    )


@router.get("/{number}", response_model=DeclarationRead)
def read(number: str, service: ClearanceDep, who: PrincipalDep) -> DeclarationRead:
    return DeclarationRead.of(service.get(number, who))


@router.put("/{number}", response_model=DeclarationRead)
def amend(
    number: str, body: DeclarationUpdate, service: ClearanceDep, who: TraderDep
) -> DeclarationRead:
    """Amend before release; `expected_version` guards against amending a stale copy."""
    return DeclarationRead.of(service.amend(number, body.to_domain(), body.expected_version, who))


@router.get("/{number}/events", response_model=list[EventRead])
def events(number: str, service: ClearanceDep, who: PrincipalDep) -> list[EventRead]:
    return [EventRead.of(e) for e in service.events(number, who)]


@router.get("/{number}/versions", response_model=list[VersionRead])
def versions(number: str, service: ClearanceDep, who: PrincipalDep) -> list[VersionRead]:
    return [
        VersionRead(version=v, recorded_at=at, declaration=to_document(d))
        for v, d, at in service.versions(number, who)
    ]


@router.post("/{number}/payments", response_model=DeclarationRead)
def pay(
    number: str, body: PaymentCreate, service: ClearanceDep, who: PrincipalDep
) -> DeclarationRead:
    return DeclarationRead.of(service.record_payment(number, body.amount, body.bank_reference, who))


@router.post("/{number}/security", response_model=DeclarationRead)
def secure(
    number: str, body: GuaranteeUse, service: ClearanceDep, who: PrincipalDep
) -> DeclarationRead:
    return DeclarationRead.of(service.secure(number, body.guarantee, who))


@router.post("/{number}/inspection", response_model=DeclarationRead)
def inspect(
    number: str, body: InspectionCreate, service: ClearanceDep, who: OfficerDep
) -> DeclarationRead:
    corrected = body.corrected.to_domain() if body.corrected else None
    return DeclarationRead.of(
        service.record_inspection(number, body.outcome, who, body.findings, corrected)
    )


@router.post("/{number}/release", response_model=DeclarationRead)
def release(number: str, service: ClearanceDep, who: OfficerDep) -> DeclarationRead:
    return DeclarationRead.of(service.release(number, who))


@router.post("/{number}/cancellation", response_model=DeclarationRead)
def cancel(
    number: str, body: CancellationCreate, service: ClearanceDep, who: PrincipalDep
) -> DeclarationRead:
    return DeclarationRead.of(service.cancel(number, body.reason, who))


@guarantees.post("", status_code=201)
def register_guarantee(
    body: GuaranteeCreate, service: ClearanceDep, who: OfficerDep
) -> dict[str, str]:
    service.register_guarantee(body.reference, body.holder_id, body.amount, who)
    return {"reference": body.reference}


async def pre_arrival_records(request: Request) -> PreArrival:
    records = request.app.state.node.pre_arrival
    if records is None:
        raise UnknownPreArrival("this node is not on a network: it receives no ACDD")
    return records


PreArrivalDep = Annotated[PreArrival, Depends(pre_arrival_records)]


@pre_arrival.get("", response_model=Page[PreArrivalRead])
def list_pre_arrival(
    records: PreArrivalDep,
    _: OfficerDep,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[PreArrivalRead]:
    """ACDDs received from exporting countries, scored before the goods arrive."""
    rows, total = records.records(limit, offset)
    return Page[PreArrivalRead](
        items=[PreArrivalRead.of(r) for r in rows], total=total, limit=limit, offset=offset
    )


@pre_arrival.get("/{export_country}/{export_reference}", response_model=PreArrivalRead)
def read_pre_arrival(
    export_country: str, export_reference: str, records: PreArrivalDep, _: OfficerDep
) -> PreArrivalRead:
    return PreArrivalRead.of(records.get(export_country, export_reference))
