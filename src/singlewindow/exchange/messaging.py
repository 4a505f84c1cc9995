"""AS4 user messages and signals, built and checked with the `as4` library.

The library (Apache-2.0) does all the XML security: RSA-SHA256 signatures over exclusive
c14n, SHA-256 digests of eb:Messaging, the SOAP Body and each payload, AES-128-GCM payload
encryption under an RSA-OAEP key, signed non-repudiation receipts and ebMS error signals.
It ships the Peppol profile only, so this module is a thin profile of our own
(`SingleWindowProfile`): our party id type, our service/action/conversation/ref-to values, no
SBDH, encryption optional per P-Mode. It reuses the Peppol classes' signing and encryption
steps and closes three gaps we found in the library (see docs/exchange.md):

1. the signer is bound to the eb:From party through our trust list (the library's
   `pinned_certificates` accepts any pinned certificate for any party);
2. the signature must cover *the* eb:Messaging header and *the* SOAP Body, not merely some
   element with that name elsewhere in the document (XML signature wrapping), for user
   messages and for receipts alike;
3. unencrypted (signed-only) payloads are digest-checked against the MIME part itself (the
   library only checks decrypted parts, so it refuses every signed-only message).
"""

from __future__ import annotations

import base64
import functools
import gzip
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import compat32
from typing import Annotated, Any, Self, Union, get_args, get_origin

from as4 import (
    AS4BaseCredentials,
    AS4ExternalParty,
    AS4InternalCredentials,
    AS4InternalParty,
    AS4LocalPrivateKey,
    AS4PartyIdentity,
    AS4ReceivingExchange,
    AS4References,
    AS4SendingExchange,
    ExchangeState,
    ReceiptVerificationError,
    SecurityPolicy,
    UntrustedSignerError,
)
from as4.core.context import AS4ParseContext
from as4.core.message import AS4Message
from as4.core.profiles import AS4Profile
from as4.core.receipt import AS4Receipt
from as4.errors import (
    BaseAS4ReceiptableError,
    BaseValueInconsistentException,
    MalformedSoapEnvelopeException,
    PayloadPartNotFoundException,
    SignatureCoverageException,
    SoapPartNotFoundException,
)
from as4.models.common import NAMESPACES, BaseElement
from as4.models.ebms.message_info import MessageId, MessageInfo, RefToMessageId, Timestamp
from as4.models.ebms.user_message import (
    Action,
    AgreementRef,
    CollaborationInfo,
    ConversationId,
    PartInfo,
    PartProperties,
    PartyFrom,
    PartyInfo,
    PayloadInfo,
    Property,
    Service,
    UserMessage,
)
from as4.models.soap.envelope import Body, Envelope
from as4.models.soap.header import Header
from as4.models.wsse.security import Security
from as4.profiles.peppol.message import PeppolAS4Message
from as4.utils.cipher_handler import CipherHandler
from as4.utils.mime_handler import MIMEHandler
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree
from pydantic import BaseModel, ConfigDict, EncodedBytes
from pydantic.types import Base64Encoder

from singlewindow.exchange import model
from singlewindow.exchange.pki import NodeIdentity, Partner, TrustList

PARTY_TYPE = "urn:singlewindow:party"
USER_AGENT = "singlewindow-exchange (as4 0.2.0)"
AGREEMENT = "urn:singlewindow:agreement:regional-exchange"
PROFILE_NAME = "singlewindow"
MESSAGING_TAG = "{http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/}Messaging"
MAXIMUM_PAYLOAD = 64 * 1024 * 1024


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


DUPLICATE_MARK = "DuplicateMessage"
_MIME_PARSER = BytesParser(policy=compat32)


# --- a faster XML serialiser for the library's models ------------------------------------
#
# `as4.models.common.BaseElement.dump_to_xml` works out, for every field of every element
# and on every call, how to serialise it from the field's type annotation (typing
# introspection, pydantic `model_fields` look-ups): half of the CPU time of building,
# receipting and logging a message. The plan only depends on the model class, so we compute
# it once per class and replay it. The output is the same element tree, node for node (see
# tests/exchange/test_serialiser.py); signing and digests are untouched.

