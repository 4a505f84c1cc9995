"""The MIME envelope of a posted AS4 message: its SOAP part and payload parts, read within
limits.

Anyone may post to `/as4`, so the multipart body is read before anything is known about
its sender. Every limit below is checked while python-multipart parses, and parsing stops at
the first one crossed: a body of 600,000 empty parts is refused after its fifth part, not
after all of them (it used to cost 6.8 s of CPU on the one receive thread).
"""

from __future__ import annotations

import base64
from collections.abc import Callable

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
# Both header limits are python-multipart's own, checked as it reads (its defaults are 8 and
# 4,224): given here so that they are ours to choose.
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
    content_type: str,
    body: bytes,
    maximum_size: int,
    screen: Callable[[bytes], None] | None = None,
) -> tuple[bytes, dict[str, bytes]]:
    """The SOAP part and the payload parts (by Content-ID) of a multipart/related message.

    The rules of the library's Peppol profile (the first application/soap+xml part is the
    envelope, every application/octet-stream part a payload with a Content-ID), parsed with
    python-multipart: the stdlib's `email` parser costs more than the signature check.
    Refused (SoapPartNotFoundException, EBMS:0009) as soon as a limit is crossed: more than
    `MAXIMUM_PARTS` parts, more than `MAXIMUM_PART_HEADERS` headers in a part, a header
    over `MAXIMUM_HEADER_SIZE`, a nested multipart part, an envelope over
    `MAXIMUM_ENVELOPE`, a part over `maximum_size`.

    `screen` is called with the first SOAP part as soon as it is read, before the parts
    after it (the payload, the bulk of the body) are: whatever it raises stops the parsing
    and is raised from here, so a message can be refused on its envelope alone.
    """
    media_type, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if media_type != b"multipart/related" or not boundary:
        raise SoapPartNotFoundException()
    parts: list[_Part] = []
    field: list[bytes] = []
    value: list[bytes] = []
    screened = screen is None

    def part_begin() -> None:
        if len(parts) == MAXIMUM_PARTS:
            raise _LimitCrossed(f"more than {MAXIMUM_PARTS} MIME parts")
        parts.append(_Part())

    def header_end() -> None:
        parts[-1].headers[b"".join(field).strip().lower()] = b"".join(value).strip()
        field.clear()
        value.clear()

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

    def part_end() -> None:
        nonlocal screened
        part = parts[-1]
        if part.is_soap and not screened:
            screened = True
            assert screen is not None
            part.chunks[:] = [_decoded(part)]
            screen(part.chunks[0])

    parser = MultipartParser(boundary, {
        "on_part_begin": part_begin,
        "on_header_field": lambda data, start, end: field.append(data[start:end]),
        "on_header_value": lambda data, start, end: value.append(data[start:end]),
        "on_header_end": header_end,
        "on_headers_finished": headers_finished,
        "on_part_data": part_data,
        "on_part_end": part_end,
    }, max_header_count=MAXIMUM_PART_HEADERS, max_header_size=MAXIMUM_HEADER_SIZE)
    try:
        parser.write(body)
        parser.finalize()
    except (MultipartParseError, _LimitCrossed) as exc:
        raise SoapPartNotFoundException(detail=f"unreadable MIME body: {exc}") from exc
    return _envelope_and_payloads(parts)


def _decoded(part: _Part) -> bytes:
    """A part's content, its transfer encoding undone (once: the result replaces the raw
    chunks, its encoding is then binary)."""
    data = b"".join(part.chunks)
    encoding = part.headers.get(b"content-transfer-encoding", b"binary").lower()
    if encoding == b"base64":
        data = base64.b64decode(data)
    elif encoding not in (b"binary", b"8bit", b"7bit"):
        raise PayloadPartNotFoundException(detail=f"unsupported transfer encoding {encoding!r}")
    part.headers[b"content-transfer-encoding"] = b"binary"
    return data


def _envelope_and_payloads(parts: list[_Part]) -> tuple[bytes, dict[str, bytes]]:
    soap: bytes | None = None
    attachments: dict[str, bytes] = {}
    for part in parts:
        data = _decoded(part)
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
