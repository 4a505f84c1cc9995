"""The MIME envelope of a posted AS4 message: its SOAP part and payload parts, read within
limits.

Anyone may post to `/as4`, so the multipart body is read before anything is known about
its sender. Every limit below is checked while python-multipart parses, and parsing stops at
the first one crossed: a body of 600,000 empty parts is refused after its fifth part, not
after all of them (it used to cost 6.8 s of CPU on the one receive thread).
"""

from __future__ import annotations

import base64

from as4.errors import PayloadPartNotFoundException, SoapPartNotFoundException
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

# An AS4 message of this network has one SOAP envelope and one payload; a few more parts
# are allowed so that a partner's MSH adding one (a second attachment) is not refused.
MAXIMUM_PARTS = 4
# MIME headers of a part: ours send three (Content-Type, Content-Transfer-Encoding,
# Content-ID); RFC 2045/2046 allow a few more (Content-Description, Content-Disposition).
MAXIMUM_PART_HEADERS = 8
# One header line (name and value): a Content-Type with its parameters fits many times over.
MAXIMUM_HEADER_SIZE = 4096
# The SOAP envelope holds headers and signatures only, the payload travels as a part of its
# own: a few kB, so a large one is refused before lxml ever reads it.
MAXIMUM_ENVELOPE = 1024 * 1024
SOAP_TYPE = b"application/soap+xml"
PAYLOAD_TYPE = b"application/octet-stream"


class _LimitCrossed(Exception):
    """Raised from a parser callback to stop parsing at once (python-multipart lets it
    through `write`)."""


class _Part:
    __slots__ = ("headers", "chunks", "size", "is_soap")

    def __init__(self) -> None:
        self.headers: dict[bytes, bytes] = {}
        self.chunks: list[bytes] = []
        self.size = 0
        self.is_soap = False


def unpack_multipart(
    content_type: str, body: bytes, maximum_size: int
) -> tuple[bytes, dict[str, bytes]]:
    """The SOAP part and the payload parts (by Content-ID) of a multipart/related message.

    The rules of the library's Peppol profile (the first application/soap+xml part is the
    envelope, every application/octet-stream part a payload with a Content-ID), parsed with
    python-multipart: the stdlib's `email` parser costs more than the signature check.
    Refused (SoapPartNotFoundException, EBMS:0009) as soon as a limit is crossed: more than
    `MAXIMUM_PARTS` parts, more than `MAXIMUM_PART_HEADERS` headers in a part, a header
    over `MAXIMUM_HEADER_SIZE`, a nested multipart part, an envelope over
    `MAXIMUM_ENVELOPE`, a part over `maximum_size`.
    """
    media_type, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if media_type != b"multipart/related" or not boundary:
        raise SoapPartNotFoundException()
    parts: list[_Part] = []
    field: list[bytes] = []
    value: list[bytes] = []
    header_size = 0

    def part_begin() -> None:
        if len(parts) == MAXIMUM_PARTS:
            raise _LimitCrossed(f"more than {MAXIMUM_PARTS} MIME parts")
        parts.append(_Part())

    def header_data(into: list[bytes], data: bytes, start: int, end: int) -> None:
        nonlocal header_size
        header_size += end - start
        if header_size > MAXIMUM_HEADER_SIZE:
            raise _LimitCrossed(f"a MIME header over {MAXIMUM_HEADER_SIZE} bytes")
        into.append(data[start:end])

    def header_end() -> None:
        nonlocal header_size
        headers = parts[-1].headers
        if len(headers) == MAXIMUM_PART_HEADERS:
            raise _LimitCrossed(f"more than {MAXIMUM_PART_HEADERS} headers in a MIME part")
        headers[b"".join(field).strip().lower()] = b"".join(value).strip()
        field.clear()
        value.clear()
        header_size = 0

    def headers_finished() -> None:
        part = parts[-1]
        part_type = parse_options_header(part.headers.get(b"content-type", b""))[0]
        if part_type.startswith(b"multipart/"):
            # Our messages never nest; reading nested parts would multiply every limit.
            raise _LimitCrossed("a nested multipart part")
        part.is_soap = part_type == SOAP_TYPE

    def part_data(data: bytes, start: int, end: int) -> None:
        part = parts[-1]
        part.size += end - start
        if part.is_soap and part.size > MAXIMUM_ENVELOPE:
            raise _LimitCrossed(f"a SOAP envelope over {MAXIMUM_ENVELOPE} bytes")
        if part.size > maximum_size:
            raise _LimitCrossed(f"a MIME part over {maximum_size} bytes")
        part.chunks.append(data[start:end])

    parser = MultipartParser(boundary, {
        "on_part_begin": part_begin,
        "on_header_field": lambda data, start, end: header_data(field, data, start, end),
        "on_header_value": lambda data, start, end: header_data(value, data, start, end),
        "on_header_end": header_end,
        "on_headers_finished": headers_finished,
        "on_part_data": part_data,
    })
    try:
        parser.write(body)
        parser.finalize()
    except (MultipartParseError, _LimitCrossed) as exc:
        raise SoapPartNotFoundException(detail=f"unreadable MIME body: {exc}") from exc
    return _envelope_and_payloads(parts)


def _envelope_and_payloads(parts: list[_Part]) -> tuple[bytes, dict[str, bytes]]:
    soap: bytes | None = None
    attachments: dict[str, bytes] = {}
    for part in parts:
        data = b"".join(part.chunks)
        encoding = part.headers.get(b"content-transfer-encoding", b"binary").lower()
        if encoding == b"base64":
            data = base64.b64decode(data)
        elif encoding not in (b"binary", b"8bit", b"7bit"):
            raise PayloadPartNotFoundException(detail=f"unsupported transfer encoding {encoding!r}")
        part_type = parse_options_header(part.headers.get(b"content-type", b""))[0]
        if part_type == SOAP_TYPE and soap is None:
            soap = data
        elif part_type == PAYLOAD_TYPE:
            content_id = part.headers.get(b"content-id", b"").decode("latin-1").strip("<> ")
            if not content_id:
                raise PayloadPartNotFoundException(detail="a payload part has no Content-ID")
            attachments[content_id] = data
    if soap is None:
        raise SoapPartNotFoundException()
    if not attachments:
        raise PayloadPartNotFoundException()
    return soap, attachments