_Serialiser = Callable[[etree._Element, str, Any], Any]


def _element_serialiser(parent: etree._Element, alias: str, content: Any) -> Any:
    return _dump_to_xml(content, alias, parent)


def _text_serialiser(_parent: etree._Element, _alias: str, content: Any) -> Any:
    return str(content)


def _datetime_serialiser(_parent: etree._Element, _alias: str, content: Any) -> Any:
    return content.isoformat(timespec="milliseconds")


def _bool_serialiser(_parent: etree._Element, _alias: str, content: Any) -> Any:
    return content and "true" or "false"


def _base64_serialiser(_parent: etree._Element, _alias: str, content: Any) -> Any:
    return base64.b64encode(content)


def _list_serialiser(inner: _Serialiser) -> _Serialiser:
    def serialise(parent: etree._Element, alias: str, values: Any) -> Any:
        if values:
            for value in values:
                inner(parent, alias, value)
        return None

    return serialise


def _is_element_type(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseElement)


def _serialiser_for(annotation: Any) -> _Serialiser:
    """The library's `determine_serialiser_method`, decided once per annotation."""
    if annotation is str:
        return _text_serialiser
    if annotation is datetime:
        return _datetime_serialiser
    if annotation is bool:
        return _bool_serialiser
    if _is_element_type(annotation):
        return _element_serialiser
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return _serialiser_for(get_args(annotation)[0])  # the library takes the first member
    if origin is Annotated:
        inner, *extras = get_args(annotation)
        if inner is bytes and any(
            isinstance(extra, EncodedBytes) or getattr(extra, "encoder", None) is Base64Encoder
            for extra in extras
        ):
            return _base64_serialiser
        if _is_element_type(inner):
            return _element_serialiser
    if origin is list:
        (inner,) = get_args(annotation)
        return _list_serialiser(_serialiser_for(inner))
    return _text_serialiser


@dataclass(frozen=True)
class _Plan:
    fields: tuple[tuple[str, str, _Serialiser], ...]  # (field name, alias, serialiser)
    wildcard: Any  # the class's WildcardSpecification, or None
    own_tags: frozenset[str]


@functools.cache
def _plan(cls: type[BaseElement]) -> _Plan:
    fields = []
    for name, info in cls.model_fields.items():
        alias = info.alias
        if alias is None or alias == "*etree_element" or info.annotation is None:
            continue
        fields.append((name, alias, _serialiser_for(info.annotation)))
    return _Plan(
        fields=tuple(fields),
        wildcard=cls.wildcard_specification(),
        own_tags=frozenset(
            info.alias for info in cls.model_fields.values() if info.alias
        ),
    )


def _dump_to_xml(
    self: BaseElement,
    clark_name: str,
    parent_element: etree._Element | None = None,
    namespaces: dict[str, str] | None = None,
) -> etree._Element:
    """Drop-in for `BaseElement.dump_to_xml` with the per-class plan cached."""
    if parent_element is None:
        namespace, _, local = clark_name[1:].partition("}")
        current = (
            etree.Element(etree.QName(namespace, local))
            if clark_name.startswith("{")
            else etree.Element(etree.QName(clark_name))
        )
    else:
        current = etree.SubElement(parent_element, clark_name, nsmap=namespaces or {})
    plan = _plan(type(self))
    values = self.__dict__
    for name, alias, serialiser in plan.fields:
        content = values.get(name)
        if content is None:
            continue
        serialised = serialiser(current, alias, content)
        if alias[0] == "@":
            if serialised:
                current.attrib[alias[1:]] = serialised
        elif alias == "#text":
            current.text = serialised
    if plan.wildcard is not None and self.etree_element is not None:
        for child in plan.wildcard.get_content_from_element(self.etree_element, plan.own_tags):
            current.append(child.__copy__())  # what deepcopy() does for an lxml element
    return current


