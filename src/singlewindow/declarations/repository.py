"""Storage of declarations: the current version as a document with the columns that queries
need, every earlier version, the event log, payments, guarantees and the number counter."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    delete,
    func,
    insert,
    select,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, defer, mapped_column

from singlewindow.access.model import Principal
from singlewindow.core.db import Amount, Base, Document, UtcDateTime
from singlewindow.core.ids import new_id
from singlewindow.declarations.lifecycle import (
    LodgedDeclaration,
    Representation,
    RepresentationKind,
)
from singlewindow.declarations.model import (
    Declaration,
    DeclarationType,
    GoodsItem,
    Party,
    PreferenceClaim,
    Status,
    SupportingDocument,
)
from singlewindow.risk.model import Channel, InspectionOutcome


class DeclarationRow(Base):
    __tablename__ = "declaration"
    __table_args__ = (
        UniqueConstraint("declarant_id", "lrn", name="uq_declaration_lrn"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    lrn: Mapped[str] = mapped_column(String(35))
    type: Mapped[str] = mapped_column(String(2))
    declarant_id: Mapped[str] = mapped_column(String(35), index=True)
    trader_id: Mapped[str] = mapped_column(String(35), index=True)
    office: Mapped[str] = mapped_column(String(8))  # first in the worklist's index
    status: Mapped[str] = mapped_column(String(12), index=True)
    channel: Mapped[str | None] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(Document)
    assessment: Mapped[dict[str, Any]] = mapped_column(Document)
    selection: Mapped[dict[str, Any]] = mapped_column(Document)
    # The learned model's score of the selection (0 without one), kept beside it so that
    # the worklist is read in its index's order.
    risk_score: Mapped[float] = mapped_column(Float)
    # The authorised economic operator whose standing gives the declaration priority in the
    # worklist (None: no priority).
    aeo_operator: Mapped[str | None] = mapped_column(String(35))
    currency: Mapped[str] = mapped_column(String(3))
    duties: Mapped[Decimal] = mapped_column(Amount)
    paid: Mapped[Decimal] = mapped_column(Amount)
    secured: Mapped[Decimal] = mapped_column(Amount)
    lodged_at: Mapped[datetime] = mapped_column(UtcDateTime())  # first in the statistics index
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The state the clearance rules decide on (declarations.lifecycle).
    inspection: Mapped[str | None] = mapped_column(String(16))
    finding: Mapped[bool] = mapped_column(Boolean, default=False)
    preference_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    refundable: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    released_by: Mapped[str | None] = mapped_column(String(100))
    notice_sequence: Mapped[int] = mapped_column(Integer, default=0)
    notice_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    notice_due: Mapped[date | None] = mapped_column(Date)


# The officer's worklist in the order it is shown: an office's open selections, those of an
# AEO with priority first (false < true), then the highest score, red before yellow, then the
# longest waiting (channel is in it: 'red' < 'yellow').
AEO_LAST = DeclarationRow.aeo_operator.is_(None)
Index("ix_declaration_worklist", DeclarationRow.office, DeclarationRow.status, AEO_LAST,
      DeclarationRow.risk_score.desc(), DeclarationRow.channel, DeclarationRow.lodged_at)


# The dashboard's figures by lodgement day and office, read from this index alone.
Index("ix_declaration_statistics", DeclarationRow.lodged_at, DeclarationRow.office,
      DeclarationRow.type, DeclarationRow.channel, DeclarationRow.currency, DeclarationRow.duties,
      DeclarationRow.paid, DeclarationRow.released_at)


class DeclarationGoodsRow(Base):
    """Each goods item's code, origin and customs value beside its declaration's office and
    lodgement, for figures by origin and chapter (rewritten with each new version)."""

    __tablename__ = "declaration_goods"
    # The dashboard's figures by origin and chapter are read from this index alone.
    __table_args__ = (Index("ix_declaration_goods_lodged", "lodged_at", "office", "type",
                            "origin_country", "chapter", "customs_value"),)

    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("declaration.id", ondelete="CASCADE"), primary_key=True
    )
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(2))
    office: Mapped[str] = mapped_column(String(8))
    lodged_at: Mapped[datetime] = mapped_column(UtcDateTime())
    commodity_code: Mapped[str] = mapped_column(String(10))
    chapter: Mapped[str] = mapped_column(String(2))
    origin_country: Mapped[str] = mapped_column(String(2))
    customs_value: Mapped[Decimal] = mapped_column(Amount)


def goods_values(row: dict[str, Any] | DeclarationRow) -> list[dict[str, Any]]:
    """A declaration's goods rows from its stored document and assessment."""
    def value(name: str) -> Any:
        return row[name] if isinstance(row, dict) else getattr(row, name)

    items = value("data")["items"]
    valued = {int(i["sequence"]): i["customs_value"] for i in value("assessment")["items"]}
    numbered = [(int(item.get("sequence") or n), item) for n, item in enumerate(items, start=1)]
    return [{
        "declaration_id": value("id"), "sequence": n, "type": value("type"),
        "office": value("office"), "lodged_at": value("lodged_at"),
        "commodity_code": str(item["commodity_code"])[:10],
        "chapter": str(item["commodity_code"])[:2],
        "origin_country": str(item.get("origin_country") or "")[:2],
        "customs_value": Decimal(valued.get(n, "0")),
    } for n, item in numbered]


