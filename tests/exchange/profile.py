"""Our profile for the `as4` library's own exchanges, used by tests only.

The product reads and writes AS4 with `singlewindow.exchange.reader` and `wire`; the `as4`
library (Apache-2.0) is the reference they are tested against. Since it ships the Peppol
profile only, this module carries a thin profile of ours (`SingleWindowProfile`: our party id
type, no SBDH, encryption optional per P-Mode) for the library's exchanges, with the three
checks we add to what the library verifies (see docs/exchange.md):

1. the signer is bound to the eb:From party through our trust list (the library's
   `pinned_certificates` accepts any pinned certificate for any party);
2. the signature must cover *the* eb:Messaging header and *the* SOAP Body, not merely some
   element with that name elsewhere in the document (XML signature wrapping), for user
   messages and for receipts alike;
3. unencrypted (signed-only) payloads are digest-checked against the MIME part itself (the
   library only checks decrypted parts, so it refuses every signed-only message).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

from as4 import (
    AS4BaseCredentials,
    AS4ExternalParty,
    AS4InternalParty,
    AS4PartyIdentity,
    AS4References,
    ReceiptVerificationError,
    SecurityPolicy,
    UntrustedSignerError,
)
from as4.core.context import AS4ParseContext
from as4.core.message import AS4Message
from as4.core.profiles import AS4Profile
from as4.core.receipt import AS4Receipt
from as4.errors import SignatureCoverageException, UntrustedSignerException
from as4.models.dsig.reference import ComparableReferenceFields
from as4.models.dsig.reference import Reference as DsigReference
from as4.models.ebms.user_message import PartyFrom
from as4.models.soap.envelope import Envelope
from as4.models.wsse.security import Security
from as4.profiles.peppol.message import PeppolAS4Message
from cryptography import x509
from lxml import etree

from singlewindow.exchange import receiving, wire
from singlewindow.exchange.pki import Partner, TrustList

PROFILE_NAME = "singlewindow"
MESSAGING_TAG = f"{{{wire.EB3}}}Messaging"
WSU_ID = f"{{{wire.WSU}}}Id"


def _signed_uris(envelope: Envelope) -> set[str]:
    signature = envelope.header.security.signature
    if signature is None:
        return set()
    return {reference.uri or "" for reference in signature.signed_info.references}


def check_signature_binding(envelope: Envelope) -> str | None:
    """What is wrong when the signature does not cover *this* Messaging header and Body."""
    element = envelope.etree_element
    if element is not None and len(list(element.iter(MESSAGING_TAG))) != 1:
        return "the document carries more than one eb:Messaging element"
    signed = _signed_uris(envelope)
    messaging_id = envelope.header.messaging.messaging_id
    if not messaging_id or f"#{messaging_id}" not in signed:
        return "the signature does not cover the eb:Messaging header of the message"
    body_id = envelope.body.body_id
    if not body_id or f"#{body_id}" not in signed:
        return "the signature does not cover the SOAP Body of the message"
    return None


class SingleWindowMessage(PeppolAS4Message):
    """An ebMS 3.0 user message of our network: Peppol's security steps, our header values."""

    @classmethod
    def get_decrypted_data(
        cls,
        parse_context: AS4ParseContext,
        security: Security,
        mime_attachments: dict[str, bytes],
    ) -> dict[str, bytes]:
        if security.encrypted_key is None and not parse_context.security_policy.encrypt_required:
            # Signed only: the payload digests are checked on the MIME parts themselves.
            return dict(mime_attachments)
        return super().get_decrypted_data(parse_context, security, mime_attachments)

    @classmethod
    def process(
        cls,
        fields: dict[str, Any],
        parse_context: AS4ParseContext,
        soap_envelope_element: etree._Element,
        mime_attachments: dict[str, bytes],
    ) -> dict[str, Any]:
        # The generic ebMS checks of the library, without Peppol's SBDH rules.
        fields = AS4Message.process.__func__(
            cls, fields, parse_context, soap_envelope_element, mime_attachments
        )
        problem = check_signature_binding(fields["soap_envelope"])
        if problem is not None:
            raise SignatureCoverageException([problem])
        return fields