_library_dump_to_xml = BaseElement.dump_to_xml
BaseElement.dump_to_xml = _dump_to_xml  # type: ignore[method-assign,assignment]


# --- the profile -------------------------------------------------------------------------


class SingleWindowBuilderArgs(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    namespace_map: dict[str, str] = NAMESPACES
    service: str
    action: str
    service_type: str | None = None
    ref_to_message_id: str | None = None
    encrypt: bool = True
    mime_type: str = "application/xml"


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
    def get_user_message(  # type: ignore[override]
        cls,
        local_party: AS4InternalParty,
        remote_party: AS4ExternalParty,
        builder_args: SingleWindowBuilderArgs,
        references: AS4References,
    ) -> UserMessage:
        return UserMessage(
            message_info=MessageInfo(
                timestamp=Timestamp(value=datetime.now(UTC)),
                message_id=MessageId(value=references.message_id),
                ref_to_message_id=(
                    RefToMessageId(value=builder_args.ref_to_message_id)
                    if builder_args.ref_to_message_id
                    else None
                ),
            ),
            party_info=PartyInfo(
                party_from=local_party.identity.to_party_from(),
                party_to=remote_party.identity.to_party_to(),
            ),
            collaboration_info=CollaborationInfo(
                agreement_ref=AgreementRef(value=AGREEMENT),
                service=Service(value=builder_args.service, type_value=builder_args.service_type),
                action=Action(value=builder_args.action),
                conversation_id=ConversationId(value=references.conversation_id),
            ),
            payload_info=PayloadInfo(
                part_info=[
                    PartInfo(
                        part_properties=PartProperties(
                            properties=[
                                Property(name="MimeType", value=builder_args.mime_type),
                                Property(name="CompressionType", value="application/gzip"),
                            ]
                        ),
                        href=f"cid:{attachment_id}",
                    )
                    for attachment_id in references.attachment_id_encrypted_data_id_map
                ]
            ),
        )

    @classmethod
    def get_signed_only_envelope(
        cls,
        local_party: AS4InternalParty,
        remote_party: AS4ExternalParty,
        builder_args: SingleWindowBuilderArgs,
        references: AS4References,
        compressed_payloads: dict[str, bytes],
    ) -> Envelope:
        user_message = cls.get_user_message(local_party, remote_party, builder_args, references)
        messaging = cls.get_messaging(references=references, user_message=user_message)
        body = Body(body_id=references.body_id)
        signed_info = cls.get_signed_info(references, messaging, body, compressed_payloads)
        signature = cls.get_signature(local_party, builder_args, references, signed_info)  # type: ignore[arg-type]
        return Envelope(
            header=Header(
                security=Security(
                    binary_security_tokens=[
                        cls.get_local_binary_security_token(local_party, references)
                    ],
                    signature=signature,
                ),
                messaging=messaging,
            ),
            body=body,
        )

    @classmethod
    def build_message(  # type: ignore[override]
        cls,
        payload: bytes,
        *,
        local_party: AS4InternalParty,
        remote_party: AS4ExternalParty,
        builder_args: SingleWindowBuilderArgs,
        references: AS4References,
    ) -> Self:
        compressed = gzip.compress(payload, compresslevel=6, mtime=0)
        attachment_id, _ = references.encrypted_data_attachment_mapping()
        if builder_args.encrypt:
            session_key, attachment = CipherHandler.encrypt_payload(compressed)
            encrypted_session_key = remote_party.credentials.rsa_public_key.encrypt(
                session_key,
                padding.OAEP(
                    mgf=padding.MGF1(algorithm=hashes.SHA256()),
                    algorithm=hashes.SHA256(),
                    label=b"",
                ),
            )
            envelope = cls.get_soap_envelope(
                local_party,
                remote_party,
                builder_args,  # type: ignore[arg-type]
                references,
                encrypted_session_key,
                compressed_payloads={attachment_id: compressed},
            )
        else:
            attachment = compressed
            envelope = cls.get_signed_only_envelope(
                local_party, remote_party, builder_args, references, {attachment_id: compressed}
            )
        return cls(
            soap_envelope=envelope,
            message_id=references.message_id,
            messaging_id=references.messaging_id,
            mime_attachments={attachment_id: attachment},
            decrypted_data={attachment_id: payload},
            profile_name=PROFILE_NAME,
        )

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
        fields = AS4Message.process.__func__(  # type: ignore[attr-defined]
            cls, fields, parse_context, soap_envelope_element, mime_attachments
        )
        problem = check_signature_binding(fields["soap_envelope"])
        if problem is not None:
            raise SignatureCoverageException([problem])
        return fields

    # --- reading -------------------------------------------------------------------------

    @property
    def envelope_as_received(self) -> bytes:
        """The signed SOAP envelope as it came (re-serialised from the parsed tree, unindented:
        pretty-printing would add whitespace inside the signed elements)."""
        envelope = self.require_soap_envelope()
        if envelope.etree_element is not None:
            return etree.tostring(envelope.etree_element)
        return self.soap_envelope_xml

    @property
    def encrypted(self) -> bool:
        return (
            self.soap_envelope is not None
            and self.soap_envelope.header.security.encrypted_key is not None
        )

    def to_user_message(self) -> model.UserMessage:
        user_message = self.require_soap_envelope().header.messaging.user_message
        assert user_message is not None
        info = user_message.message_info
        collaboration = user_message.collaboration_info
        timestamp = info.timestamp.value
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=UTC)
        return model.UserMessage(
            message_id=info.message_id.value,
            timestamp=timestamp,
            from_party=user_message.party_info.party_from.party_id.value,
            to_party=user_message.party_info.party_to.party_id.value,
            service=collaboration.service.value,
            service_type=collaboration.service.type_value,
            action=collaboration.action.value,
            conversation_id=collaboration.conversation_id.value,
            ref_to_message_id=info.ref_to_message_id.value if info.ref_to_message_id else None,
            payload=next(iter(self.decrypted_data.values()), b""),
        )


