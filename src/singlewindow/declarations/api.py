"""HTTP routes of clearance: each parses a schema, calls one use case, returns a schema."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from starlette.datastructures import UploadFile as StarletteUpload

from singlewindow.access.model import Principal, Role
from singlewindow.api.deps import OfficerDep, PrincipalDep, require_role, run_service
from singlewindow.api.pages import Page
from singlewindow.core.fields import Limit, Offset
from singlewindow.declarations.attachments import MOST_BYTES, AttachmentKind
from singlewindow.declarations.errors import UnknownPreArrival
from singlewindow.declarations.model import Status
from singlewindow.declarations.prearrival import PreArrival
from singlewindow.declarations.repository import to_document
from singlewindow.declarations.representation import Representations
from singlewindow.declarations.schemas import (
    AttachmentRead,
    CancellationCreate,
    CorrectionCreate,
    DeclarationCreate,
    DeclarationRead,
    DeclarationSummary,
    DeclarationUpdate,
    EventRead,
    GuaranteeCreate,
    GuaranteeRead,
    GuaranteeUse,
    InspectionCreate,
    PaymentCreate,
    PaymentNoticeRead,
    PreArrivalRead,
    RefundDecision,
    RefundRead,
    RepresentationCreate,
    RepresentationRead,
    VersionRead,
)
from singlewindow.declarations.services import Clearance
from singlewindow.declarations.settlement import Guarantees, Payments
from singlewindow.risk.model import Channel

router = APIRouter(prefix="/declarations", tags=["declarations"])
guarantees = APIRouter(prefix="/guarantees", tags=["declarations"])
pre_arrival = APIRouter(prefix="/pre-arrival", tags=["declarations"])
payments = APIRouter(tags=["payments"])
representations = APIRouter(prefix="/representations", tags=["declarations"])

TraderDep = Annotated[Principal, Depends(require_role(Role.TRADER, Role.ADMIN))]
BankDep = Annotated[Principal, Depends(require_role(Role.BANK))]


async def clearance(request: Request) -> Clearance:
    return request.app.state.clearance


ClearanceDep = Annotated[Clearance, Depends(clearance)]


@router.post("", response_model=DeclarationRead, status_code=201)
async def lodge(body: DeclarationCreate, service: ClearanceDep, who: TraderDep) -> DeclarationRead:
    """Lodge a declaration: validated, numbered, assessed and channelled at once. The
    answer carries the duties with every figure explained, the channel and what it asks of
    the declarant, and the payment notice to pay at a bank."""
    view = await run_service(service.database, service.lodge, body.to_domain(), who)
    return DeclarationRead.of(view, who)


@router.get("", response_model=Page[DeclarationSummary])
def list_declarations(
    service: ClearanceDep,
    who: PrincipalDep,
    status: Status | None = None,
    channel: Channel | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DeclarationSummary]:
    """The declarations the caller may see: a trader its own, an officer its office's."""
    views, total = service.list(who, status, channel, limit, offset)
    return Page[DeclarationSummary](
        items=[DeclarationSummary.of(v) for v in views], total=total, limit=limit, offset=offset
    )


@router.get("/{number}", response_model=DeclarationRead)
def read(number: str, service: ClearanceDep, who: PrincipalDep) -> DeclarationRead:
    """One declaration, its duties, channel, settlement and open payment notice."""
    return DeclarationRead.of(service.get(number, who), who)


@router.put("/{number}", response_model=DeclarationRead)
def amend(
    number: str, body: DeclarationUpdate, service: ClearanceDep, who: TraderDep
) -> DeclarationRead:
    """The declarant amends a declaration customs has not selected for a check, before
    release; `expected_version` guards against amending a stale copy."""
    view = service.amend(number, body.to_domain(), body.expected_version, who)
    return DeclarationRead.of(view, who)


@router.post("/{number}/correction", response_model=DeclarationRead)
def correct(
    number: str, body: CorrectionCreate, service: ClearanceDep, who: OfficerDep
) -> DeclarationRead:
    """An officer corrects the data before release, with a reason; a correction that
    lowers the duties is recorded as a finding."""
    view = service.correct(number, body.to_domain(), body.reason, body.expected_version, who)
    return DeclarationRead.of(view, who)


@router.get("/{number}/events", response_model=list[EventRead])
def events(number: str, service: ClearanceDep, who: PrincipalDep) -> list[EventRead]:
    """The event log: who did what, when."""
    return [EventRead.of(e, who) for e in service.events(number, who)]


