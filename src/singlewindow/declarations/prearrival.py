"""The ACDD (ASEAN Customs Declaration Document): export data sent to the importing country
when the export is released, so that the destination scores the consignment before the goods
arrive and cross-checks the import declaration that cites it.

Payload (JSON, WCO Data Model names; documented in docs/acdd.md): the export declaration's
number and release time, exporter, consignee, countries, transport mode, delivery terms,
invoice currency and amount, proof of origin, and the goods items; for goods transhipped
through a hub, optionally the earlier legs (`TranshipmentLegs`: ports, dates, transport
documents, the origin per item each leg recorded). An ACDD without them is as valid as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import orjson
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from singlewindow.core.clock import utcnow
from singlewindow.core.countries import customs_party, is_country
from singlewindow.core.db import Database
from singlewindow.core.errors import Problem
from singlewindow.declarations.errors import InvalidDeclaration, UnknownPreArrival
from singlewindow.declarations.events import DeclarationLodged, DeclarationReleased
from singlewindow.declarations.model import Declaration, DeclarationType
from singlewindow.declarations.repository import PreArrivalRow
from singlewindow.risk import services as selectivity
from singlewindow.risk.model import Channel, RiskSubject
from singlewindow.risk.services import Selectivity, selectivity_of

SERVICE = "urn:asw:pre-arrival"
ACTION = "ACDD"

# Relative tolerance between what the export declared and what the import declares, for
# values and masses (currency conversion and weighing differences).
TOLERANCE = Decimal("0.02")


def acdd_document(number: str, declaration: Declaration, released_at: datetime,
                  legs: Sequence[AcddLeg] = ()) -> dict[str, Any]:
    d = declaration
    exporter = d.exporter or d.declarant
    consignee = d.buyer or d.importer
    document = {
        "ExportDeclarationNumber": number,
        "ReleaseDateTime": released_at.isoformat(),
        "Exporter": {"ID": exporter.id, "Name": exporter.name, "CountryCode": exporter.country},
        "Consignee": (
            {"ID": consignee.id, "Name": consignee.name, "CountryCode": consignee.country}
            if consignee
            else None
        ),
        "ExportCountryCode": d.export_country,
        "DestinationCountryCode": d.destination_country,
        "BorderTransportMeansModeCode": d.transport_mode,
        "DeliveryTermsCode": d.incoterm,
        "InvoiceCurrencyCode": d.invoice_currency,
        "InvoiceAmount": str(d.invoice_total),
        "ProofOfOriginReference": d.proof_of_origin,
        "GoodsItems": [
            {
                "SequenceNumeric": i.sequence,
                "ClassificationCode": i.commodity_code[:6],
                "NationalTariffCode": i.commodity_code,
                "Description": i.description,
                "OriginCountryCode": i.origin_country,
                "Quantity": str(i.quantity),
                "QuantityUnitCode": i.quantity_unit,
                "NetMass": str(i.net_mass),
                "GrossMass": str(i.gross_mass),
                "InvoiceAmount": str(i.invoice_amount),
            }
            for i in d.items
        ],
    }
    if legs:  # only when there are: an ACDD of a direct consignment is as it always was
        document["TranshipmentLegs"] = [leg_document(leg) for leg in legs]
    return document


@dataclass(frozen=True)
class AcddLegItem:
    subheading: str  # HS 6 digits
    origin_country: str
    quantity: Decimal
    quantity_unit: str
    description: str = ""


@dataclass(frozen=True)
class AcddLeg:
    """One earlier leg of a transhipped consignment: where it was loaded and unloaded, the
    day it arrived there (or left, for the last), on what transport document, with the origin
    of each item as that leg recorded it."""

    sequence: int
    document_type: str  # N705 bill of lading, N740 air waybill, ...
    transport_document: str
    loading_port: str  # UN/LOCODE
    unloading_port: str
    carrier: str
    on: date
    items: tuple[AcddLegItem, ...]


def leg_document(leg: AcddLeg) -> dict[str, Any]:
    return {
        "SequenceNumeric": leg.sequence,
        "TransportDocument": {"TypeCode": leg.document_type, "ID": leg.transport_document},
        "LoadingLocationID": leg.loading_port,
        "UnloadingLocationID": leg.unloading_port,
        "CarrierName": leg.carrier,
        "Date": leg.on.isoformat(),
        "GoodsItems": [
            {"ClassificationCode": i.subheading, "OriginCountryCode": i.origin_country,
             "Quantity": str(i.quantity), "QuantityUnitCode": i.quantity_unit,
             "Description": i.description}
            for i in leg.items
        ],
    }


LOCODE_LENGTH = 5
MAX_LEGS = 20


def parse_legs(raw: Any, problems: list[Problem]) -> tuple[AcddLeg, ...]:
    """The `TranshipmentLegs` of an ACDD (absent: none), each problem with its path."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_LEGS:
        problems.append(Problem("TranshipmentLegs", f"a list of at most {MAX_LEGS} legs"))
        return ()
    legs = []
    for index, leg in enumerate(raw):
        path = f"TranshipmentLegs.{index}"
        if not isinstance(leg, dict):
            problems.append(Problem(path, "is not an object"))
            continue
        document = leg.get("TransportDocument")
        document = document if isinstance(document, dict) else {}
        ports = []
        for key in ("LoadingLocationID", "UnloadingLocationID"):
            port = leg.get(key)
            if not (isinstance(port, str) and len(port) == LOCODE_LENGTH
                    and is_country(port[:2])):
                problems.append(Problem(f"{path}.{key}", "is not a UN/LOCODE"))
                port = ""
            ports.append(port)
        try:
            on = date.fromisoformat(str(leg.get("Date")))
        except ValueError:
            problems.append(Problem(f"{path}.Date", "is not an ISO 8601 date"))
            on = date.min
        items = []
        raw_items = leg.get("GoodsItems")
        for n, item in enumerate(raw_items if isinstance(raw_items, list) else []):
            item_path = f"{path}.GoodsItems.{n}"
            origin = item.get("OriginCountryCode") if isinstance(item, dict) else None
            code = item.get("ClassificationCode") if isinstance(item, dict) else None
            if not isinstance(origin, str) or not is_country(origin):
                problems.append(Problem(f"{item_path}.OriginCountryCode",
                                        "is not an ISO 3166 country code"))
                continue
            if not isinstance(code, str) or not code.isdigit() or len(code) < 6:
                problems.append(Problem(f"{item_path}.ClassificationCode",
                                        "is not an HS subheading"))
                continue
            try:
                quantity = Decimal(str(item.get("Quantity")))
            except InvalidOperation:
                problems.append(Problem(f"{item_path}.Quantity", "is not a number"))
                continue
            items.append(AcddLegItem(code[:6], origin, quantity,
                                     str(item.get("QuantityUnitCode", "")),
                                     str(item.get("Description", ""))))
        number = document.get("ID")
        if not isinstance(number, str) or not number:
            problems.append(Problem(f"{path}.TransportDocument.ID", "is required"))
            number = ""
        sequence = leg.get("SequenceNumeric")
        legs.append(AcddLeg(sequence if isinstance(sequence, int) else index + 1,
                            str(document.get("TypeCode", "")), number, ports[0], ports[1],
                            str(leg.get("CarrierName", "")), on, tuple(items)))
    return tuple(legs)