class SingleWindowReceipt(AS4Receipt):
    @classmethod
    def parse(cls, receipt_data: bytes, expected_signer: x509.Certificate) -> Self:
        receipt = super().parse(receipt_data, expected_signer)
        if receipt.soap_envelope is not None:
            problem = check_signature_binding(receipt.soap_envelope)
            if problem is not None:
                raise ReceiptVerificationError(f"Receipt refused: {problem}")
        return receipt


class SingleWindowProfile(
    AS4Profile[SingleWindowMessage, SingleWindowReceipt, SingleWindowBuilderArgs]
):
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
        """The SOAP part and the payload parts of a multipart/related AS4 message.

        The same rules as the library's Peppol profile, parsed with the stdlib's compat32
        policy: the `default` policy's header registry costs more than the cryptography.
        """
        parsed = _MIME_PARSER.parsebytes(payload)
        if parsed.get_content_type() != "multipart/related" or not parsed.is_multipart():
            raise SoapPartNotFoundException()
        soap: bytes | None = None
        attachments: dict[str, bytes] = {}
        for part in parsed.get_payload():
            content_type = part.get_content_type()
            if content_type == "application/soap+xml" and soap is None:
                data = part.get_payload(decode=True)
                soap = data if isinstance(data, bytes) else None
            elif content_type == "application/octet-stream":
                content_id = str(part.get("content-id", "")).strip().strip("<>")
                data = part.get_payload(decode=True)
                if not content_id or not isinstance(data, bytes):
                    raise PayloadPartNotFoundException(detail="a payload part has no Content-ID")
                attachments[content_id] = data
        if soap is None:
            raise SoapPartNotFoundException()
        if not attachments:
            raise PayloadPartNotFoundException()
        return soap, attachments

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
        builder_args: SingleWindowBuilderArgs,
        references: AS4References | None = None,
    ) -> SingleWindowMessage:
        return SingleWindowMessage.build_message(
            payload,
            local_party=local_party,
            remote_party=remote_party,
            builder_args=builder_args,
            references=references or AS4References(),
        )


