"""HTTP routes of the e-commerce room: a platform (or courier, or its representative)
uploads a manifest of parcels and reads each parcel's result, what its manifests owe and each
parcel by its order reference; officers work the held parcels; the admin sets the de minimis
rules.

The manifest's body is read from `request.stream()`, counted as it comes, never parsed by
pydantic: its limit (`MANIFEST_BODY`, given to the body-size middleware for this route only)
is checked on the declared Content-Length before a byte is read, and on the bytes received
when there is none."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from singlewindow.api.deps import AdminDep, DatabaseDep, OfficerDep, PrincipalDep, run_service
from singlewindow.api.middleware import BodyTooLarge
from singlewindow.api.pages import Page
from singlewindow.core.clock import utcnow
from singlewindow.core.fields import Limit, Offset
from singlewindow.ecommerce.model import MAX_PARTY, MAX_REFERENCE, Verdict
from singlewindow.ecommerce.schemas import (
    DecisionCreate,
    DeMinimisCreate,
    DeMinimisRead,
    DueRead,
    ManifestRead,
    ParcelRead,
)
from singlewindow.ecommerce.services import Ecommerce

router = APIRouter(prefix="/ecommerce", tags=["ecommerce"])

MANIFEST_PATH = "/ecommerce/manifests"
MANIFEST_BODY = 20 * 1024 * 1024
"""Bytes a manifest may have: 10,000 parcels as JSON lines are about 3 MiB."""

Id = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The id the node gave it")]
Platform = Annotated[str | None, Query(min_length=1, max_length=MAX_PARTY,
                                       pattern=r"^[^\x00-\x1f\x7f]*$",
                                       description="The platform or courier's party id "
                                                   "(default: the caller's own)")]


async def ecommerce(request: Request) -> Ecommerce:
    """The node's `Ecommerce` (`Node.ecommerce`, kept on its database)."""
    service: Ecommerce = request.app.state.node.ecommerce
    return service


EcommerceDep = Annotated[Ecommerce, Depends(ecommerce)]


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/manifests", status_code=201, response_model=ManifestRead,
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/x-ndjson": {"schema": {"type": "string"}},
        "text/csv": {"schema": {"type": "string"}},
    }}},
)
async def submit_manifest(request: Request, database: DatabaseDep, service: EcommerceDep,
                          who: PrincipalDep, platform: Platform = None) -> ManifestRead:
    """A manifest of parcels, one a line: JSON lines (`application/x-ndjson`) or CSV
    (`text/csv`, a header of the field names). Fields: order_reference, seller, buyer,
    description, quantity, value, currency (ISO 4217), origin (ISO 3166-1), transport_document,
    and optionally code (6 or 8 digits) and courier. A bad line rejects that parcel (in
    `rejected`, with its line number and reasons); a manifest with no valid parcel is a 422
    listing every line's problems, and nothing is kept."""
    body = await _body(request, MANIFEST_BODY)
    result = await run_service(database, service.submit, body,
                               request.headers.get("content-type"), who, platform)
    return ManifestRead.of(result.manifest)


@router.get("/manifests", response_model=Page[ManifestRead])
def manifests(service: EcommerceDep, who: PrincipalDep, platform: Platform = None,
              limit: Limit = 50, offset: Offset = 0) -> Page[ManifestRead]:
    """A platform's manifests, latest first, each with what it owes."""
    views, total = service.manifests(who, platform, limit, offset)
    return Page[ManifestRead](items=[ManifestRead.of(v) for v in views], total=total,
                              limit=limit, offset=offset)


@router.get("/manifests/{manifest_id}", response_model=ManifestRead)
def manifest(manifest_id: Id, service: EcommerceDep, who: PrincipalDep) -> ManifestRead:
    """A manifest with its rejected lines and its duties consolidated for one payment."""
    return ManifestRead.of(service.manifest(manifest_id, who))


@router.get("/manifests/{manifest_id}/parcels", response_model=Page[ParcelRead])
def manifest_parcels(manifest_id: Id, service: EcommerceDep, who: PrincipalDep,
                     status: Verdict | None = None, limit: Limit = 100,
                     offset: Offset = 0) -> Page[ParcelRead]:
    """Each parcel's result in line order, paged."""
    views, total = service.parcels(manifest_id, who, status, limit, offset)
    return Page[ParcelRead](items=[ParcelRead.of(v) for v in views], total=total,
                            limit=limit, offset=offset)


@router.get("/due", response_model=DueRead)
def due(service: EcommerceDep, who: PrincipalDep, platform: Platform = None,
        since: date | None = None, until: date | None = None) -> DueRead:
    """What a platform owes for its parcels declared from `since` to `until` (default: the
    last 30 days), all manifests together: one payment."""
    today = utcnow().date()
    until = until or today
    since = since or until - timedelta(days=30)
    return DueRead.of(service.consolidated(who, platform, since, until))


@router.get("/parcels", response_model=list[ParcelRead])
def follow(service: EcommerceDep, who: PrincipalDep,
           order_reference: Annotated[str, Query(min_length=1, max_length=MAX_REFERENCE,
                                                 pattern=r"^[^\x00-\x1f\x7f]*$")],
           platform: Platform = None) -> list[ParcelRead]:
    """A parcel followed by its order reference: a platform sees its own, officers every
    platform's (one each)."""
    return [ParcelRead.of(v) for v in service.follow(order_reference, who, platform)]


@router.get("/held", response_model=Page[ParcelRead])
def held(service: EcommerceDep, who: OfficerDep, status: Verdict | None = None,
         limit: Limit = 50, offset: Offset = 0) -> Page[ParcelRead]:
    """Officers: the held parcels, oldest first, with the reasons for each hold."""
    views, total = service.held(who, status, limit, offset)
    return Page[ParcelRead](items=[ParcelRead.of(v) for v in views], total=total,
                            limit=limit, offset=offset)


@router.get("/parcels/{parcel_id}", response_model=ParcelRead)
def parcel(parcel_id: Id, service: EcommerceDep, who: PrincipalDep) -> ParcelRead:
    return ParcelRead.of(service.parcel(parcel_id, who))


@router.post("/parcels/{parcel_id}/decision", response_model=ParcelRead)
def decide(parcel_id: Id, body: DecisionCreate, service: EcommerceDep,
           who: OfficerDep) -> ParcelRead:
    """An officer's decision on a held parcel: `documents_accepted` or `nothing_found`
    release it, `found` refuses it; each counts in its seller's, platform's and courier's
    records."""
    return ParcelRead.of(service.decide(parcel_id, body.decision, who, body.note))


@router.get("/de-minimis", response_model=list[DeMinimisRead])
def de_minimis(service: EcommerceDep, who: PrincipalDep) -> list[DeMinimisRead]:
    """The country's de minimis rules by date (packaged samples say so)."""
    today = utcnow().date()
    return [DeMinimisRead.of(r, today) for r in service.rules()]


@router.post("/de-minimis", status_code=201, response_model=DeMinimisRead)
def set_de_minimis(body: DeMinimisCreate, service: EcommerceDep,
                   who: AdminDep) -> DeMinimisRead:
    """The admin sets the country's rule from `valid_from` (an open rule it set before ends
    the day before)."""
    rule = service.set_rule(body.rule(service.country), who)
    return DeMinimisRead.of(rule, utcnow().date())