@dataclass(frozen=True)
class AcddItem:
    subheading: str  # HS 6 digits, as the ACDD classifies
    description: str
    origin_country: str
    quantity: Decimal
    quantity_unit: str
    net_mass: Decimal
    gross_mass: Decimal
    invoice_amount: Decimal


@dataclass(frozen=True)
class Acdd:
    number: str
    export_country: str
    destination_country: str
    exporter_id: str
    consignee_id: str
    currency: str
    invoice_amount: Decimal
    transport_mode: str
    items: tuple[AcddItem, ...]
    legs: tuple[AcddLeg, ...] = ()


def export_country_of(payload: bytes) -> str | None:
    """The country whose customs issued an ACDD payload (its export country), or None when
    the payload does not say (the handler then refuses it with every problem)."""
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    country = document.get("ExportCountryCode") if isinstance(document, dict) else None
    return country if isinstance(country, str) and country else None


def parse_acdd(document: dict[str, Any]) -> Acdd:
    """The ACDD from its payload, or Invalid with every problem and its path."""
    problems: list[Problem] = []

    def text(source: dict[str, Any], key: str, path: str) -> str:
        value = source.get(key) if isinstance(source, dict) else None
        if not isinstance(value, str) or not value:
            problems.append(Problem(path, "is required"))
            return ""
        return value

    def number(source: dict[str, Any], key: str, path: str) -> Decimal:
        try:
            return Decimal(str(source[key]))
        except (KeyError, InvalidOperation, TypeError):
            problems.append(Problem(path, "is not a number"))
            return Decimal(0)

    exporter = document.get("Exporter") or {}
    consignee = document.get("Consignee") or {}
    export_country = text(document, "ExportCountryCode", "ExportCountryCode")
    destination = text(document, "DestinationCountryCode", "DestinationCountryCode")
    for path, code in (
        ("ExportCountryCode", export_country),
        ("DestinationCountryCode", destination),
    ):
        if code and not is_country(code):
            problems.append(Problem(path, f"{code!r} is not an ISO 3166 country code"))
    items = []
    raw_items = document.get("GoodsItems")
    if not isinstance(raw_items, list) or not raw_items:
        problems.append(Problem("GoodsItems", "at least one goods item is required"))
        raw_items = []
    for index, raw in enumerate(raw_items):
        path = f"GoodsItems.{index}"
        if not isinstance(raw, dict):
            problems.append(Problem(path, "is not an object"))
            continue
        items.append(
            AcddItem(
                subheading=text(raw, "ClassificationCode", f"{path}.ClassificationCode"),
                description=str(raw.get("Description", "")),
                origin_country=text(raw, "OriginCountryCode", f"{path}.OriginCountryCode"),
                quantity=number(raw, "Quantity", f"{path}.Quantity"),
                quantity_unit=text(raw, "QuantityUnitCode", f"{path}.QuantityUnitCode"),
                net_mass=number(raw, "NetMass", f"{path}.NetMass"),
                gross_mass=number(raw, "GrossMass", f"{path}.GrossMass"),
                invoice_amount=number(raw, "InvoiceAmount", f"{path}.InvoiceAmount"),
            )
        )
    acdd = Acdd(
        number=text(document, "ExportDeclarationNumber", "ExportDeclarationNumber"),
        export_country=export_country,
        destination_country=destination,
        exporter_id=text(exporter, "ID", "Exporter.ID"),
        consignee_id=text(consignee, "ID", "Consignee.ID"),
        currency=text(document, "InvoiceCurrencyCode", "InvoiceCurrencyCode"),
        invoice_amount=number(document, "InvoiceAmount", "InvoiceAmount"),
        transport_mode=str(document.get("BorderTransportMeansModeCode", "")),
        items=tuple(items),
        legs=parse_legs(document.get("TranshipmentLegs"), problems),
    )
    if problems:
        raise InvalidDeclaration(problems)
    return acdd


