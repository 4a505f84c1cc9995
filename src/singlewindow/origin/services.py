"""Use cases of origin: issue and send an e-Form D, receive it, verify it against an import
declaration, answer the issuer, and record the answer at the issuer.

Messages (service `urn:asw:origin`), between the customs nodes `KH-CUSTOMS`, `VN-CUSTOMS`, ...:

    issuer ──FormD──────────────▶ importing node
    issuer ◀─FormD.Acceptance──── importing node   (ref_to = the FormD message id)
    issuer ◀─FormD.Rejection───── importing node

A node makes one `Origin` at start-up, registers its handlers on the exchange gateway
(`register_handlers`), plugs `preference_check` into clearance and calls `verify_and_answer`
(or `answer_declaration` inside its own transaction) once an import declaration is lodged.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import as_utc, utcnow
from singlewindow.core.countries import ASEAN, customs_party
from singlewindow.core.db import Database
from singlewindow.core.errors import Problem
from singlewindow.core.events import EventBus
from singlewindow.core.ids import new_id
from singlewindow.declarations.events import DeclarationLodged
from singlewindow.declarations.model import Declaration, GoodsItem
from singlewindow.exchange.errors import NotAllowedByPMode
from singlewindow.exchange.model import UserMessage
from singlewindow.exchange.services import Gateway, names_no_issuer
from singlewindow.origin import repository
from singlewindow.origin.errors import (
    CertificateConflict,
    DuplicateCertificate,
    InvalidCertificate,
    NotAnIssuer,
    UnknownCertificate,
)
from singlewindow.origin.events import CertificateAccepted, CertificateRejected
from singlewindow.origin.model import (
    Answer,
    Certificate,
    CertificateOfOrigin,
    CertificateStatus,
    Provenance,
    Verdict,
    declaration_key,
    from_payload,
    overall,
    to_payload,
    validate,
    verify,
)
from singlewindow.origin.repository import CertificateRow
from singlewindow.tariff.measures import E_FORM_D

log = logging.getLogger("singlewindow.origin")

SERVICE = "urn:asw:origin"
FORM_D = "FormD"
ACCEPTANCE = "FormD.Acceptance"
REJECTION = "FormD.Rejection"
PREFERENCE = "ATIGA"


def form_d_issuer(payload: bytes) -> str | None:
    """The party id of the node that issued an e-Form D payload (its issuing country's
    customs), or None when the payload does not say (the handler rejects it with reasons)."""
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    country = data.get("IssuingCountry") if isinstance(data, dict) else None
    return customs_party(country) if isinstance(country, str) and country else None


def _country_name(code: str) -> str:
    member = ASEAN.get(code)
    return member.name if member else code


def _encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class CertificateView:
    """A certificate as this node holds it: the document and where it stands."""

    id: str
    provenance: Provenance
    status: CertificateStatus
    reference: str
    issuing_country: str
    importing_country: str
    partner: str
    certificate: CertificateOfOrigin | None  # None for a received payload that was unreadable
    document: Any  # the payload as exchanged (WCO Data Model names)
    message_id: str | None
    answer_message_id: str | None
    reasons: tuple[str, ...]
    verdict: dict[str, Any] | None
    accepted_for: str | None
    issued_at: datetime
    issued_by: str
    decided_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: CertificateRow) -> CertificateView:
        return cls(
            id=row.id,
            provenance=Provenance(row.provenance),
            status=CertificateStatus(row.status),
            reference=row.reference,
            issuing_country=row.issuing_country,
            importing_country=row.importing_country,
            partner=row.partner,
            certificate=repository.to_certificate(row),
            document=row.document,
            message_id=row.message_id,
            answer_message_id=row.answer_message_id,
            reasons=tuple(row.reasons or ()),
            verdict=row.verdict,
            accepted_for=row.accepted_for,
            issued_at=as_utc(row.issued_at),
            issued_by=row.issued_by,
            decided_at=as_utc(row.decided_at) if row.decided_at else None,
            created_at=as_utc(row.created_at),
            updated_at=as_utc(row.updated_at),
        )


class Origin:
    """The origin use cases of one national node (its issuing authority and its customs)."""

    def __init__(
        self,
        database: Database,
        country: str,
        gateway: Gateway,
        *,
        clock: Callable[[], datetime] = utcnow,
        bus: EventBus | None = None,
    ) -> None:
        self.database = database
        self.country = country
        self.gateway = gateway
        self.clock = clock
        # Others hear of this node's decisions (CertificateAccepted, CertificateRejected) in
        # the decision's transaction.
        self.bus = bus or EventBus()

    def register_handlers(self, gateway: Gateway | None = None) -> None:
        """Have the gateway hand this room the e-Form D and the answers it receives."""
        gateway = gateway or self.gateway
        # An e-Form D is issued by its issuing country's node and by no other; an answer
        # names no issuer of its own (`receive_answer` checks it came from the partner the
        # certificate was sent to).
        gateway.register_handler(SERVICE, FORM_D, self.receive_form_d, issuer=form_d_issuer)
        gateway.register_handler(
            SERVICE, ACCEPTANCE, self.receive_answer, issuer=names_no_issuer
        )
        gateway.register_handler(SERVICE, REJECTION, self.receive_answer, issuer=names_no_issuer)

    # -- the issuer --------------------------------------------------------------------------

    def issue(self, draft: CertificateOfOrigin, issuer: Principal) -> CertificateView:
        """Validate, store and send an e-Form D to the importing node, in one transaction."""
        if issuer.role not in (Role.ISSUER, Role.ADMIN):
            raise NotAnIssuer("only an issuing authority issues certificates of origin")
        now = self.clock()
        certificate = replace(
            draft,
            reference=draft.reference.strip() or f"{self.country}-{now:%Y}-{new_id()[:10].upper()}",
            issuer=draft.issuer.strip() or issuer.username,
            issued_at=now,
            status=CertificateStatus.ISSUED,
        )
        problems = validate(certificate)
        if certificate.issuing_country != self.country:
            problems.insert(
                0,
                Problem(
                    "issuing_country",
                    f"this node issues certificates of {self.country}, "
                    f"not {certificate.issuing_country}",
                ),
            )
        if problems:
            raise InvalidCertificate(problems)
        partner = customs_party(certificate.importing_country)
        document = to_payload(certificate)
        try:
            with self.database.unit_of_work() as session:
                if repository.find(
                    session, Provenance.ISSUED, self.country, certificate.reference
                ) is not None:
                    raise DuplicateCertificate(
                        f"e-Form D {certificate.reference} has already been issued"
                    )
                try:
                    message_id = self.gateway.send(
                        session, partner, SERVICE, FORM_D, _encode(document)
                    )
                except NotAllowedByPMode as refused:
                    raise InvalidCertificate(
                        [Problem("importing_country", f"cannot send to {partner}: {refused}")]
                    ) from None
                state = Certificate(certificate.reference, CertificateStatus.ISSUED)
                state.send()
                row = repository.issued_row(
                    certificate, state, document, partner, message_id, issuer.username, now
                )
                session.add(row)
                session.flush()
                return CertificateView.of(row)
        except IntegrityError:
            raise DuplicateCertificate(
                f"e-Form D {certificate.reference} has already been issued"
            ) from None

    def receive_answer(self, session: Session, message: UserMessage) -> None:
        """Handler of `FormD.Acceptance` / `FormD.Rejection` at the issuer."""
        try:
            answer = Answer.from_payload(json.loads(message.payload))
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise InvalidCertificate(f"unreadable e-Form D answer: {exc}") from None
        if answer.accepted != (message.action == ACCEPTANCE):
            raise InvalidCertificate(
                f"a {message.action} message carries the decision "
                f"{'ACCEPTED' if answer.accepted else 'REJECTED'}"
            )
        if answer.issuing_country != self.country:
            raise UnknownCertificate(
                f"e-Form D {answer.reference} is of {answer.issuing_country}, not issued here"
            )
        row = repository.find(session, Provenance.ISSUED, self.country, answer.reference, lock=True)
        if row is None:
            raise UnknownCertificate(f"no e-Form D {answer.reference} was issued here")
        if message.from_party != row.partner:
            raise CertificateConflict(
                f"{message.from_party} answered for e-Form D {row.reference}, "
                f"which was sent to {row.partner}"
            )
        state = repository.certificate_state(row)
        if state.record_answer(
            answer.accepted, tuple(answer.reasons), answer.decided_at, message.message_id
        ):
            repository.write_state(row, state, self.clock())

    # -- the importing node ------------------------------------------------------------------

    def receive_form_d(self, session: Session, message: UserMessage) -> None:
        """Handler of `FormD`: keep the certificate (once), or refuse it with the reasons.

        An unreadable or invalid payload never makes the handler fail: it is kept as
        rejected and the issuer gets a `FormD.Rejection` saying what is wrong.
        """
        data: Any = None
        try:
            data = json.loads(message.payload)
        except ValueError:
            certificate, problems = None, [Problem("", "the payload is not a JSON document")]
        else:
            certificate, problems = from_payload(data)
        if certificate is not None:
            sender = customs_party(certificate.issuing_country)
            if message.from_party != sender:
                problems.append(
                    Problem(
                        "IssuingCountry",
                        f"an e-Form D issued in {certificate.issuing_country} comes from "
                        f"{sender}, not {message.from_party}",
                    )
                )
            if certificate.importing_country != self.country:
                problems.append(
                    Problem(
                        "ImportationCountry",
                        f"the e-Form D is for import into {certificate.importing_country}, "
                        f"not {self.country}",
                    )
                )
        reference, issuing_country = _identity(certificate, data, message)
        reasons = [f"{p.path}: {p.message}" if p.path else p.message for p in problems]
        existing = repository.find(session, Provenance.RECEIVED, issuing_country, reference)
        if existing is not None:
            if existing.message_id == message.message_id or (
                not problems and existing.document == data
            ):
                log.info("e-Form D %s/%s received again; kept once", issuing_country, reference)
                return
            self._refuse(
                session,
                message,
                reference,
                issuing_country,
                reasons
                or [
                    f"a different e-Form D {reference} of {issuing_country} was already "
                    "received; a replacement needs a new reference"
                ],
            )
            return
        now = self.clock()
        document = data if isinstance(data, dict) else {"unreadable": _text(message.payload)}
        row = repository.received_row(
            certificate, reference, issuing_country, self.country, document, message, now
        )
        session.add(row)
        session.flush()
        if problems:
            state = repository.certificate_state(row)
            state.reject(tuple(reasons), now)
            state.answered_by(
                self._refuse(session, message, reference, issuing_country, reasons)
            )
            repository.write_state(row, state, now)
            self._publish(session, row, state)

    def _refuse(
        self,
        session: Session,
        message: UserMessage,
        reference: str,
        issuing_country: str,
        reasons: list[str],
    ) -> str:
        answer = Answer(reference, issuing_country, False, tuple(reasons), self.clock())
        return self.gateway.send(
            session,
            message.from_party,
            SERVICE,
            REJECTION,
            _encode(answer.to_payload()),
            conversation_id=message.conversation_id,
            ref_to=message.message_id,
        )

    def preference_check(self, declaration: Declaration, item: GoodsItem) -> tuple[bool, str]:
        """`declarations.services.PreferenceCheck`: is the ATIGA rate due for this item?

        Verifies the received e-Form D the declaration cites and records the verdict on it.
        """
        if not _cites_e_form_d(declaration):
            return False, "no ATIGA preference claimed with an e-Form D"
        on = self.clock().date()
        with self.database.unit_of_work() as session:
            row = self._received(session, declaration)
            if row is None:
                return False, _not_received(declaration)
            verdict = self._verify(row, declaration, item, on)
            self._record(row, declaration, {item.sequence: verdict})
            return verdict.granted, verdict.detail

    def verify(self, declaration: Declaration, on: date | None = None) -> dict[int, Verdict]:
        """The verdict for each goods item (by sequence), without recording anything."""
        with self.database.unit_of_work() as session:
            row = self._received(session, declaration)
            return self._verdicts(row, declaration, on or self.clock().date())

    def verify_and_answer(
        self, declaration: Declaration, on: date | None = None
    ) -> dict[int, Verdict]:
        """Verify the cited e-Form D and answer its issuer (once), in one transaction."""
        with self.database.unit_of_work() as session:
            return self.answer_declaration(session, declaration, on)

    def on_lodged(self, session: Session, lodged: DeclarationLodged) -> None:
        """Handler of `DeclarationLodged`: the e-Form D an import cites is verified and its
        issuer answered, in the lodgement's transaction."""
        self.answer_declaration(session, lodged.declaration)

    def answer_declaration(
        self, session: Session, declaration: Declaration, on: date | None = None
    ) -> dict[int, Verdict]:
        """In the caller's transaction: verify, record and answer the issuer (accepted when
        at least one goods item is covered; otherwise rejected with every reason). An
        e-Form D is answered once; later calls only verify and record."""
        if not _cites_e_form_d(declaration):
            return {}
        row = self._received(session, declaration, lock=True)
        verdicts = self._verdicts(row, declaration, on or self.clock().date())
        if row is None:
            return verdicts
        self._record(row, declaration, verdicts)
        if row.answer_message_id is None and row.status == CertificateStatus.RECEIVED.value:
            certificate = repository.to_certificate(row)
            assert certificate is not None  # an unreadable one was rejected on receipt
            relevant = {
                sequence: verdict
                for sequence, verdict in verdicts.items()
                if _concerns(certificate, _item(declaration, sequence))
            }
            accepted, reasons = overall(relevant)
            if not relevant:
                reasons = [
                    f"no goods item of declaration {declaration_key(declaration)} is covered "
                    f"by e-Form D {row.reference}"
                ]
            self._answer(session, row, accepted, reasons)
            if accepted:
                row.accepted_for = declaration_key(declaration)
        return verdicts

    def answer(
        self,
        session: Session,
        reference: str,
        accepted: bool,
        reasons: Sequence[str] = (),
        issuing_country: str | None = None,
    ) -> str:
        """Send `FormD.Acceptance` or `FormD.Rejection` for a received e-Form D, in the
        caller's transaction; returns the answer's message id. Answering again with the
        same decision returns the first answer's id; a different decision is refused."""
        if issuing_country is not None:
            row = repository.find(session, Provenance.RECEIVED, issuing_country, reference, True)
        else:
            rows = repository.find_by_reference(session, Provenance.RECEIVED, reference)
            row = rows[0] if len(rows) == 1 else None
        if row is None:
            raise UnknownCertificate(f"no e-Form D {reference} has been received here")
        return self._answer(session, row, accepted, list(reasons))

    def _answer(
        self, session: Session, row: CertificateRow, accepted: bool, reasons: list[str]
    ) -> str:
        state = repository.certificate_state(row)
        previous = state.previous_answer(accepted)
        if previous is not None:
            return previous
        now = self.clock()
        if accepted:
            state.accept(tuple(reasons), now)
        else:
            state.reject(tuple(reasons), now)
        answer = Answer(row.reference, row.issuing_country, accepted, tuple(reasons), now)
        message_id = self.gateway.send(
            session,
            row.partner,
            SERVICE,
            ACCEPTANCE if accepted else REJECTION,
            _encode(answer.to_payload()),
            conversation_id=row.conversation_id,
            ref_to=row.message_id,
        )
        state.answered_by(message_id)
        repository.write_state(row, state, now)
        self._publish(session, row, state)
        return message_id

    def _publish(self, session: Session, row: CertificateRow, state: Certificate) -> None:
        kind = (
            CertificateAccepted
            if state.status is CertificateStatus.ACCEPTED
            else CertificateRejected
        )
        self.bus.publish(session, kind(row.reference, row.issuing_country, state.reasons))

    def _received(
        self, session: Session, declaration: Declaration, lock: bool = False
    ) -> CertificateRow | None:
        reference = (declaration.proof_of_origin or "").strip()
        row = repository.find(
            session, Provenance.RECEIVED, declaration.export_country, reference, lock
        )
        if row is not None:
            return row
        # Cited with another country of export: verification will say why it does not fit.
        rows = repository.find_by_reference(session, Provenance.RECEIVED, reference)
        return rows[0] if rows else None

    def _verify(
        self, row: CertificateRow, declaration: Declaration, item: GoodsItem, on: date
    ) -> Verdict:
        certificate = repository.to_certificate(row)
        if certificate is None:
            reasons = (
                f"e-Form D {row.reference} received from {row.partner} could not be read: "
                + "; ".join(row.reasons),
            )
            return Verdict(False, reasons, reasons[0])
        return verify(certificate, declaration, item, on, row.accepted_for)

    def _verdicts(
        self, row: CertificateRow | None, declaration: Declaration, on: date
    ) -> dict[int, Verdict]:
        if row is None:
            why = _not_received(declaration)
            return {item.sequence: Verdict(False, (why,), why) for item in declaration.items}
        return {
            item.sequence: self._verify(row, declaration, item, on) for item in declaration.items
        }

    def _record(
        self, row: CertificateRow, declaration: Declaration, verdicts: dict[int, Verdict]
    ) -> None:
        key = declaration_key(declaration)
        previous = row.verdict or {}
        items = dict(previous.get("items", {})) if previous.get("declaration") == key else {}
        items.update({str(sequence): v.as_dict() for sequence, v in verdicts.items()})
        row.verdict = {
            "declaration": key,
            "checked_at": self.clock().isoformat(),
            "items": items,
        }
        row.updated_at = self.clock()

    # -- reading -----------------------------------------------------------------------------

    def get(
        self, issuing_country: str, reference: str, provenance: Provenance | None = None
    ) -> CertificateView:
        """A certificate by issuing country and reference (issued here, or received)."""
        with self.database.unit_of_work() as session:
            provenances = [provenance] if provenance else [Provenance.ISSUED, Provenance.RECEIVED]
            for side in provenances:
                row = repository.find(session, side, issuing_country, reference)
                if row is not None:
                    return CertificateView.of(row)
        raise UnknownCertificate(f"no e-Form D {reference} of {issuing_country} at this node")

    def list(
        self,
        *,
        provenance: Provenance | None = None,
        status: CertificateStatus | None = None,
        party_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[CertificateView], int]:
        """Certificates, newest first; `party_id` keeps those naming it as exporter or
        consignee."""
        with self.database.unit_of_work() as session:
            rows, total = repository.search(
                session,
                provenance=provenance.value if provenance else None,
                status=status.value if status else None,
                party_id=party_id,
                limit=limit,
                offset=offset,
            )
            return [CertificateView.of(row) for row in rows], total


