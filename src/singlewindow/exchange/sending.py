"""A user message this node sends: written and signed (and encrypted) by `wire`, packed as
MIME for the POST, and the partner's synchronous answer judged (a receipt that proves
delivery, an ebMS error, or nothing worth believing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from as4 import ReceiptVerificationError
from as4.models.dsig.reference import ComparableReferenceFields
from as4.utils.mime_handler import MIMEHandler
from cryptography import x509

from singlewindow.exchange import reader, wire
from singlewindow.exchange.pki import NodeIdentity, Partner
from singlewindow.exchange.refusals import DUPLICATE_MARK, DuplicateMessage

USER_AGENT = "singlewindow-exchange (as4 0.2.0)"


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
        signer or wire.node_signer(identity),
        wire.recipient_for(partner.certificate),
        wire.Collaboration(
            message_id=message_id,
            conversation_id=conversation_id,
            from_party=identity.party_id,
            to_party=partner.party_id,
            party_type=wire.PARTY_TYPE,
            agreement=wire.AGREEMENT,
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


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt of an outbound message, as the delivery worker saw it end."""

    message_id: str
    attempts: int  # the message's attempt count, as set by the claim this attempt ran under
    outbound: OutboundMessage | None
    verdict: SignalVerdict
    signal: bytes | None


def _acknowledges_exactly(
    acknowledged: tuple[reader.ReferenceKey, ...], sent: list[ComparableReferenceFields]
) -> None:
    signed = {reader.reference_key(reference) for reference in sent}
    for key in acknowledged:
        if key not in signed:
            raise ReceiptVerificationError(f"Receipt acknowledges {key[0]!r}, which was not sent")
    for key in signed - set(acknowledged):
        raise ReceiptVerificationError(f"Receipt does not acknowledge {key[0]!r}")
