"""What partners send, read and verified straight from the XML: user messages and signals.

`as4` reads a document by validating it into a tree of pydantic models before it checks a
signature: about 1.5 ms of CPU for a user message and 0.5 ms for a receipt, more than the
RSA work, on every message of the network. This reader walks the lxml tree once and makes
the same checks as the library, with the library's ebMS errors, plus the three our profile
adds (docs/exchange.md):

1. the signer is bound to the eb:From party through the trust list (`resolve_signer`);
2. the signature must cover *the* eb:Messaging header and *the* SOAP Body of the document,
   and the document carries exactly one eb:Messaging (no signature wrapping);
3. signed-only payloads are digest-checked on the MIME parts themselves.

The cryptography is the `cryptography` package's, canonicalisation lxml's exclusive c14n,
and the XML parser the library's hardened one (no entities, no network, no DTD). Tests check
this reader against the library on the same documents (tests/exchange/test_reader.py).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from as4 import AS4PrivateKey, ReceiptVerificationError, const
from as4.errors import (
    BaseAS4ReceiptableError,
    BaseFeatureNotSupportedException,
    BaseInvalidHeaderException,
    BaseValueInconsistentException,
    CipherReferenceNotFoundException,
    CipherValueNotFoundException,
    DecompressedPayloadTooLargeException,
    DecompressionFailedException,
    DecryptionFailedException,
    DigestMismatchException,
    DuplicateElementIdException,
    DuplicateHeaderElementException,
    EncryptedAttachmentNotFoundException,
    EncryptedDataNotFoundException,
    EncryptedDataReferenceNotFoundException,
    MalformedSoapEnvelopeException,
    MessageIdNotFoundException,
    MessagingNotFoundException,
    PartInfoWithoutMimePartException,
    PayloadInfoNotFoundException,
    ReferenceTargetNotFoundException,
    SignatureCoverageException,
    SignatureRequiredException,
    SignatureSecurityTokenReferenceNotFoundException,
    SignatureVerificationFailedException,
    UnsupportedDigestAlgorithmException,
    UnsupportedEncryptionAlgorithmException,
    UnsupportedSecurityTokenTypeException,
    UnsupportedSignatureAlgorithmException,
    UnsupportedTransformException,
    UntrustedSignerException,
    UserMessageNotFoundException,
)
from as4.models.dsig.reference import ComparableReferenceFields
from as4.utils.xml_parser import parse_xml
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lxml import etree

from singlewindow.exchange import model
from singlewindow.exchange.wire import DS, EB3, EBBP, ENC, S12, WSSE, WSU, XENC11

C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
_SIGNATURE_HASHES: dict[str, hashes.HashAlgorithm] = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": hashes.SHA256(),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": hashes.SHA384(),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": hashes.SHA512(),
}
_DIGESTS: dict[str, Callable[[bytes], hashlib._Hash]] = {
    "http://www.w3.org/2001/04/xmlenc#sha256": hashlib.sha256,
    "http://www.w3.org/2001/04/xmldsig-more#sha384": hashlib.sha384,
    "http://www.w3.org/2001/04/xmlenc#sha512": hashlib.sha512,
}
_OAEP = padding.OAEP(
    mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=b""
)
_WSU_ID = f"{{{WSU}}}Id"
_ENVELOPE, _HEADER, _BODY = f"{{{S12}}}Envelope", f"{{{S12}}}Header", f"{{{S12}}}Body"
_MESSAGING = f"{{{EB3}}}Messaging"
_MUST_UNDERSTAND = f"{{{S12}}}mustUnderstand"
_UNDERSTOOD = {_MESSAGING, f"{{{WSSE}}}Security"}

# (uri, sorted transforms, digest algorithm, digest value): how references are compared
ReferenceKey = tuple[str, tuple[str, ...], str, str]

# Resolves the certificate that must have signed a message from `party_id`, given the one
# the message carries; raises UntrustedSignerException when there is none.
SignerResolver = Callable[[str, x509.Certificate], x509.Certificate]


def reference_key(reference: ComparableReferenceFields) -> ReferenceKey:
    return (
        reference.uri, tuple(sorted(reference.transform_algorithms)),
        reference.digest_algorithm, reference.digest_value,
    )


class HeaderNotUnderstood(BaseInvalidHeaderException):
    detail = "a SOAP header block this access point must understand is not one it knows"


class MoreThanOnePayload(BaseFeatureNotSupportedException):
    detail = "this access point takes one payload (one eb:PartInfo) per user message"


# --- the tree ------------------------------------------------------------------------------


def _where(element: etree._Element) -> str:
    return etree.QName(element).localname


def _children(parent: etree._Element, namespace: str, local: str) -> list[etree._Element]:
    return list(parent.iterchildren(f"{{{namespace}}}{local}"))


def _optional(parent: etree._Element, namespace: str, local: str) -> etree._Element | None:
    found = parent.iterchildren(f"{{{namespace}}}{local}")
    first = next(found, None)
    if first is not None and next(found, None) is not None:
        raise DuplicateHeaderElementException(
            detail=f"Repeated element at: {_where(parent)}/{local}"
        )
    return first


def _one(parent: etree._Element, namespace: str, local: str) -> etree._Element:
    found = _optional(parent, namespace, local)
    if found is None:
        raise BaseValueInconsistentException(
            detail=f"Missing expected content at: {_where(parent)}/{local}"
        )
    return found


def _text(parent: etree._Element, namespace: str, local: str) -> str:
    text = (_one(parent, namespace, local).text or "").strip()
    if not text:
        raise BaseValueInconsistentException(
            detail=f"Missing expected content at: {_where(parent)}/{local}"
        )
    return text


def _algorithm(parent: etree._Element, namespace: str, local: str) -> str:
    return _one(parent, namespace, local).get("Algorithm") or ""


def _index_ids(root: etree._Element) -> dict[str, etree._Element]:
    """Every element by its Id attribute (wsu:Id, Id, …); a repeated id is refused, since
    which of two elements a reference means is what signature wrapping plays on."""
    indexed: dict[str, etree._Element] = {}
    for element in root.iter(etree.Element):
        for name, value in element.attrib.items():
            if name == "Id" or name.endswith("}Id"):
                if value in indexed:
                    raise DuplicateElementIdException(value)
                indexed[value] = element
    return indexed


@dataclass(frozen=True)
class Document:
    """A parsed SOAP envelope and the ids an answer refers to (known before any check)."""

    root: etree._Element
    header: etree._Element
    body: etree._Element
    messaging: etree._Element
    message_id: str
    messaging_id: str


def parse_envelope(soap: bytes, kind: str = "UserMessage") -> Document:
    """The envelope, its Header, Body and its one eb:Messaging with the message id of its
    `kind` (UserMessage or SignalMessage)."""
    try:
        root = parse_xml(soap)
    except etree.XMLSyntaxError as exc:
        raise MalformedSoapEnvelopeException(
            detail=f"SOAP part is not well-formed XML: {exc}"
        ) from exc
    # SOAP 1.2 (part 1, §5): an envelope must not carry a document type declaration. The
    # parser neither loads nor expands one, but an envelope that has one is not SOAP.
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise MalformedSoapEnvelopeException(
            detail="the SOAP envelope carries a document type declaration (DTD)"
        )
    if root.tag != _ENVELOPE:
        raise MalformedSoapEnvelopeException(
            detail=f"the SOAP part is {root.tag}, not a SOAP 1.2 Envelope"
        )
    header = _optional(root, S12, "Header")
    body = _optional(root, S12, "Body")
    if header is None or body is None:
        raise MalformedSoapEnvelopeException(detail="the SOAP envelope lacks its Header or Body")
    _check_header_blocks(header)
    messagings = list(root.iter(_MESSAGING))
    if len(messagings) > 1:  # one of them elsewhere than the header: signature wrapping
        raise SignatureCoverageException(["the document carries more than one eb:Messaging"])
    if not messagings or messagings[0].getparent() is not header:
        raise MessagingNotFoundException(detail="Missing ebMS Messaging header in SOAP envelope")
    messaging = messagings[0]
    messaging_id = messaging.get(_WSU_ID) or ""
    unit = _optional(messaging, EB3, kind)
    message_id = ""
    if unit is not None:
        info = _optional(unit, EB3, "MessageInfo")
        if info is not None:
            found = _optional(info, EB3, "MessageId")
            message_id = (found.text or "").strip() if found is not None else ""
    if not message_id or not messaging_id:
        raise MessageIdNotFoundException(
            detail="Missing MessageId or Messaging wsu:Id in SOAP envelope"
        )
    return Document(root, header, body, messaging, message_id, messaging_id)


def _check_header_blocks(header: etree._Element) -> None:
    """SOAP 1.2: a header block marked mustUnderstand is one we process, or a fault."""
    for block in header.iterchildren(etree.Element):
        flag = block.get(_MUST_UNDERSTAND)
        if flag is None or flag in ("false", "0"):
            continue
        if flag not in ("true", "1"):
            raise BaseValueInconsistentException(
                detail=f"mustUnderstand {flag!r} of {_where(block)} is not a boolean"
            )
        if block.tag not in _UNDERSTOOD:
            raise HeaderNotUnderstood(detail=f"{block.tag} is marked mustUnderstand")


# --- signatures ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _certificate(token: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(base64.b64decode(token, validate=True))


def _inclusive_prefixes(parent: etree._Element) -> list[str]:
    found = parent.find(f"{{{C14N}}}InclusiveNamespaces")
    return (found.get("PrefixList") or "").split() if found is not None else []


def _c14n(element: etree._Element, prefixes: list[str]) -> bytes:
    return etree.tostring(
        element, method="c14n", exclusive=True, with_comments=False,
        inclusive_ns_prefixes=prefixes or None,
    )


@dataclass(frozen=True)
class _Reference:
    uri: str
    transforms: tuple[str, ...]
    prefixes: list[str]
    digest_algorithm: str
    digest_value: str

    @classmethod
    def of(cls, element: etree._Element) -> _Reference:
        transforms = _optional(element, DS, "Transforms")
        steps = _children(transforms, DS, "Transform") if transforms is not None else []
        prefixes = [p for step in steps for p in _inclusive_prefixes(step)]
        return cls(
            uri=element.get("URI") or "",
            transforms=tuple(step.get("Algorithm") or "" for step in steps),
            prefixes=prefixes,
            digest_algorithm=_algorithm(element, DS, "DigestMethod"),
            digest_value=(_one(element, DS, "DigestValue").text or "").strip(),
        )

    def key(self) -> ReferenceKey:
        return (self.uri, tuple(sorted(self.transforms)), self.digest_algorithm, self.digest_value)

    def fields(self) -> ComparableReferenceFields:
        return ComparableReferenceFields(
            uri=self.uri, transform_algorithms=list(self.transforms),
            digest_algorithm=self.digest_algorithm, digest_value=self.digest_value,
        )

    def matches(self, content: bytes, transform: str) -> bool:
        if not self.transforms or set(self.transforms) != {transform}:
            raise UnsupportedTransformException(", ".join(self.transforms) or "none")
        digest = _DIGESTS.get(self.digest_algorithm)
        if digest is None:
            raise UnsupportedDigestAlgorithmException(self.digest_algorithm)
        return base64.b64encode(digest(content).digest()).decode("ascii") == self.digest_value


@dataclass(frozen=True)
class _Signature:
    signed_info: etree._Element
    references: list[_Reference]
    token: str  # the base64 DER of the certificate the signature's key info points to


def _signature(security: etree._Element) -> _Signature:
    signature = _optional(security, DS, "Signature")
    if signature is None:
        raise SignatureRequiredException()
    signed_info = _one(signature, DS, "SignedInfo")
    key_info = _one(signature, DS, "KeyInfo")
    token_reference = _optional(key_info, WSSE, "SecurityTokenReference")
    reference = (
        _optional(token_reference, WSSE, "Reference") if token_reference is not None else None
    )
    uri = reference.get("URI") if reference is not None else None
    if not uri or not uri.startswith("#"):
        raise SignatureSecurityTokenReferenceNotFoundException()
    token = next(
        (t for t in _children(security, WSSE, "BinarySecurityToken") if t.get(_WSU_ID) == uri[1:]),
        None,
    )
    if token is None:
        raise SignatureSecurityTokenReferenceNotFoundException()
    if token.get("ValueType") != const.X509_V3:
        raise UnsupportedSecurityTokenTypeException(token.get("ValueType") or "none")
    return _Signature(
        signed_info=signed_info,
        references=[_Reference.of(r) for r in _children(signed_info, DS, "Reference")],
        token="".join((token.text or "").split()),
    )


def _verify(signature: _Signature, public_key: RSAPublicKey) -> None:
    """The signature value over the canonical SignedInfo (raises InvalidSignature)."""
    signed_info = signature.signed_info
    method = _one(signed_info, DS, "CanonicalizationMethod")
    if method.get("Algorithm") != C14N:
        raise UnsupportedTransformException(method.get("Algorithm") or "none")
    algorithm = _algorithm(signed_info, DS, "SignatureMethod")
    hash_algorithm = _SIGNATURE_HASHES.get(algorithm)
    if hash_algorithm is None:
        raise UnsupportedSignatureAlgorithmException(algorithm)
    value = _one(signed_info.getparent(), DS, "SignatureValue").text or ""
    try:
        signature_value = base64.b64decode("".join(value.split()), validate=True)
    except binascii.Error as exc:
        raise InvalidSignature("the signature value is not base64") from exc
    public_key.verify(
        signature_value,
        _c14n(signed_info, _inclusive_prefixes(method)),
        padding.PKCS1v15(),
        hash_algorithm,
    )


def _covered(document: Document, signature: _Signature) -> str | None:
    """What is wrong when the signature does not cover this Messaging header and Body."""
    signed = {reference.uri for reference in signature.references}
    if f"#{document.messaging_id}" not in signed:
        return "the signature does not cover the eb:Messaging header of the message"
    body_id = document.body.get(_WSU_ID)
    if not body_id or f"#{body_id}" not in signed:
        return "the signature does not cover the SOAP Body of the message"
    return None


def _check_element_digests(
    signature: _Signature, ids: Mapping[str, etree._Element], *, attachments: bool = True
) -> None:
    """The digest of every element the signature references (attachments are checked once
    decrypted; a signal has none)."""
    for reference in signature.references:
        if attachments and reference.uri.startswith("cid:"):
            continue
        target = ids.get(reference.uri[1:]) if reference.uri.startswith("#") else None
        if target is None:
            raise ReferenceTargetNotFoundException(reference.uri)
        if not reference.matches(_c14n(target, reference.prefixes), C14N):
            raise DigestMismatchException(reference.uri)


# --- user messages -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadMessage:
    """A verified (and decrypted) user message: its header values and payload, and the
    references of its signature (what our receipt acknowledges)."""

    message: model.UserMessage
    encrypted: bool
    signer: x509.Certificate
    references: tuple[ComparableReferenceFields, ...]


def read_user_message(
    document: Document,
    attachments: Mapping[str, bytes],
    *,
    resolve_signer: SignerResolver,
    private_key: AS4PrivateKey,
    maximum_size: int,
) -> ReadMessage:
    """Verify the signature, decrypt and decompress the payload of a user message.

    Raises the ebMS error (a BaseAS4ReceiptableError) of the first check that fails.
    """
    messaging = document.messaging
    units = _children(messaging, EB3, "UserMessage") + _children(messaging, EB3, "SignalMessage")
    if len(units) > 1:
        raise BaseFeatureNotSupportedException(
            detail="eb:Messaging bundles more than one message"
        )
    user_message = _optional(messaging, EB3, "UserMessage")
    if user_message is None:
        raise UserMessageNotFoundException()
    header = _header_values(user_message)
    ids = _index_ids(document.root)

    security = _optional(document.header, WSSE, "Security")
    if security is None:
        raise SignatureRequiredException()
    signature = _signature(security)
    try:
        embedded = _certificate(signature.token)
    except (ValueError, binascii.Error) as exc:
        raise UntrustedSignerException(
            detail="the signing token is not a readable X.509 certificate"
        ) from exc
    signer = resolve_signer(header.from_party, embedded)
    public_key = signer.public_key()
    if not isinstance(public_key, RSAPublicKey):
        raise UnsupportedSignatureAlgorithmException("a signature by a key that is not RSA")
    try:
        _verify(signature, public_key)
    except InvalidSignature as exc:
        raise SignatureVerificationFailedException() from exc
    problem = _covered(document, signature)
    if problem is not None:
        raise SignatureCoverageException([problem])
    href, compression = _payload(user_message)
    if href not in {reference.uri for reference in signature.references}:
        raise SignatureCoverageException(["payloads"])
    _check_element_digests(signature, ids)

    encrypted_key = _optional(security, ENC, "EncryptedKey")
    if encrypted_key is not None:
        contents = _decrypt(security, encrypted_key, attachments, private_key)
    else:
        contents = dict(attachments)  # signed only: digests over the MIME parts themselves
    for reference in signature.references:
        if not reference.uri.startswith("cid:"):
            continue
        content = contents.get(reference.uri[4:])
        if content is None:
            raise ReferenceTargetNotFoundException(reference.uri)
        if not reference.matches(content, const.SWA_ATTACHMENT_CONTENT_SIGNATURE_TRANSFORM):
            raise DigestMismatchException(reference.uri)

    part = href.removeprefix("cid:")
    if part not in attachments:
        raise PartInfoWithoutMimePartException(href)
    payload = contents[part]
    if compression == "application/gzip":
        payload = gunzip(payload, maximum_size)
    return ReadMessage(
        message=replace(header, payload=payload),
        encrypted=encrypted_key is not None,
        signer=signer,
        references=tuple(r.fields() for r in signature.references),
    )


def _header_values(user_message: etree._Element) -> model.UserMessage:
    """The header values of a user message (its payload comes once verified)."""
    info = _one(user_message, EB3, "MessageInfo")
    parties = _one(user_message, EB3, "PartyInfo")
    collaboration = _one(user_message, EB3, "CollaborationInfo")
    service = _one(collaboration, EB3, "Service")
    ref_to = _optional(info, EB3, "RefToMessageId")
    ref_to_message_id = (ref_to.text or "").strip() or None if ref_to is not None else None
    if ref_to_message_id is not None:
        _bounded(ref_to_message_id, "MessageInfo/RefToMessageId")
    return model.UserMessage(
        message_id=_bounded(_text(info, EB3, "MessageId"), "MessageInfo/MessageId"),
        timestamp=_timestamp(_text(info, EB3, "Timestamp")),
        from_party=_text(_one(parties, EB3, "From"), EB3, "PartyId"),
        to_party=_text(_one(parties, EB3, "To"), EB3, "PartyId"),
        service=(service.text or "").strip(),
        service_type=service.get("type"),
        action=_text(collaboration, EB3, "Action"),
        conversation_id=_bounded(
            _text(collaboration, EB3, "ConversationId"), "CollaborationInfo/ConversationId"
        ),
        ref_to_message_id=ref_to_message_id,
    )


def _bounded(identifier: str, path: str) -> str:
    """An identifier the node keeps, if it fits its column (a longer one is refused here,
    with an ebMS error, rather than by the database)."""
    if len(identifier) > model.MAXIMUM_IDENTIFIER:
        raise BaseValueInconsistentException(
            detail=f"{path} is {len(identifier)} characters long; at most "
            f"{model.MAXIMUM_IDENTIFIER} are accepted"
        )
    return identifier


def _timestamp(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BaseValueInconsistentException(
            detail=f"eb:Timestamp {text!r} is not an xsd:dateTime"
        ) from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _payload(user_message: etree._Element) -> tuple[str, str]:
    """The one payload the message declares: its cid: href and compression ("" for none)."""
    payload_info = _optional(user_message, EB3, "PayloadInfo")
    parts = _children(payload_info, EB3, "PartInfo") if payload_info is not None else []
    if not parts:
        raise PayloadInfoNotFoundException()
    if len(parts) > 1:
        raise MoreThanOnePayload()
    href = parts[0].get("href") or ""
    if not href.startswith("cid:"):
        raise PartInfoWithoutMimePartException(href or "(none)")
    properties = _optional(parts[0], EB3, "PartProperties")
    compression = ""
    if properties is not None:
        for item in _children(properties, EB3, "Property"):
            if item.get("name") == "CompressionType":
                compression = (item.text or "").strip()
    return href, compression


def _decrypt(
    security: etree._Element,
    encrypted_key: etree._Element,
    attachments: Mapping[str, bytes],
    private_key: AS4PrivateKey,
) -> dict[str, bytes]:
    """The AES-128-GCM key under our RSA-OAEP key, and the attachments it encrypts."""
    method = _one(encrypted_key, ENC, "EncryptionMethod")
    if method.get("Algorithm") != const.RSA_OAEP:
        raise UnsupportedEncryptionAlgorithmException(method.get("Algorithm") or "none")
    # RSA-OAEP's defaults are SHA-1: the eDelivery profile names SHA-256 for both (the
    # library assumes them whatever is declared).
    digest, mgf = _optional(method, DS, "DigestMethod"), _optional(method, XENC11, "MGF")
    if digest is None or digest.get("Algorithm") != const.XMLENC_SHA256:
        raise UnsupportedEncryptionAlgorithmException("RSA-OAEP without a SHA-256 digest")
    if mgf is None or mgf.get("Algorithm") != const.MGF1_SHA256:
        raise UnsupportedEncryptionAlgorithmException("RSA-OAEP without MGF1 with SHA-256")
    _key_info(encrypted_key)
    cipher_data = _optional(encrypted_key, ENC, "CipherData")
    cipher_value = _optional(cipher_data, ENC, "CipherValue") if cipher_data is not None else None
    if cipher_value is None or not (cipher_value.text or "").strip():
        raise CipherValueNotFoundException()
    try:
        session_key = private_key.decrypt(
            base64.b64decode("".join(cipher_value.text.split()), validate=True), _OAEP
        )
    except (ValueError, binascii.Error) as exc:
        raise DecryptionFailedException() from exc
    if len(session_key) != 16:
        raise DecryptionFailedException(detail="the session key is not an AES-128 key")
    cipher = AESGCM(session_key)
    reference_list = _optional(encrypted_key, ENC, "ReferenceList")
    references = (
        _children(reference_list, ENC, "DataReference") if reference_list is not None else []
    )
    if not references:
        raise EncryptedDataReferenceNotFoundException()
    encrypted_data = {e.get("Id"): e for e in _children(security, ENC, "EncryptedData")}
    decrypted: dict[str, bytes] = {}
    for reference in references:
        uri = reference.get("URI") or ""
        if not uri.startswith("#"):
            raise EncryptedDataReferenceNotFoundException()
        data = encrypted_data.get(uri[1:])
        if data is None:
            raise EncryptedDataNotFoundException(encrypted_data_uri=uri)
        _key_info(data)
        algorithm = _algorithm(data, ENC, "EncryptionMethod")
        if algorithm != const.AES_128_GCM:
            raise UnsupportedEncryptionAlgorithmException(algorithm or "none")
        data_cipher = _optional(data, ENC, "CipherData")
        cipher_reference = (
            _optional(data_cipher, ENC, "CipherReference") if data_cipher is not None else None
        )
        location = cipher_reference.get("URI") or "" if cipher_reference is not None else ""
        if not location.startswith("cid:"):
            raise CipherReferenceNotFoundException()
        _one(cipher_reference, ENC, "Transforms")
        part = location[4:]
        if part not in attachments:
            raise EncryptedAttachmentNotFoundException(part)
        sealed = attachments[part]
        try:
            decrypted[part] = cipher.decrypt(sealed[:12], sealed[12:], None)
        except (ValueError, InvalidTag) as exc:
            raise DecryptionFailedException() from exc
    return decrypted


def _key_info(encrypted: etree._Element) -> None:
    """The structure WS-Security requires of an encrypted key's or data's ds:KeyInfo (which
    key is meant needs no look-up: a message carries one key, for us)."""
    key_info = _one(encrypted, DS, "KeyInfo")
    for token_reference in _children(key_info, WSSE, "SecurityTokenReference"):
        _one(token_reference, WSSE, "Reference")


def gunzip(data: bytes, maximum_size: int) -> bytes:
    """Decompress gzip members, refusing more than `maximum_size` bytes of output (a bomb
    stops there, not when memory runs out)."""
    out: list[bytes] = []
    size = 0
    try:
        while data:
            stream = zlib.decompressobj(wbits=31)
            chunk = stream.decompress(data, maximum_size + 1 - size)
            size += len(chunk)
            out.append(chunk)
            if size > maximum_size or stream.unconsumed_tail:
                raise DecompressedPayloadTooLargeException()
            if not stream.eof:
                raise DecompressionFailedException(detail="Payload is truncated gzip")
            data = stream.unused_data
    except zlib.error as exc:
        raise DecompressionFailedException() from exc
    if not out:
        raise DecompressionFailedException()
    return b"".join(out)


# --- signals -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignalError:
    """An eb:Error of an error signal."""

    error_code: str
    short_description: str
    description: str
    detail: str


@dataclass(frozen=True)
class ReadSignal:
    """A verified receipt or error signal."""

    signal_id: str
    ref_to_message_id: str | None
    acknowledged: tuple[ReferenceKey, ...]  # a receipt's non-repudiation references
    error: SignalError | None  # the first eb:Error of an error signal


def read_signal(data: bytes, expected_signer: x509.Certificate) -> ReadSignal:
    """Verify a receipt or error signal signed by `expected_signer`; raises
    ReceiptVerificationError with what is wrong."""
    try:
        document = parse_envelope(data, "SignalMessage")
    except BaseAS4ReceiptableError as exc:
        raise ReceiptVerificationError(
            f"Signal is not a readable ebMS signal message: {exc.detail}"
        ) from exc
    signal = _children(document.messaging, EB3, "SignalMessage")
    if len(signal) != 1 or _children(document.messaging, EB3, "UserMessage"):
        raise ReceiptVerificationError("the answer is not one ebMS signal message")
    try:
        info = _one(signal[0], EB3, "MessageInfo")
        ref_to = _optional(info, EB3, "RefToMessageId")
        receipt = _optional(signal[0], EB3, "Receipt")
        errors = _children(signal[0], EB3, "Error")
        error = _signal_error(errors[0]) if errors else None
        acknowledged: tuple[ReferenceKey, ...] = ()
        if receipt is not None:
            acknowledged = tuple(
                _Reference.of(reference).key()
                for part in receipt.iter(f"{{{EBBP}}}MessagePartNRInformation")
                for reference in _children(part, DS, "Reference")
            )
        elif error is None:
            raise ReceiptVerificationError("the signal is neither a receipt nor an error")
        ref_to_message_id = (ref_to.text or "").strip() or None if ref_to is not None else None
        if error is None and not ref_to_message_id:
            raise ReceiptVerificationError(
                "Receipt names no eb:RefToMessageId, so it proves delivery of nothing"
            )
        _verify_signal_signature(document, expected_signer)
    except BaseAS4ReceiptableError as exc:
        raise ReceiptVerificationError(f"Signal refused: {exc.detail}") from exc
    return ReadSignal(
        signal_id=document.message_id,
        ref_to_message_id=ref_to_message_id,
        acknowledged=acknowledged,
        error=error,
    )


def _signal_error(element: etree._Element) -> SignalError:
    description = _optional(element, EB3, "Description")
    detail = _optional(element, EB3, "ErrorDetail")
    return SignalError(
        error_code=element.get("errorCode") or "",
        short_description=element.get("shortDescription") or "",
        description=(description.text or "").strip() if description is not None else "",
        detail=(detail.text or "").strip() if detail is not None else "",
    )


def _verify_signal_signature(document: Document, expected_signer: x509.Certificate) -> None:
    security = _optional(document.header, WSSE, "Security")
    if security is None:
        raise ReceiptVerificationError("Receipt carries no ds:Signature")
    signature = _signature(security)
    try:
        embedded = base64.b64decode(signature.token, validate=True)
    except binascii.Error as exc:
        raise ReceiptVerificationError("the receipt's security token is not base64") from exc
    if embedded != _der(expected_signer):
        raise ReceiptVerificationError(
            f"Receipt is not signed by {expected_signer.subject.rfc4514_string()}"
        )
    public_key = expected_signer.public_key()
    assert isinstance(public_key, RSAPublicKey)  # our trust list holds RSA certificates
    try:
        _verify(signature, public_key)
    except InvalidSignature as exc:
        raise ReceiptVerificationError("Receipt signature does not verify") from exc
    problem = _covered(document, signature)
    if problem is not None:
        raise ReceiptVerificationError(f"Receipt refused: {problem}")
    _check_element_digests(signature, _index_ids(document.root), attachments=False)


@functools.lru_cache(maxsize=64)
def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)