# --- parties and trust -------------------------------------------------------------------


def internal_party(identity: NodeIdentity) -> AS4InternalParty:
    return AS4InternalParty(
        identity=AS4PartyIdentity(party_id=identity.party_id, party_type=PARTY_TYPE),
        credentials=AS4InternalCredentials(
            certificate=identity.certificate,
            private_key=AS4LocalPrivateKey(identity.private_key),
        ),
    )


def external_party(partner: Partner) -> AS4ExternalParty:
    return AS4ExternalParty(
        identity=AS4PartyIdentity(party_id=partner.party_id, party_type=PARTY_TYPE),
        credentials=AS4BaseCredentials(certificate=partner.certificate),
    )


def trust_list_resolver(trust_list: TrustList):  # type: ignore[no-untyped-def]
    """A signer resolver binding eb:From to the certificate the trust list holds for it."""

    def resolve(party_from: PartyFrom, embedded: x509.Certificate | None) -> x509.Certificate:
        partner = trust_list.get(party_from.party_id.value)
        if partner is None:
            raise UntrustedSignerError(f"{party_from.party_id.value} is not on the trust list")
        if embedded is None:
            raise UntrustedSignerError("no certificate accompanied the signature")
        if embedded.fingerprint(hashes.SHA256()) != partner.sha256_fingerprint:
            raise UntrustedSignerError(
                f"{embedded.subject.rfc4514_string()} is not the certificate of "
                f"{partner.party_id} on the trust list"
            )
        now = datetime.now(UTC)
        certificate = partner.certificate
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise UntrustedSignerError(f"the certificate of {partner.party_id} is not valid now")
        return certificate

    return resolve


def security_policy(trust_list: TrustList) -> SecurityPolicy:
    # Encryption is required per partner by the P-Mode (checked after parsing), not globally.
    return SecurityPolicy(
        signer_resolver=trust_list_resolver(trust_list),
        encrypt_required=False,
        maximum_decompressed_size=MAXIMUM_PAYLOAD,
    )


# --- sending -----------------------------------------------------------------------------


@dataclass
class OutboundMessage:
    """A built user message: what to POST, and the exchange that will judge the answer."""

    exchange: AS4SendingExchange
    headers: dict[str, str]
    body: bytes
    envelope: bytes = b""  # the signed SOAP envelope exactly as posted (the evidence)

    @property
    def envelope_xml(self) -> bytes:
        if self.envelope:
            return self.envelope
        assert self.exchange.message is not None
        return self.exchange.message.soap_envelope_xml


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
    local_party: AS4InternalParty | None = None,
    remote_party: AS4ExternalParty | None = None,
) -> OutboundMessage:
    """Build, sign (and encrypt) a user message; the parties may be passed in, made once."""
    exchange: AS4SendingExchange = AS4SendingExchange(
        profile=SingleWindowProfile,
        local_party=local_party or internal_party(identity),
        remote_party=remote_party or external_party(partner),
        identifiers=AS4References(message_id=message_id, conversation_id=conversation_id),
    )
    # `AS4SendingExchange.build`, step by step, to pass our User-Agent: without one the
    # library reads its own package metadata from disk for every message.
    message = SingleWindowProfile.build_message(
        payload,
        local_party=exchange.local_party,
        remote_party=exchange.remote_party,
        builder_args=SingleWindowBuilderArgs(
            service=service,
            service_type=service_type,
            action=action,
            ref_to_message_id=ref_to_message_id,
            encrypt=encrypt,
        ),
        references=exchange.identifiers,
    )
    # `message.get_request_data()`, keeping the envelope bytes: they go to the message log
    # as sent, instead of serialising the envelope a second time.
    envelope = etree.tostring(
        message.require_soap_envelope().dump_to_xml(
            "{http://www.w3.org/2003/05/soap-envelope}Envelope"
        )
    )
    body, boundary = MIMEHandler.build_request_data(
        envelope, attachments=list(message.mime_attachments.items())
    )
    headers = message.get_http_headers(boundary, user_agent=USER_AGENT)
    headers.pop("Message-ID", None)
    exchange.message = message
    exchange.message_id = message.message_id
    exchange.messaging_id = message.messaging_id
    exchange.signed_references = message.signed_references
    exchange.state = ExchangeState.SENT
    return OutboundMessage(exchange=exchange, headers=headers, body=body, envelope=envelope)


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
    """Verify the answer to `outbound`: a receipt proving delivery, an ebMS error, or nothing."""
    exchange = outbound.exchange
    try:
        exchange.receive_signal(response_body)
    except ReceiptVerificationError as exc:
        return SignalVerdict(delivered=False, retry=True, detail=f"no valid receipt: {exc}")
    receipt = exchange.receipt
    assert receipt is not None
    signal = receipt.require_soap_envelope().header.messaging.signal_message
    receipt_id = signal.message_info.message_id.value if signal else None
    error = receipt.error
    if error is None:
        return SignalVerdict(delivered=True, retry=False, receipt_id=receipt_id)
    detail = error.error_detail.value if error.error_detail else ""
    description = error.description.value if error.description else ""
    if error.error_code == DuplicateMessage.error_code and description.startswith(DUPLICATE_MARK):
        # The receiver has had this message id from us before: an earlier attempt was
        # delivered and its receipt lost on the way back. Delivered, and not again.
        return SignalVerdict(
            delivered=True, retry=False, error_code=error.error_code, detail=detail,
            receipt_id=receipt_id, duplicate=True,
        )
    return SignalVerdict(
        delivered=False, retry=False, error_code=error.error_code, detail=detail,
        receipt_id=receipt_id,
    )


