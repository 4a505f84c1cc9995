"""HTTP routes of the transhipment room: officers record arrivals at this node's hub ports
and the departures that take the goods on, and read a consignment's legs (by transport
document, or by a declaration's number); an administrator keeps the list of hubs known for
origin laundering (a risk criterion: officers read it, traders never)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from singlewindow.api.deps import AdminDep, OfficerDep
from singlewindow.api.pages import Page
from singlewindow.core.fields import Limit, Offset
from singlewindow.transhipment.schemas import (
    DOCUMENT_PATTERN,
    ArrivalCreate,
    ConsignmentRead,
    DeclarationLegsRead,
    DepartureCreate,
    LegRead,
    ListingCreate,
    ListingEnd,
    ListingRead,
)
from singlewindow.transhipment.services import Transhipment

router = APIRouter(prefix="/transhipment", tags=["transhipment"])

Document = Annotated[str, Path(pattern=DOCUMENT_PATTERN, max_length=35,
                               description="Bill of lading or air waybill number")]
Number = Annotated[str, Path(min_length=1, max_length=24, pattern=r"^[A-Z0-9]+$",
                             description="The declaration's number")]
ListingId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def transhipment(request: Request) -> Transhipment:
    service: Transhipment = request.app.state.node.transhipment
    return service


TranshipmentDep = Annotated[Transhipment, Depends(transhipment)]


@router.post("/arrivals", response_model=ConsignmentRead, status_code=201)
def record_arrival(body: ArrivalCreate, service: TranshipmentDep,
                   who: OfficerDep) -> ConsignmentRead:
    """A consignment unloaded at one of this node's hubs, with the origin its earlier leg
    recorded (or the ACDD it came with)."""
    return ConsignmentRead.of(service.record_arrival(body.to_domain(), who))


@router.post("/departures", response_model=ConsignmentRead, status_code=201)
def record_departure(body: DepartureCreate, service: TranshipmentDep,
                     who: OfficerDep) -> ConsignmentRead:
    """The next leg of a consignment that arrived at the hub: re-packed perhaps, never of
    another origin nor more than arrived."""
    return ConsignmentRead.of(service.record_departure(body.to_domain(), who))


@router.get("/consignments", response_model=Page[ConsignmentRead])
def consignments(service: TranshipmentDep, who: OfficerDep, limit: Limit = 50,
                 offset: Offset = 0) -> Page[ConsignmentRead]:
    """The latest arrivals at this node's hubs, newest first."""
    found, total = service.recent(who, limit, offset)
    return Page[ConsignmentRead](items=[ConsignmentRead.of(c) for c in found], total=total,
                                 limit=limit, offset=offset)


@router.get("/consignments/{document}", response_model=ConsignmentRead)
def consignment(document: Document, service: TranshipmentDep,
                who: OfficerDep) -> ConsignmentRead:
    """The consignment that arrived or left on a transport document, with its legs."""
    return ConsignmentRead.of(service.consignment(document, who))


@router.get("/declarations/{number}/legs", response_model=DeclarationLegsRead)
def declaration_legs(number: Number, service: TranshipmentDep,
                     who: OfficerDep) -> DeclarationLegsRead:
    """A declaration's earlier legs: from the ACDD it cites, or this node's hub records."""
    source, legs = service.legs_of_declaration(number, who)
    return DeclarationLegsRead(declaration=number, source=source,
                               legs=[LegRead.of(leg) for leg in legs])


@router.get("/laundering-hubs", response_model=list[ListingRead])
def listings(service: TranshipmentDep, who: OfficerDep) -> list[ListingRead]:
    """The hubs known for origin laundering, by port and HS prefix, with their dates."""
    return [ListingRead.of(listing) for listing in service.listings(who)]


@router.post("/laundering-hubs", response_model=ListingRead, status_code=201)
def add_listing(body: ListingCreate, service: TranshipmentDep, who: AdminDep) -> ListingRead:
    return ListingRead.of(service.add_listing(body.to_domain(), who))


@router.post("/laundering-hubs/{listing}/end", response_model=ListingRead)
def end_listing(listing: ListingId, body: ListingEnd, service: TranshipmentDep,
                who: AdminDep) -> ListingRead:
    """End a listing on a day (listings are never deleted)."""
    return ListingRead.of(service.end_listing(listing, body.listed_until, who))