class SingleWindowReceipt(AS4Receipt):
    """A receipt or error signal. Our receipts are written by `wire` (kept as `written`);
    error signals, rare, by the library; partners' receipts are parsed by the library, with
    our coverage check."""

    written: bytes | None = None
    signal_id: str | None = None

    @classmethod
    def parse(cls, receipt_data: bytes, expected_signer: x509.Certificate) -> Self:
        receipt = super().parse(receipt_data, expected_signer)
        if receipt.soap_envelope is not None:
            problem = check_signature_binding(receipt.soap_envelope)
            if problem is not None:
                raise ReceiptVerificationError(f"Receipt refused: {problem}")
        return receipt

    @classmethod
    def create_non_repudiation_receipt(
        cls,
        referenced_message_id: str,
        referenced_messaging_id: str,
        non_repudiated_references: list[DsigReference],
        local_party: AS4InternalParty,
        references: AS4References | None = None,
    ) -> Self:
        credentials = local_party.credentials
        written = wire.write_receipt(
            wire.signer_for(credentials.private_key, credentials.certificate),
            party_id=local_party.identity.party_id,
            ref_to_message_id=referenced_message_id,
            acknowledged=[
                ComparableReferenceFields.from_reference(reference)
                for reference in non_repudiated_references
            ],
        )
        return cls(
            written=written.envelope,
            signal_id=written.signal_id,
            original_message_id=referenced_message_id,
        )

    def get_request_data(self) -> tuple[dict[str, str], bytes]:
        if self.written is None:
            return super().get_request_data()
        return {"Content-Type": receiving.SIGNAL_CONTENT_TYPE}, self.written




@dataclass(frozen=True)
class BuilderArgs:
    """What the library's `AS4SendingExchange.build` passes to our profile."""

    collaboration: wire.Collaboration
    encrypt: bool = True


class SingleWindowProfile(AS4Profile[SingleWindowMessage, SingleWindowReceipt, BuilderArgs]):
    @classmethod
    def get_profile_name(cls) -> str:
        return PROFILE_NAME

    @classmethod
    def message_class(cls) -> type[SingleWindowMessage]:
        return SingleWindowMessage

    @classmethod
    def receipt_class(cls) -> type[SingleWindowReceipt]:
        return SingleWindowReceipt

    @classmethod
    def unpack_message(cls, payload: bytes) -> tuple[bytes, dict[str, bytes]]:
        """`unpack_multipart` of a payload given as MIME headers, a blank line and the body."""
        head, _, body = payload.partition(b"\r\n\r\n")
        content_type = next(
            (
                line.split(b":", 1)[1].decode("latin-1")
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-type:")
            ),
            "",
        )
        return receiving.unpack_multipart(content_type, body)

    @classmethod
    def parse_receipt(
        cls, payload: bytes, expected_signer: x509.Certificate
    ) -> SingleWindowReceipt:
        return SingleWindowReceipt.parse(payload, expected_signer)

    @classmethod
    def build_message(
        cls,
        payload: bytes,
        *,
        local_party: AS4InternalParty,
        remote_party: AS4ExternalParty,
        builder_args: BuilderArgs,
        references: AS4References | None = None,
    ) -> SingleWindowMessage:
        """For the library's `AS4SendingExchange.build`: written by `wire`, read back as the
        library's model (the gateway itself uses `build_user_message`)."""
        credentials = local_party.credentials
        written = wire.write_user_message(
            wire.signer_for(credentials.private_key, credentials.certificate),
            wire.recipient_for(remote_party.credentials.certificate),
            builder_args.collaboration,
            payload,
            encrypt=builder_args.encrypt,
        )
        envelope = etree.fromstring(written.envelope)
        return SingleWindowMessage(
            soap_envelope=Envelope.model_validate_etree(envelope),
            message_id=builder_args.collaboration.message_id,
            messaging_id=envelope.find(".//{*}Messaging").get(WSU_ID),
            mime_attachments={written.attachment_id: written.attachment},
            decrypted_data={written.attachment_id: payload},
            profile_name=PROFILE_NAME,
        )




def external_party(partner: Partner) -> AS4ExternalParty:
    return AS4ExternalParty(
        identity=AS4PartyIdentity(party_id=partner.party_id, party_type=wire.PARTY_TYPE),
        credentials=AS4BaseCredentials(certificate=partner.certificate),
    )




def trust_list_resolver(
    trust_list: TrustList,
) -> Callable[[PartyFrom, x509.Certificate | None], x509.Certificate]:
    """`resolve_signer` as the library's signer resolver (for its own exchanges)."""

    def resolve(party_from: PartyFrom, embedded: x509.Certificate | None) -> x509.Certificate:
        if embedded is None:
            raise UntrustedSignerError("no certificate accompanied the signature")
        try:
            return receiving.resolve_signer(trust_list, party_from.party_id.value, embedded)
        except UntrustedSignerException as exc:
            raise UntrustedSignerError(exc.detail) from exc

    return resolve


def security_policy(trust_list: TrustList) -> SecurityPolicy:
    # Encryption is required per partner by the P-Mode (checked after parsing), not globally.
    return SecurityPolicy(
        signer_resolver=trust_list_resolver(trust_list),
        encrypt_required=False,
        maximum_decompressed_size=receiving.MAXIMUM_PAYLOAD,
    )