# --- receiving ---------------------------------------------------------------------------


@dataclass
class InboundMessage:
    """A parsed, verified (or refused) user message and the signal that answers it."""

    exchange: AS4ReceivingExchange
    _signal: tuple[dict[str, str], bytes] | None = None

    @property
    def message(self) -> SingleWindowMessage:
        message = self.exchange.message
        assert isinstance(message, SingleWindowMessage)
        return message

    @property
    def error(self) -> BaseAS4ReceiptableError | None:
        return self.message.parse_error

    def refuse(self, error: BaseAS4ReceiptableError) -> None:
        """Answer with `error` instead of a receipt."""
        self.message.parse_error = error
        self.exchange.receive_message(self.message)
        self._signal = None

    def signal(self) -> tuple[dict[str, str], bytes]:
        """The receipt or error signal, serialised once."""
        if self._signal is None:
            self._signal = self.exchange.build_signal()
        return self._signal

    @property
    def signal_id(self) -> str:
        receipt = self.exchange.receipt
        assert receipt is not None and receipt.soap_envelope is not None
        signal = receipt.soap_envelope.header.messaging.signal_message
        assert signal is not None
        return signal.message_info.message_id.value


def open_user_message(
    identity: NodeIdentity,
    trust_list: TrustList,
    body: bytes,
    headers: Mapping[str, str],
    *,
    local_party: AS4InternalParty | None = None,
    policy: SecurityPolicy | None = None,
) -> InboundMessage:
    """Unpack, verify and decrypt a posted message; never raises for what the sender did."""
    exchange: AS4ReceivingExchange = AS4ReceivingExchange(
        profile=SingleWindowProfile, local_party=local_party or internal_party(identity)
    )
    mime_headers = {
        name: value
        for name, value in headers.items()
        if name.lower() in ("content-type", "mime-version")
    }
    try:
        exchange.receive(
            mime_headers, body, security_policy=policy or security_policy(trust_list)
        )
    except Exception:  # anything the parser did not anticipate is a malformed message
        exchange.receive_message(
            SingleWindowMessage(parse_error=MalformedSoapEnvelopeException(detail="unreadable"))
        )
    return InboundMessage(exchange=exchange)