@router.get("/{number}/versions", response_model=list[VersionRead])
def versions(number: str, service: ClearanceDep, who: PrincipalDep) -> list[VersionRead]:
    """Every version of the declaration's data, oldest first."""
    return [
        VersionRead(version=v, recorded_at=at, declaration=to_document(d))
        for v, d, at in service.versions(number, who)
    ]


@router.post("/{number}/security", response_model=DeclarationRead)
def secure(
    number: str, body: GuaranteeUse, service: ClearanceDep, who: PrincipalDep
) -> DeclarationRead:
    """Secure what is owed against the debtor's guarantee (its holder or representative)."""
    return DeclarationRead.of(Guarantees(service).secure(number, body.guarantee, who), who)


@router.post("/{number}/inspection", response_model=DeclarationRead)
def inspect(
    number: str, body: InspectionCreate, service: ClearanceDep, who: OfficerDep
) -> DeclarationRead:
    """The officer's inspection result (a discrepancy comes with the corrected data)."""
    corrected = body.corrected.to_domain() if body.corrected else None
    seizure = body.seizure.to_domain() if body.seizure else None
    view = service.record_inspection(number, body.outcome, who, body.findings, corrected,
                                     seizure)
    return DeclarationRead.of(view, who)


async def upload_content(file: StarletteUpload) -> bytes:
    """The upload's bytes, one more than the limit at most (the model says it is over)."""
    return await file.read(MOST_BYTES + 1)


@router.post("/{number}/attachments", response_model=AttachmentRead, status_code=201)
async def attach(
    number: str,
    service: ClearanceDep,
    who: OfficerDep,
    file: Annotated[UploadFile, File(description="A JPEG, PNG or TIFF image, 8 MiB at most")],
    kind: Annotated[AttachmentKind, Form()] = AttachmentKind.PHOTO,
    scanner_id: Annotated[str | None, Form(max_length=35)] = None,
) -> AttachmentRead:
    """An officer attaches a photo or a scanner image (with the scanner's identifier)."""
    content = await upload_content(file)
    view = service.attach(number, kind, file.filename or "", content, who, scanner_id)
    return AttachmentRead.of(view)


@router.get("/{number}/attachments", response_model=list[AttachmentRead])
def list_attachments(number: str, service: ClearanceDep, who: OfficerDep) -> list[AttachmentRead]:
    """The photos and scanner images of a declaration (officers only), oldest first."""
    return [AttachmentRead.of(a) for a in service.attachments(number, who)]


def attachment_response(service: Clearance, number: str, attachment: str,
                        who: Principal) -> Response:
    """The stored image as it was uploaded, of the type read from its content."""
    view, content = service.attachment_file(number, attachment, who)
    return Response(content, media_type=view.media_type, headers={
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(view.filename)}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    })