def _identity(
    certificate: CertificateOfOrigin | None, data: Any, message: UserMessage
) -> tuple[str, str]:
    """(reference, issuing country) to keep a received payload under, readable or not."""
    if certificate is not None:
        return certificate.reference, certificate.issuing_country
    raw = data if isinstance(data, dict) else {}
    reference = raw.get("Reference")
    if not isinstance(reference, str) or not 1 <= len(reference.strip()) <= 35:
        reference = f"UNREADABLE-{hashlib.sha256(message.payload).hexdigest()[:16]}"
    country = raw.get("IssuingCountry")
    if not isinstance(country, str) or len(country) != 2:
        country = message.from_party.split("-", 1)[0][:2]
    return reference.strip(), country


def _text(payload: bytes) -> str:
    return payload[:4000].decode("utf-8", errors="replace")


def _cites_e_form_d(declaration: Declaration) -> bool:
    """Whether the declaration claims ATIGA on an e-Form D (and not on another proof, such
    as an exporter's origin declaration, which the documentary check looks at)."""
    claim = declaration.consignment_claim
    return (
        claim is not None
        and claim.agreement == PREFERENCE
        and claim.proof_type == E_FORM_D.code
        and bool(claim.proof_reference)
    )


def _not_received(declaration: Declaration) -> str:
    return (
        f"e-Form D {declaration.proof_of_origin} has not been received from "
        f"{_country_name(declaration.export_country)}"
    )


def _item(declaration: Declaration, sequence: int) -> GoodsItem:
    return next(item for item in declaration.items if item.sequence == sequence)


def _concerns(certificate: CertificateOfOrigin, item: GoodsItem) -> bool:
    """An item is claimed against the certificate when it is of a subheading the certificate
    lists or declared as originating in its issuing country."""
    return item.origin_country == certificate.issuing_country or any(
        line.subheading == item.commodity_code[:6] for line in certificate.items
    )
