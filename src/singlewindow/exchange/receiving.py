"""A user message a partner posts: unpacked within the MIME limits, its sender screened
against the trust list on the envelope alone, read and verified (and decrypted) by `reader`,
and answered with the signal it earns: our receipt (written by `wire`) or an ebMS error
signal (the `as4` library's, rare).
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
)
from as4.core.receipt import AS4Receipt
from as4.errors import (
    BaseAS4ReceiptableError,
    MalformedSoapEnvelopeException,
    UntrustedSignerException,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from singlewindow.exchange import mime, model, reader, wire
from singlewindow.exchange.pki import NodeIdentity, TrustList

log = logging.getLogger("singlewindow.exchange")

MAXIMUM_PAYLOAD = 64 * 1024 * 1024
SIGNAL_CONTENT_TYPE = "application/soap+xml;charset=utf-8"


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
        identity=AS4PartyIdentity(party_id=identity.party_id, party_type=wire.PARTY_TYPE),
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
        signer=signer or wire.node_signer(identity),
    )