@router.get("/{number}/attachments/{attachment}", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/tiff": {}}}})
def attachment_file(number: str, attachment: str, service: ClearanceDep,
                    who: OfficerDep) -> Response:
    """One attachment's file as it was stored, of the type read from its content."""
    return attachment_response(service, number, attachment, who)


@router.post("/{number}/release", response_model=DeclarationRead)
def release(number: str, service: ClearanceDep, who: OfficerDep) -> DeclarationRead:
    """An officer releases the goods (checked, and paid or secured)."""
    return DeclarationRead.of(service.release(number, who), who)


@router.post("/{number}/cancellation", response_model=DeclarationRead)
def cancel(
    number: str, body: CancellationCreate, service: ClearanceDep, who: PrincipalDep
) -> DeclarationRead:
    """Cancel before release: the declarant while unselected, an officer once selected;
    no one after a finding."""
    return DeclarationRead.of(service.cancel(number, body.reason, who), who)


@payments.get("/payment-notices/{reference}", response_model=PaymentNoticeRead)
def read_notice(reference: str, service: ClearanceDep, who: PrincipalDep) -> PaymentNoticeRead:
    """A payment notice: what a bank collects, under which reference, by when."""
    return PaymentNoticeRead.of(Payments(service).notice(reference, who))


@payments.post("/payments", response_model=DeclarationRead, status_code=201)
def confirm_payment(body: PaymentCreate, service: ClearanceDep, who: BankDep) -> DeclarationRead:
    """A bank confirms a payment it collected against a notice: the only way duties are
    paid. An overpayment becomes a credit to refund; the goods go when the rules say."""
    view = Payments(service).confirm(
        body.notice, body.amount, body.currency, body.bank_reference, who
    )
    return DeclarationRead.of(view, who)


@payments.get("/refunds", response_model=Page[RefundRead])
def list_refunds(
    service: ClearanceDep,
    who: OfficerDep,
    status: str | None = Query(None, pattern="^(pending|refunded|refused)$"),
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[RefundRead]:
    """Credits from overpayments and cancellations, for an officer to decide."""
    refunds, total = Payments(service).refunds(who, status, limit, offset)
    return Page[RefundRead](
        items=[RefundRead.of(r) for r in refunds], total=total, limit=limit, offset=offset
    )


@payments.post("/refunds/{refund_id}/decision", response_model=RefundRead)
def decide_refund(
    refund_id: str, body: RefundDecision, service: ClearanceDep, who: OfficerDep
) -> RefundRead:
    """An officer refunds a credit or refuses to, with a reason."""
    return RefundRead.of(Payments(service).decide_refund(refund_id, body.approve, body.reason, who))


@guarantees.post("", response_model=GuaranteeRead, status_code=201)
def register_guarantee(
    body: GuaranteeCreate, service: ClearanceDep, who: OfficerDep
) -> GuaranteeRead:
    """Register a guarantee a trader lodged with customs (bank or insurance bond)."""
    guarantee = Guarantees(service).register(body.reference, body.holder_id, body.amount, who)
    return GuaranteeRead.of(guarantee)


@guarantees.get("", response_model=Page[GuaranteeRead])
def list_guarantees(
    service: ClearanceDep, who: PrincipalDep, limit: Limit = 50, offset: Offset = 0
) -> Page[GuaranteeRead]:
    """Guarantees with their balance: officers see all, a trader those it holds."""
    found, total = Guarantees(service).list(who, limit, offset)
    return Page[GuaranteeRead](
        items=[GuaranteeRead.of(g) for g in found], total=total, limit=limit, offset=offset
    )


@guarantees.get("/{reference}", response_model=GuaranteeRead)
def read_guarantee(reference: str, service: ClearanceDep, who: PrincipalDep) -> GuaranteeRead:
    """A guarantee's balance and the history of what it secured and what was discharged."""
    return GuaranteeRead.of(Guarantees(service).get(reference, who))


@representations.post("", response_model=RepresentationRead, status_code=201)
def register_representation(
    body: RepresentationCreate, service: ClearanceDep, who: PrincipalDep
) -> RepresentationRead:
    """Register a declarant's representation of an importer or exporter (by the
    represented party itself or an officer)."""
    registered = Representations(service.database).register(
        body.declarant_id, body.represented_id, body.kind, body.valid_from, body.valid_to, who
    )
    return RepresentationRead.of(registered)


@representations.get("", response_model=Page[RepresentationRead])
def list_representations(
    service: ClearanceDep, who: PrincipalDep, limit: Limit = 50, offset: Offset = 0
) -> Page[RepresentationRead]:
    """Representations the caller gives or holds (officers: all)."""
    found, total = Representations(service.database).list(who, limit, offset)
    return Page[RepresentationRead](
        items=[RepresentationRead.of(r) for r in found], total=total, limit=limit, offset=offset
    )


@representations.post("/{representation_id}/revocation", response_model=RepresentationRead)
def revoke_representation(
    representation_id: str, service: ClearanceDep, who: PrincipalDep
) -> RepresentationRead:
    """End a representation from today (the represented party or an officer)."""
    return RepresentationRead.of(Representations(service.database).revoke(representation_id, who))


async def pre_arrival_records(request: Request) -> PreArrival:
    records = request.app.state.node.pre_arrival
    if records is None:
        raise UnknownPreArrival("this node is not on a network: it receives no ACDD")
    return records


PreArrivalDep = Annotated[PreArrival, Depends(pre_arrival_records)]


@pre_arrival.get("", response_model=Page[PreArrivalRead])
def list_pre_arrival(
    _: OfficerDep, records: PreArrivalDep, limit: Limit = 50, offset: Offset = 0
) -> Page[PreArrivalRead]:
    """ACDDs received from exporting countries, scored before the goods arrive."""
    rows, total = records.records(limit, offset)
    return Page[PreArrivalRead](
        items=[PreArrivalRead.of(r) for r in rows], total=total, limit=limit, offset=offset
    )


@pre_arrival.get("/{export_country}/{export_reference}", response_model=PreArrivalRead)
def read_pre_arrival(
    export_country: str, export_reference: str, _: OfficerDep, records: PreArrivalDep
) -> PreArrivalRead:
    """One pre-arrival record with its channel and reasons."""
    return PreArrivalRead.of(records.get(export_country, export_reference))
