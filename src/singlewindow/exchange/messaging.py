"""AS4 user messages and signals of this node: what partners send is read and verified by
`reader`, what this node sends is written by `wire`; both straight from and to lxml trees.

The `as4` library (Apache-2.0) is the reference they are tested against, and still writes
our (rare) ebMS error signals. Since it ships the Peppol profile only, this module also
carries a thin profile of our own (`SingleWindowProfile`: our party id type, no SBDH,
encryption optional per P-Mode) for the library's own exchanges, with the three checks we
add to what the library verifies (see docs/exchange.md):

1. the signer is bound to the eb:From party through our trust list (the library's
   `pinned_certificates` accepts any pinned certificate for any party);
2. the signature must cover *the* eb:Messaging header and *the* SOAP Body, not merely some
   element with that name elsewhere in the document (XML signature wrapping), for user
   messages and for receipts alike;
3. unencrypted (signed-only) payloads are digest-checked against the MIME part itself (the
   library only checks decrypted parts, so it refuses every signed-only message).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from as4 import (
    AS4InternalCredentials,
    AS4InternalParty,
    AS4LocalPrivateKey,
    AS4PartyIdentity,
    AS4PrivateKey,
    ReceiptVerificationError,
)
from as4.core.receipt import AS4Receipt
from as4.errors import (
    BaseAS4ReceiptableError,
    BaseValueInconsistentException,
    MalformedSoapEnvelopeException,
    UntrustedSignerException,
)
from as4.models.dsig.reference import ComparableReferenceFields
from as4.utils.mime_handler import MIMEHandler
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from singlewindow.exchange import mime, model, reader, wire
from singlewindow.exchange.pki import NodeIdentity, Partner, TrustList

log = logging.getLogger("singlewindow.exchange")

PARTY_TYPE = "urn:singlewindow:party"
USER_AGENT = "singlewindow-exchange (as4 0.2.0)"
AGREEMENT = "urn:singlewindow:agreement:regional-exchange"
MAXIMUM_PAYLOAD = 64 * 1024 * 1024
SIGNAL_CONTENT_TYPE = "application/soap+xml;charset=utf-8"


# --- ebMS errors raised by our checks (the library raises the others) --------------------


class ProcessingModeMismatch(BaseAS4ReceiptableError):
    """No P-Mode lets this partner send this service and action (ebMS 3.0 §6.7.1)."""

    error_code = "EBMS:0010"
    short_description = "ProcessingModeMismatch"
    description = "The ebMS header does not match any P-Mode of the receiving MSH."
    severity = "failure"
    category = "Processing"


class NotAddressedHere(BaseValueInconsistentException):
    detail = "eb:To names another party than this access point"


class MessageExpired(BaseValueInconsistentException):
    detail = "eb:Timestamp lies outside the replay window of the P-Mode"


class DuplicateMessage(BaseAS4ReceiptableError):
    """The message id was received before: not delivered again (duplicate elimination)."""

    error_code = "EBMS:0004"
    short_description = "Other"
    description = "DuplicateMessage: a message with this eb:MessageId was already received."
    severity = "failure"
    category = "Processing"


class EncryptionRequired(BaseAS4ReceiptableError):
    error_code = "EBMS:0103"
    short_description = "PolicyNoncompliance"
    description = "The processor determined that the message's security methods do not comply."
    severity = "failure"
    category = "Processing"
    detail = "the P-Mode of this partner requires an encrypted payload"


class IssuerNotSender(BaseAS4ReceiptableError):
    """The business document names an issuing party that is not the party which signed the
    message (nor one the trust list says it speaks for): a partner forging another's
    document. Refused before any handler runs, so nothing of it is stored."""

    error_code = "EBMS:0004"
    short_description = "Other"
    description = (
        "IssuerNotSender: the document's issuing party is not the party that signed the message."
    )
    severity = "failure"
    category = "Processing"


DUPLICATE_MARK = "DuplicateMessage"


@functools.lru_cache(maxsize=16)
def _signer(private_key: AS4PrivateKey, certificate: x509.Certificate) -> wire.Signer:
    return wire.Signer.of(private_key, certificate)


@functools.lru_cache(maxsize=64)
def _recipient(certificate: x509.Certificate) -> wire.Recipient:
    return wire.Recipient.of(certificate)


def unpack_multipart(
    content_type: str, body: bytes, screen: Callable[[bytes], None] | None = None
) -> tuple[bytes, dict[str, bytes]]:
    """The SOAP part and the payload parts of a posted message, read within the limits of
    `mime` (parts, headers, nesting, sizes), parsing stopped at the first one crossed;
    `screen` sees the envelope before the payload is read (see `mime.unpack_multipart`)."""
    return mime.unpack_multipart(content_type, body, MAXIMUM_PAYLOAD, screen)


_CLAIMED_SENDER = "/".join(
    f"{{{wire.EB3}}}{name}" for name in ("UserMessage", "PartyInfo", "From", "PartyId")
)


def refuse_unknown_sender(trust_list: TrustList, document: reader.Document) -> None:
    """Refuse a message whose eb:From names a party not on the trust list, read from the
    envelope alone: before its payload is read, its signature checked or its key decrypted.
    (A party that is on the list is checked in full by `reader.read_user_message`.)"""
    element = document.messaging.find(_CLAIMED_SENDER)
    party_id = (element.text or "").strip() if element is not None else ""
    if party_id and trust_list.get(party_id) is None:
        raise UntrustedSignerException(detail=f"{party_id} is not on the trust list")


# --- parties and trust -------------------------------------------------------------------


def internal_party(identity: NodeIdentity) -> AS4InternalParty:
    return AS4InternalParty(
        identity=AS4PartyIdentity(party_id=identity.party_id, party_type=PARTY_TYPE),
        credentials=AS4InternalCredentials(
            certificate=identity.certificate,
            private_key=AS4LocalPrivateKey(identity.private_key),
        ),
    )


def resolve_signer(
    trust_list: TrustList, party_id: str, embedded: x509.Certificate
) -> x509.Certificate:
    """The certificate the trust list holds for eb:From `party_id`, if the message's own
    certificate (`embedded`) is that one and it is valid now."""
    partner = trust_list.get(party_id)
    if partner is None:
        raise UntrustedSignerException(detail=f"{party_id} is not on the trust list")
    if embedded.fingerprint(hashes.SHA256()) != partner.sha256_fingerprint:
        raise UntrustedSignerException(
            detail=f"{embedded.subject.rfc4514_string()} is not the certificate of "
            f"{partner.party_id} on the trust list"
        )
    now = datetime.now(UTC)
    certificate = partner.certificate
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise UntrustedSignerException(detail=f"the certificate of {party_id} is not valid now")
    return certificate


def signer_resolver(trust_list: TrustList) -> reader.SignerResolver:
    return functools.partial(resolve_signer, trust_list)


# --- sending -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboundMessage:
    """A written user message: what to POST, and what its receipt must prove."""

    message_id: str
    headers: dict[str, str]
    body: bytes
    envelope: bytes  # the signed SOAP envelope exactly as posted (the evidence)
    timestamp: datetime  # its eb:Timestamp
    expected_signer: x509.Certificate  # the receiver's certificate, from the trust list
    references: list[ComparableReferenceFields]  # what the receipt must acknowledge


def node_signer(identity: NodeIdentity) -> wire.Signer:
    return _signer(AS4LocalPrivateKey(identity.private_key), identity.certificate)


def build_user_message(
    identity: NodeIdentity,
    partner: Partner,
    *,
    message_id: str,
    conversation_id: str,
    service: str,
    action: str,
    payload: bytes,
    ref_to_message_id: str | None = None,
    service_type: str | None = None,
    encrypt: bool = True,
    signer: wire.Signer | None = None,
) -> OutboundMessage:
    """Write, sign (and encrypt) a user message for `partner`; `signer` may be made once."""
    written = wire.write_user_message(
        signer or node_signer(identity),
        _recipient(partner.certificate),
        wire.Collaboration(
            message_id=message_id,
            conversation_id=conversation_id,
            from_party=identity.party_id,
            to_party=partner.party_id,
            party_type=PARTY_TYPE,
            agreement=AGREEMENT,
            service=service,
            service_type=service_type,
            action=action,
            ref_to_message_id=ref_to_message_id,
        ),
        payload,
        encrypt=encrypt,
    )
    body, boundary = MIMEHandler.build_request_data(
        written.envelope, attachments=[(written.attachment_id, written.attachment)]
    )
    return OutboundMessage(
        message_id=message_id,
        headers=MIMEHandler.build_request_headers(
            boundary, message_id=f"<{message_id}>", user_agent=USER_AGENT
        ),
        body=body,
        envelope=written.envelope,
        timestamp=written.timestamp,
        expected_signer=partner.certificate,
        references=list(written.references),
    )


@dataclass(frozen=True)
class SignalVerdict:
    """What a partner's synchronous answer proves."""

    delivered: bool
    retry: bool
    error_code: str | None = None
    detail: str = ""
    receipt_id: str | None = None
    duplicate: bool = False