def _differs(declared: Decimal, expected: Decimal) -> bool:
    if expected == 0:
        return declared != 0
    return abs(declared - expected) / abs(expected) > TOLERANCE


def cross_check(acdd: Acdd, declaration: Declaration) -> list[str]:
    """Every mismatch between the export data and the import declaration, in words."""
    d = declaration
    reasons = []
    importer = d.importer.id if d.importer else ""
    if acdd.consignee_id and acdd.consignee_id != importer:
        reasons.append(
            f"ACDD {acdd.number}: consignee {acdd.consignee_id} is not the importer {importer}"
        )
    if d.seller and d.seller.id != acdd.exporter_id:
        reasons.append(
            f"ACDD {acdd.number}: exporter {acdd.exporter_id} is not the seller {d.seller.id}"
        )
    if d.exporter and d.exporter.id != acdd.exporter_id:
        reasons.append(
            f"ACDD {acdd.number}: exporter {acdd.exporter_id} is not the exporter declared, "
            f"{d.exporter.id}"
        )
    if d.export_country != acdd.export_country:
        reasons.append(
            f"ACDD {acdd.number}: exported from {acdd.export_country}, "
            f"declared as from {d.export_country}"
        )
    if d.invoice_currency == acdd.currency and _differs(d.invoice_total, acdd.invoice_amount):
        reasons.append(
            f"ACDD {acdd.number}: invoice amount {acdd.invoice_amount} {acdd.currency} at export,"
            f" {d.invoice_total} {d.invoice_currency} declared"
        )
    remaining = list(acdd.items)
    for item in d.items:
        match = next((a for a in remaining if a.subheading == item.commodity_code[:6]), None)
        label = f"ACDD {acdd.number}, item {item.sequence}"
        if match is None:
            reasons.append(
                f"{label}: code {item.commodity_code[:6]} does not appear in the export data"
            )
            continue
        remaining.remove(match)
        if match.quantity_unit == item.quantity_unit and _differs(item.quantity, match.quantity):
            reasons.append(
                f"{label}: quantity {item.quantity} {item.quantity_unit} declared, "
                f"{match.quantity} {match.quantity_unit} exported"
            )
        if _differs(item.net_mass, match.net_mass):
            reasons.append(
                f"{label}: net mass {item.net_mass} kg declared, {match.net_mass} kg exported"
            )
        if d.invoice_currency == acdd.currency and _differs(
            item.invoice_amount, match.invoice_amount
        ):
            reasons.append(
                f"{label}: value {item.invoice_amount} declared, {match.invoice_amount} exported"
            )
        if item.origin_country != match.origin_country:
            reasons.append(
                f"{label}: origin {item.origin_country} declared, {match.origin_country} at export"
            )
    for left in remaining:
        reasons.append(f"ACDD {acdd.number}: exported goods {left.subheading} are not declared")
    return reasons