def replace_goods(session: Session, row: DeclarationRow) -> None:
    session.execute(delete(DeclarationGoodsRow)
                    .where(DeclarationGoodsRow.declaration_id == row.id))
    session.execute(insert(_GOODS), goods_values(row))


class DeclarationVersionRow(Base):
    """Each version as it stood before an amendment replaced it."""

    __tablename__ = "declaration_version"

    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("declaration.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(Document)
    assessment: Mapped[dict[str, Any]] = mapped_column(Document)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[str] = mapped_column(String(64))


class DeclarationEventRow(Base):
    __tablename__ = "declaration_event"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("declaration.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(Document)


class AttachmentRow(Base):
    """A photo or scanner image an officer attached, kept with its declaration."""

    __tablename__ = "declaration_attachment"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("declaration.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(120))
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    scanner_id: Mapped[str | None] = mapped_column(String(35))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())
    added_by: Mapped[str] = mapped_column(String(64))


class PaymentRow(Base):
    """A payment a bank confirmed (never one a trader reported)."""

    __tablename__ = "payment"

    bank_reference: Mapped[str] = mapped_column(String(64), primary_key=True)
    declaration_id: Mapped[str] = mapped_column(ForeignKey("declaration.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[str] = mapped_column(String(64))
    bank_id: Mapped[str | None] = mapped_column(String(35))
    notice_reference: Mapped[str | None] = mapped_column(String(24))


class RefundRow(Base):
    """A credit from an overpayment or a cancellation, refunded when an officer decides."""

    __tablename__ = "refund"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    declaration_id: Mapped[str] = mapped_column(ForeignKey("declaration.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(12), index=True)  # pending, refunded, refused
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reason: Mapped[str | None] = mapped_column(String(500))


class RepresentationRow(Base):
    """A declarant's authority to act for an importer or exporter (EU UCC art. 18-19)."""

    __tablename__ = "representation"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    declarant_id: Mapped[str] = mapped_column(String(35), index=True)
    represented_id: Mapped[str] = mapped_column(String(35), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_on: Mapped[date | None] = mapped_column(Date)
    revoked_by: Mapped[str | None] = mapped_column(String(64))


class GuaranteeRow(Base):
    """A comprehensive guarantee lodged by a trader with customs (bank or insurance bond)."""

    __tablename__ = "guarantee"

    reference: Mapped[str] = mapped_column(String(35), primary_key=True)
    holder_id: Mapped[str] = mapped_column(String(35), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Amount)
    used: Mapped[Decimal] = mapped_column(Amount)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    registered_by: Mapped[str] = mapped_column(String(64))


class GuaranteeUseRow(Base):
    __tablename__ = "guarantee_use"

    guarantee_ref: Mapped[str] = mapped_column(ForeignKey("guarantee.reference"), primary_key=True)
    declaration_id: Mapped[str] = mapped_column(ForeignKey("declaration.id"), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    secured_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The part of `amount` given back to the guarantee (paid, or the declaration cancelled).
    discharged: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    discharged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ReferenceCounterRow(Base):
    __tablename__ = "reference_counter"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


class PreArrivalRow(Base):
    """An ACDD received from the exporting country, scored on arrival of the data."""

    __tablename__ = "pre_arrival_record"

    export_reference: Mapped[str] = mapped_column(String(40), primary_key=True)
    export_country: Mapped[str] = mapped_column(String(2), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200))
    consignee_id: Mapped[str] = mapped_column(String(35), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(Document)
    channel: Mapped[str] = mapped_column(String(8))
    risk_score: Mapped[float | None] = mapped_column(Float)  # the learned model's, if any
    reasons: Mapped[list[str]] = mapped_column(Document)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    import_number: Mapped[str | None] = mapped_column(String(24), index=True)


_counters = ReferenceCounterRow.__table__
_DECLARATIONS = cast(Table, DeclarationRow.__table__)
_EVENTS = cast(Table, DeclarationEventRow.__table__)
_GOODS = cast(Table, DeclarationGoodsRow.__table__)


def _advance(insert: Any) -> Any:
    """One statement that creates the counter or moves it on: an UPDATE-then-INSERT races
    when two transactions open a counter at once (the second INSERT fails)."""
    return (
        insert(_counters)
        .values(name=bindparam("counter"), value=bindparam("step"))
        .on_conflict_do_update(
            index_elements=[_counters.c.name],
            set_={"value": _counters.c.value + bindparam("step")},
        )
        .returning(_counters.c.value)
    )


# Built once per engine: lodgement reserves serials on every call, and statement
# construction costs more than the statement itself on SQLite.
_ADVANCE = {"sqlite": _advance(sqlite.insert), "postgresql": _advance(postgresql.insert)}


def next_serials(session: Session, name: str, count: int = 1) -> range:
    """Reserve `count` consecutive serial numbers of a counter, in the caller's transaction."""
    statement = _ADVANCE[session.get_bind().dialect.name]
    last: int = session.execute(statement, {"counter": name, "step": count}).scalar_one()
    return range(last - count + 1, last + 1)


def lodged_numbers(session: Session, keys: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(declarant, LRN, number) of the declarations already lodged under these keys."""
    rows = session.execute(
        select(DeclarationRow.declarant_id, DeclarationRow.lrn, DeclarationRow.number).where(
            tuple_(DeclarationRow.declarant_id, DeclarationRow.lrn).in_(keys)
        )
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def find(session: Session, number: str, lock: bool = False) -> DeclarationRow | None:
    """The declaration with this number; `lock` holds it for the change that follows, so
    that two concurrent steps (a payment and a correction) are taken one after the other."""
    query = select(DeclarationRow).where(DeclarationRow.number == number)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def insert_lodged(
    session: Session, rows: list[dict[str, Any]], events: list[dict[str, Any]]
) -> None:
    """A batch of lodged declarations, their first events and their goods: one statement per
    table, on the tables themselves (the ORM's bulk path costs more than the inserts: 10 % of
    a batch lodgement with the goods)."""
    connection = session.connection()
    connection.execute(insert(_DECLARATIONS), rows)
    connection.execute(insert(_EVENTS), events)
    connection.execute(insert(_GOODS), [g for row in rows for g in goods_values(row)])


def lodged_between(start: date | None, end: date | None) -> list[ColumnElement[bool]]:
    """Declarations lodged from the UTC day `start` to the UTC day `end`, both included
    (either may be open)."""
    conditions = []
    if start is not None:
        conditions.append(DeclarationRow.lodged_at >= datetime.combine(start, time(), UTC))
    if end is not None:
        conditions.append(DeclarationRow.lodged_at
                          < datetime.combine(end + timedelta(days=1), time(), UTC))
    return conditions


def search(
    session: Session,
    conditions: list[ColumnElement[bool]],
    limit: int,
    offset: int,
) -> tuple[list[DeclarationRow], int]:
    """One page of declarations, newest first, and how many match in all."""
    query = select(DeclarationRow)
    count = select(func.count()).select_from(DeclarationRow)
    if conditions:
        query = query.where(*conditions)
        count = count.where(*conditions)
    rows = session.scalars(
        query.order_by(DeclarationRow.lodged_at.desc(), DeclarationRow.number.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), session.scalar(count) or 0


def events_of(session: Session, declaration_id: str) -> list[DeclarationEventRow]:
    """A declaration's event log, oldest first."""
    return list(
        session.scalars(
            select(DeclarationEventRow)
            .where(DeclarationEventRow.declaration_id == declaration_id)
            .order_by(DeclarationEventRow.id)
        )
    )


def attachments_of(session: Session, declaration_id: str) -> list[AttachmentRow]:
    """Its attachments, oldest first, without their content (a list reads no image)."""
    return list(session.scalars(
        select(AttachmentRow).options(defer(AttachmentRow.content))
        .where(AttachmentRow.declaration_id == declaration_id)
        .order_by(AttachmentRow.added_at, AttachmentRow.id)
    ))


def versions_of(session: Session, declaration_id: str) -> list[DeclarationVersionRow]:
    """The versions a declaration's changes replaced, oldest first."""
    return list(
        session.scalars(
            select(DeclarationVersionRow)
            .where(DeclarationVersionRow.declaration_id == declaration_id)
            .order_by(DeclarationVersionRow.version)
        )
    )


def representations_between(
    session: Session, declarant_id: str, represented_id: str
) -> list[Representation]:
    rows = session.scalars(
        select(RepresentationRow).where(
            RepresentationRow.declarant_id == declarant_id,
            RepresentationRow.represented_id == represented_id,
        )
    )
    return [representation_of(row) for row in rows]


def representation_of(row: RepresentationRow) -> Representation:
    return Representation(
        row.declarant_id,
        row.represented_id,
        RepresentationKind(row.kind),
        row.valid_from,
        row.valid_to,
        row.revoked_on,
    )


# Rows from the domain objects, and the rules' view back from a row.


def score_of(selection: dict[str, Any]) -> float:
    """The worklist's score of a selection: the model's, 0 where no model scored it."""
    return float(selection.get("score") or 0)


def aeo_operator_of(selection: dict[str, Any]) -> str | None:
    """The AEO whose standing puts a selection first in the worklist, if any."""
    aeo = selection.get("aeo")
    if isinstance(aeo, dict) and aeo.get("priority") and aeo.get("operator"):
        return str(aeo["operator"])[:35]
    return None


def new_declaration_row(
    draft: Declaration,
    state: LodgedDeclaration,
    assessment: dict[str, Any],
    selection: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """The values of a declaration's row at lodgement (a batch inserts them in one go)."""
    trader = draft.trader
    return {
        "id": new_id(),
        "number": state.number,
        "lrn": draft.lrn,
        "type": draft.type.value,
        "declarant_id": draft.declarant.id,
        "trader_id": trader.id if trader else draft.declarant.id,
        "office": draft.office,
        "status": state.status.value,
        "channel": state.channel.value if state.channel else None,
        "version": 1,
        "data": to_document(draft),
        "assessment": assessment,
        "selection": selection,
        "risk_score": score_of(selection),
        "aeo_operator": aeo_operator_of(selection),
        "currency": state.currency,
        "duties": state.duties,
        "paid": state.paid,
        "secured": state.secured,
        "lodged_at": now,
        "updated_at": now,
        "released_at": now if state.status is Status.RELEASED else None,
        "released_by": state.released_by,
        "inspection": state.inspection.value if state.inspection else None,
        "finding": state.finding,
        "preference_pending": state.preference_pending,
        "refundable": state.refundable,
        "notice_sequence": state.notice_sequence,
        "notice_amount": state.notice_amount,
        "notice_due": state.notice_due,
    }


def event_values(
    declaration_id: str, at: datetime, actor: str, kind: str, detail: dict[str, Any]
) -> dict[str, Any]:
    """One entry of a declaration's event log, as values to insert."""
    return {
        "declaration_id": declaration_id,
        "at": at,
        "actor": actor,
        "kind": kind,
        "detail": detail,
    }


def event_row(
    declaration_id: str, at: datetime, actor: str, kind: str, detail: dict[str, Any]
) -> DeclarationEventRow:
    return DeclarationEventRow(**event_values(declaration_id, at, actor, kind, detail))


def version_row(row: DeclarationRow, at: datetime, by: str) -> DeclarationVersionRow:
    """The version a change is about to replace, kept as it stood."""
    return DeclarationVersionRow(
        declaration_id=row.id,
        version=row.version,
        data=row.data,
        assessment=row.assessment,
        recorded_at=at,
        recorded_by=by,
    )


def refund_row(declaration_id: str, amount: Decimal, currency: str, at: datetime) -> RefundRow:
    """A credit waiting for an officer's refund decision."""
    return RefundRow(
        id=new_id(),
        declaration_id=declaration_id,
        amount=amount,
        currency=currency,
        created_at=at,
        status="pending",
    )


def payment_row(
    reference: str,
    declaration_id: str,
    amount: Decimal,
    currency: str,
    at: datetime,
    bank: Principal,
    notice_reference: str,
) -> PaymentRow:
    """A payment a bank confirmed against a notice (`reference`: bank / its reference)."""
    return PaymentRow(
        bank_reference=reference,
        declaration_id=declaration_id,
        amount=amount,
        currency=currency,
        paid_at=at,
        recorded_by=bank.username,
        bank_id=bank.party_id,
        notice_reference=notice_reference,
    )


def guarantee_row(
    reference: str, holder_id: str, currency: str, amount: Decimal, at: datetime, by: str
) -> GuaranteeRow:
    """A guarantee just registered, nothing of it used."""
    return GuaranteeRow(
        reference=reference,
        holder_id=holder_id,
        currency=currency,
        amount=amount,
        used=Decimal(0),
        registered_at=at,
        registered_by=by,
    )


def guarantee_use_row(
    reference: str, declaration_id: str, amount: Decimal, at: datetime
) -> GuaranteeUseRow:
    """The part of a guarantee that secures one declaration's debt."""
    return GuaranteeUseRow(
        guarantee_ref=reference,
        declaration_id=declaration_id,
        amount=amount,
        secured_at=at,
        discharged=Decimal(0),
    )


def lodged_state(row: DeclarationRow) -> LodgedDeclaration:
    """The rules' view of a stored declaration."""
    return LodgedDeclaration(
        number=row.number,
        status=Status(row.status),
        channel=Channel(row.channel) if row.channel else None,
        currency=row.currency,
        duties=Decimal(row.duties),
        paid=Decimal(row.paid),
        secured=Decimal(row.secured),
        refundable=Decimal(row.refundable),
        inspection=InspectionOutcome(row.inspection) if row.inspection else None,
        finding=row.finding,
        preference_pending=row.preference_pending,
        released_by=row.released_by,
        notice_sequence=row.notice_sequence,
        notice_amount=Decimal(row.notice_amount),
        notice_due=row.notice_due,
    )


def write_state(row: DeclarationRow, state: LodgedDeclaration, now: datetime) -> None:
    """Copy what the rules decided onto the row (release time and event log apart)."""
    row.status = state.status.value
    row.channel = state.channel.value if state.channel else None
    row.duties = state.duties
    row.paid = state.paid
    row.secured = state.secured
    row.refundable = state.refundable
    row.inspection = state.inspection.value if state.inspection else None
    row.finding = state.finding
    row.preference_pending = state.preference_pending
    row.notice_sequence = state.notice_sequence
    row.notice_amount = state.notice_amount
    row.notice_due = state.notice_due
    row.updated_at = now


# The declaration document: the domain object in plain JSON, amounts as strings so that no
# digit is lost on either engine.


def _party(party: Party | None) -> dict[str, Any] | None:
    if party is None:
        return None
    return {"id": party.id, "name": party.name, "country": party.country}


def to_document(d: Declaration) -> dict[str, Any]:
    return {
        "type": d.type.value,
        "lrn": d.lrn,
        "declarant": _party(d.declarant),
        "importer": _party(d.importer),
        "exporter": _party(d.exporter),
        "seller": _party(d.seller),
        "buyer": _party(d.buyer),
        "office": d.office,
        "export_country": d.export_country,
        "destination_country": d.destination_country,
        "transport_mode": d.transport_mode,
        "incoterm": d.incoterm,
        "invoice_currency": d.invoice_currency,
        "exchange_rate": str(d.exchange_rate) if d.exchange_rate is not None else None,
        "freight": str(d.freight),
        "insurance": str(d.insurance),
        "preference": d.preference,
        "proof_of_origin": d.proof_of_origin,
        "proof_type": d.proof_type,
        "export_reference": d.export_reference,
        "documents": [{"code": x.code, "reference": x.reference} for x in d.documents],
        "items": [
            {
                "sequence": i.sequence,
                "commodity_code": i.commodity_code,
                "description": i.description,
                "origin_country": i.origin_country,
                "quantity": str(i.quantity),
                "quantity_unit": i.quantity_unit,
                "net_mass": str(i.net_mass),
                "gross_mass": str(i.gross_mass),
                "invoice_amount": str(i.invoice_amount),
                "preference": None
                if i.preference is None
                else {
                    "agreement": i.preference.agreement,
                    "proof_type": i.preference.proof_type,
                    "proof_reference": i.preference.proof_reference,
                },
                "documents": [{"code": x.code, "reference": x.reference} for x in i.documents],
                "additional_code": i.additional_code,
            } | _waste(i)
            for i in d.items
        ],
    }


def _waste(item: GoodsItem) -> dict[str, Any]:
    """The Basel data of an item, only where it has some (other documents stay as they were)."""
    found: dict[str, Any] = {
        "basel_code": item.basel_code,
        "waste_consent": item.waste_consent,
        "recycling_attestation": item.recycling_attestation,
        "contamination_share": None
        if item.contamination_share is None
        else str(item.contamination_share),
    }
    return {key: value for key, value in found.items() if value is not None}


def _to_party(raw: dict[str, Any] | None) -> Party | None:
    return None if raw is None else Party(raw["id"], raw["name"], raw.get("country"))


def _to_claim(raw: dict[str, Any] | None) -> PreferenceClaim | None:
    if raw is None:
        return None
    return PreferenceClaim(raw["agreement"], raw["proof_type"], raw["proof_reference"])


def from_document(doc: dict[str, Any]) -> Declaration:
    declarant = _to_party(doc["declarant"])
    assert declarant is not None
    return Declaration(
        type=DeclarationType(doc["type"]),
        lrn=doc["lrn"],
        declarant=declarant,
        importer=_to_party(doc.get("importer")),
        exporter=_to_party(doc.get("exporter")),
        seller=_to_party(doc.get("seller")),
        buyer=_to_party(doc.get("buyer")),
        office=doc["office"],
        export_country=doc["export_country"],
        destination_country=doc["destination_country"],
        transport_mode=doc["transport_mode"],
        incoterm=doc["incoterm"],
        invoice_currency=doc["invoice_currency"],
        exchange_rate=Decimal(doc["exchange_rate"]) if doc.get("exchange_rate") else None,
        freight=Decimal(doc["freight"]),
        insurance=Decimal(doc["insurance"]),
        preference=doc.get("preference"),
        proof_of_origin=doc.get("proof_of_origin"),
        proof_type=doc.get("proof_type"),
        export_reference=doc.get("export_reference"),
        documents=tuple(SupportingDocument(x["code"], x["reference"]) for x in doc["documents"]),
        items=tuple(
            GoodsItem(
                sequence=i["sequence"],
                commodity_code=i["commodity_code"],
                description=i["description"],
                origin_country=i["origin_country"],
                quantity=Decimal(i["quantity"]),
                quantity_unit=i["quantity_unit"],
                net_mass=Decimal(i["net_mass"]),
                gross_mass=Decimal(i["gross_mass"]),
                invoice_amount=Decimal(i["invoice_amount"]),
                preference=_to_claim(i.get("preference")),
                documents=tuple(
                    SupportingDocument(x["code"], x["reference"]) for x in i.get("documents", ())
                ),
                additional_code=i.get("additional_code"),
                basel_code=i.get("basel_code"),
                waste_consent=i.get("waste_consent"),
                recycling_attestation=i.get("recycling_attestation"),
                contamination_share=Decimal(i["contamination_share"])
                if i.get("contamination_share") is not None
                else None,
            )
            for i in doc["items"]
        ),
    )