def judge_signal(outbound: OutboundMessage, response_body: bytes) -> SignalVerdict:
    """Verify the answer to `outbound`: a receipt proving delivery, an ebMS error, or nothing.

    As the library's `AS4SendingExchange.receive_signal` does: the signal must be signed by
    the partner we sent to, refer to our message, and a receipt must acknowledge exactly the
    references we signed.
    """
    try:
        signal = reader.read_signal(response_body, outbound.expected_signer)
        if signal.ref_to_message_id != outbound.message_id:
            raise ReceiptVerificationError(
                f"the signal refers to {signal.ref_to_message_id!r}, "
                f"not to {outbound.message_id!r}"
            )
        if signal.error is None:
            _acknowledges_exactly(signal.acknowledged, outbound.references)
    except ReceiptVerificationError as exc:
        return SignalVerdict(delivered=False, retry=True, detail=f"no valid receipt: {exc}")
    error = signal.error
    if error is None:
        return SignalVerdict(delivered=True, retry=False, receipt_id=signal.signal_id)
    if (
        error.error_code == DuplicateMessage.error_code
        and error.description.startswith(DUPLICATE_MARK)
    ):
        # The receiver has had this message id from us before: an earlier attempt was
        # delivered and its receipt lost on the way back. Delivered, and not again.
        return SignalVerdict(
            delivered=True, retry=False, error_code=error.error_code, detail=error.detail,
            receipt_id=signal.signal_id, duplicate=True,
        )
    return SignalVerdict(
        delivered=False, retry=False, error_code=error.error_code, detail=error.detail,
        receipt_id=signal.signal_id,
    )