def pre_arrival_subject(acdd: Acdd) -> RiskSubject:
    """What selectivity can score before any import declaration exists."""
    header = {
        "type": DeclarationType.IMPORT.value,
        "export_country": acdd.export_country,
        "destination_country": acdd.destination_country,
        "transport_mode": acdd.transport_mode,
        "exporter": acdd.exporter_id,
        "export_reference": acdd.number,  # the exporter's own administration says so
        "seller": acdd.exporter_id,
        "importer": acdd.consignee_id,
        "invoice_currency": acdd.currency,
        "item_count": len(acdd.items),
    }
    items = [
        {
            "commodity_code": item.subheading,
            "origin_country": item.origin_country,
            "description": item.description,
            "quantity": item.quantity,
            "net_mass": item.net_mass,
        }
        for item in acdd.items
    ]
    return RiskSubject(header, items)


class EarlierLegs(Protocol):
    """The legs a consignment travelled before the export `declaration` sends it on, if it
    was transhipped at this node's hubs (none otherwise). Runs in the release's transaction."""

    def __call__(self, session: Session, declaration: Declaration, /) -> Sequence[AcddLeg]: ...


def received_legs(session: Session, declaration: Declaration) -> tuple[AcddLeg, ...]:
    """The earlier legs the ACDD an import cites carried (none if it carried none, or was
    never received)."""
    if not declaration.export_reference:
        return ()
    row = session.get(PreArrivalRow, (declaration.export_reference, declaration.export_country))
    return parse_acdd(row.data).legs if row is not None else ()


def received_acdd(session: Session, export_country: str, number: str) -> Acdd | None:
    """A received ACDD, read, or None."""
    row = session.get(PreArrivalRow, (number, export_country))
    return parse_acdd(row.data) if row is not None else None


