"""Evidence an officer attaches to a declaration: photos of the goods and the images of a
non-intrusive inspection (a scanner). Plain rules, no I/O.

The file's type is read from its first bytes, never from its name or the type the client
claims: an image that is not what it says is refused, as is one over the size limit.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass

from singlewindow.core.errors import Problem

MOST_BYTES = 8 * 1024 * 1024
"""An attachment's largest size: a scanner's X-ray image as JPEG or PNG is 1–5 MiB."""

MOST_PER_DECLARATION = 50

SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"II*\x00", "image/tiff"),  # scanners export TIFF (little- and big-endian)
    (b"MM\x00*", "image/tiff"),
)
MEDIA_TYPES = sorted({media for _, media in SIGNATURES})

SCANNER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,34}")


class AttachmentKind(enum.StrEnum):
    PHOTO = "photo"
    SCANNER_IMAGE = "scanner_image"  # a non-intrusive inspection image


@dataclass(frozen=True)
class Attachment:
    """A checked file, ready to be stored with its declaration."""

    kind: AttachmentKind
    filename: str
    media_type: str
    size: int
    sha256: str
    scanner_id: str | None


def media_type_of(content: bytes) -> str | None:
    return next((media for magic, media in SIGNATURES if content.startswith(magic)), None)


def _filename(name: str) -> str:
    """The name shown and offered on download: its last part, printable, at most 120."""
    base = re.split(r"[\\/]", name)[-1]
    cleaned = "".join(c for c in base if c.isprintable() and c not in '"<>')
    return cleaned.strip()[:120] or "attachment"


def check_attachment(
    kind: AttachmentKind, filename: str, content: bytes, scanner_id: str | None, held: int
) -> tuple[Attachment | None, list[Problem]]:
    """The attachment, or every reason it is refused (`held`: how many the declaration has)."""
    problems: list[Problem] = []
    media_type = media_type_of(content)
    if not content:
        problems.append(Problem("file", "the file is empty"))
    elif len(content) > MOST_BYTES:
        problems.append(Problem(
            "file", f"the file has {len(content):,} bytes, over the limit of {MOST_BYTES:,}"))
    elif media_type is None:
        problems.append(Problem(
            "file", "the file is not a JPEG, PNG or TIFF image (read from its content, not its"
            " name)"))
    scanner = (scanner_id or "").strip() or None
    if kind is AttachmentKind.SCANNER_IMAGE and scanner is None:
        problems.append(Problem("scanner_id", "a scanner image names the scanner that took it"))
    elif scanner is not None and not SCANNER_ID.fullmatch(scanner):
        problems.append(Problem(
            "scanner_id", "a scanner's identifier is 1 to 35 letters, digits, '.', '_' or '-'"))
    if held >= MOST_PER_DECLARATION:
        problems.append(Problem(
            "file", f"a declaration holds at most {MOST_PER_DECLARATION} attachments"))
    if problems or media_type is None:
        return None, problems
    return Attachment(kind, _filename(filename), media_type, len(content),
                      hashlib.sha256(content).hexdigest(), scanner), []