def _acknowledges_exactly(
    acknowledged: tuple[reader.ReferenceKey, ...], sent: list[ComparableReferenceFields]
) -> None:
    signed = {reader.reference_key(reference) for reference in sent}
    for key in acknowledged:
        if key not in signed:
            raise ReceiptVerificationError(f"Receipt acknowledges {key[0]!r}, which was not sent")
    for key in signed - set(acknowledged):
        raise ReceiptVerificationError(f"Receipt does not acknowledge {key[0]!r}")


# --- receiving ---------------------------------------------------------------------------


@dataclass
class InboundMessage:
    """A posted user message, read and verified (or refused), and the signal that answers it."""

    envelope: bytes  # the SOAP part exactly as received (the evidence)
    message_id: str  # "" when the message was unreadable
    messaging_id: str
    read: reader.ReadMessage | None
    error: BaseAS4ReceiptableError | None
    local_party: AS4InternalParty
    signer: wire.Signer
    _signal: tuple[dict[str, str], bytes] | None = None
    _signal_id: str | None = None

    @property
    def message(self) -> model.UserMessage:
        assert self.read is not None, "an unreadable message has no contents"
        return self.read.message

    @property
    def encrypted(self) -> bool:
        return self.read is not None and self.read.encrypted

    def refuse(self, error: BaseAS4ReceiptableError) -> None:
        """Answer with `error` instead of a receipt."""
        self.error = error
        self._signal = self._signal_id = None

    def signal(self) -> tuple[dict[str, str], bytes]:
        """The receipt (written by `wire`) or the error signal (the library's), made once."""
        if self._signal is None:
            if self.error is None:
                assert self.read is not None
                written = wire.write_receipt(
                    self.signer,
                    party_id=self.local_party.identity.party_id,
                    ref_to_message_id=self.message_id,
                    acknowledged=self.read.references,
                )
                self._signal = {"Content-Type": SIGNAL_CONTENT_TYPE}, written.envelope
                self._signal_id = written.signal_id
            else:
                self._signal = AS4Receipt.create_error_signal_from_exception(
                    exception=self.error,
                    local_party=self.local_party,
                    referenced_message_id=self.message_id,
                    referenced_messaging_id=self.messaging_id,
                ).get_request_data()
        return self._signal

    @property
    def signal_id(self) -> str:
        """The message id of our receipt."""
        self.signal()
        assert self._signal_id is not None, "an error signal is not kept"
        return self._signal_id


def open_user_message(
    identity: NodeIdentity,
    trust_list: TrustList,
    body: bytes,
    headers: Mapping[str, str],
    *,
    local_party: AS4InternalParty | None = None,
    signer: wire.Signer | None = None,
) -> InboundMessage:
    """Unpack, verify and decrypt a posted message; never raises for what the sender did."""
    local_party = local_party or internal_party(identity)
    soap = b""
    message_id = messaging_id = ""
    read: reader.ReadMessage | None = None
    error: BaseAS4ReceiptableError | None = None
    screened: reader.Document | None = None

    def screen(envelope: bytes) -> None:
        nonlocal screened, message_id, messaging_id
        screened = reader.parse_envelope(envelope)
        message_id, messaging_id = screened.message_id, screened.messaging_id
        refuse_unknown_sender(trust_list, screened)

    try:
        content_type = next(
            (value for name, value in headers.items() if name.lower() == "content-type"), ""
        )
        soap, attachments = unpack_multipart(content_type, body, screen)
        document = screened or reader.parse_envelope(soap)
        message_id, messaging_id = document.message_id, document.messaging_id
        read = reader.read_user_message(
            document,
            attachments,
            resolve_signer=signer_resolver(trust_list),
            private_key=local_party.credentials.private_key,
            maximum_size=MAXIMUM_PAYLOAD,
        )
    except BaseAS4ReceiptableError as exc:
        error = exc
    except Exception:  # anything the reader did not anticipate is a malformed message
        log.exception("unreadable message %r", message_id)
        error = MalformedSoapEnvelopeException(detail="unreadable")
    return InboundMessage(
        envelope=soap,
        message_id=message_id,
        messaging_id=messaging_id,
        read=read,
        error=error,
        local_party=local_party,
        signer=signer or node_signer(identity),
    )