class PreArrival:
    """Both ends of the ACDD: the sender hook at export release, the receiver at destination."""

    def __init__(
        self,
        database: Database,
        country: str,
        send: Callable[..., str] | None = None,
        selectivity: Selectivity | None = None,
    ) -> None:
        self.database = database
        self.country = country
        self.send = send
        self.selectivity = selectivity or selectivity_of(database)
        # The earlier legs of a consignment transhipped here (the transhipment room, wired
        # by the node): they travel in the next leg's ACDD.
        self.earlier_legs: EarlierLegs | None = None

    def on_release(self, session: Session, released: DeclarationReleased) -> None:
        """Handler of `DeclarationReleased`: a released export goes to the destination node
        as an ACDD, in the release's transaction."""
        declaration = released.declaration
        if declaration.type is not DeclarationType.EXPORT or self.send is None:
            return
        legs = self.earlier_legs(session, declaration) if self.earlier_legs else ()
        document = acdd_document(released.number, declaration, released.released_at, legs)
        self.send(
            session,
            customs_party(declaration.destination_country),
            SERVICE,
            ACTION,
            orjson.dumps(document),
            conversation_id=released.number,
        )

    def receive(self, session: Session, message: Any) -> None:
        """Exchange handler: store the ACDD and score the consignment before it arrives."""
        acdd = parse_acdd(orjson.loads(message.payload))
        if acdd.destination_country != self.country:
            raise InvalidDeclaration(
                [Problem("DestinationCountryCode", f"this node is {self.country}")]
            )
        # The gateway has refused any ACDD whose export country is not its signer's, so a
        # record under (number, export country) can only have come from that country.
        if session.get(PreArrivalRow, (acdd.number, acdd.export_country)) is not None:
            return  # the same export sent again under another message id: keep the first
        subject = pre_arrival_subject(acdd)
        selection = self.selectivity.decide(subject, utcnow().date())
        selectivity.record_selections(
            session, [(f"{acdd.export_country}:{acdd.number}", "pre_arrival", subject, selection)]
        )
        session.add(
            PreArrivalRow(
                export_reference=acdd.number,
                export_country=acdd.export_country,
                message_id=message.message_id,
                consignee_id=acdd.consignee_id,
                data=orjson.loads(message.payload),
                channel=selection.channel.value,
                risk_score=selection.score,
                reasons=list(selection.reasons),
                received_at=utcnow(),
            )
        )

    def check_import(self, session: Session, declaration: Declaration) -> list[str]:
        """Clearance cross-check: mismatches with the ACDD the import cites, as reasons."""
        if declaration.type is not DeclarationType.IMPORT or not declaration.export_reference:
            return []
        row = session.get(PreArrivalRow, (declaration.export_reference, declaration.export_country))
        if row is None:
            return [
                f"no ACDD received from {declaration.export_country} for export "
                f"{declaration.export_reference}"
            ]
        reasons = cross_check(parse_acdd(row.data), declaration)
        if row.channel != "green":
            reasons.append(
                f"pre-arrival selection of ACDD {row.export_reference}: {row.channel}"
                f" ({'; '.join(row.reasons)})"
            )
        return reasons

    def on_lodged(self, session: Session, lodged: DeclarationLodged) -> None:
        """Handler of `DeclarationLodged`: the ACDD an import cites is linked to it."""
        self.link(session, lodged.declaration, lodged.number)

    def link(self, session: Session, declaration: Declaration, number: str) -> None:
        if declaration.export_reference:
            row = session.get(
                PreArrivalRow, (declaration.export_reference, declaration.export_country)
            )
            if row is not None:
                row.import_number = number

    def get(self, export_country: str, export_reference: str) -> PreArrivalRow:
        with self.database.unit_of_work() as session:
            row = session.get(PreArrivalRow, (export_reference, export_country))
            if row is None:
                raise UnknownPreArrival(
                    f"no ACDD received from {export_country} for export {export_reference}"
                )
            return row

    def records(
        self,
        limit: int = 50,
        offset: int = 0,
        matched: bool | None = None,
        channel: Channel | None = None,
    ) -> tuple[list[PreArrivalRow], int]:
        """Newest first; only those matched to an import (or not yet), of a channel."""
        conditions: list[ColumnElement[bool]] = []
        if matched is not None:
            conditions.append(PreArrivalRow.import_number.is_not(None) if matched
                              else PreArrivalRow.import_number.is_(None))
        if channel is not None:
            conditions.append(PreArrivalRow.channel == channel.value)
        with self.database.unit_of_work() as session:
            total = session.scalar(
                select(func.count()).select_from(PreArrivalRow).where(*conditions)) or 0
            rows = session.scalars(
                select(PreArrivalRow).where(*conditions)
                .order_by(PreArrivalRow.received_at.desc(), PreArrivalRow.export_reference)
                .limit(limit)
                .offset(offset)
            ).all()
            return list(rows), total
