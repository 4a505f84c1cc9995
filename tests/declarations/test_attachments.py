"""The rules of an inspection's attachments: the type read from the content, the size, the
scanner's identifier."""

from __future__ import annotations

import hashlib

import pytest

from singlewindow.declarations.attachments import (
    MOST_BYTES,
    MOST_PER_DECLARATION,
    AttachmentKind,
    check_attachment,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
TIFF = b"II*\x00" + b"\x00" * 64


@pytest.mark.parametrize(("content", "media"), [(PNG, "image/png"), (JPEG, "image/jpeg"),
                                                 (TIFF, "image/tiff")])
def test_the_type_is_read_from_the_content(content: bytes, media: str) -> None:
    found, problems = check_attachment(AttachmentKind.PHOTO, "x.bin", content, None, 0)
    assert problems == [] and found is not None
    assert found.media_type == media and found.size == len(content)
    assert found.sha256 == hashlib.sha256(content).hexdigest()


def test_a_file_named_as_an_image_that_is_not_one_is_refused() -> None:
    found, problems = check_attachment(AttachmentKind.PHOTO, "photo.jpg", b"<html>", None, 0)
    assert found is None and [p.path for p in problems] == ["file"]
    assert "not a JPEG, PNG or TIFF" in problems[0].message


def test_empty_and_oversized_files_are_refused_with_the_limit() -> None:
    assert "empty" in check_attachment(AttachmentKind.PHOTO, "a.png", b"", None, 0)[1][0].message
    big = PNG + b"\x00" * MOST_BYTES
    _, problems = check_attachment(AttachmentKind.PHOTO, "a.png", big, None, 0)
    assert f"{MOST_BYTES:,}" in problems[0].message


def test_a_scanner_image_names_its_scanner_in_a_bounded_identifier() -> None:
    _, missing = check_attachment(AttachmentKind.SCANNER_IMAGE, "x.png", PNG, " ", 0)
    assert [p.path for p in missing] == ["scanner_id"]
    _, bad = check_attachment(AttachmentKind.SCANNER_IMAGE, "x.png", PNG, "NII 01;drop", 0)
    assert [p.path for p in bad] == ["scanner_id"]
    found, _ = check_attachment(AttachmentKind.SCANNER_IMAGE, "x.png", PNG, "VN-HCM-NII-03", 0)
    assert found is not None and found.scanner_id == "VN-HCM-NII-03"


def test_the_stored_name_is_the_last_part_printable_and_bounded() -> None:
    found, _ = check_attachment(AttachmentKind.PHOTO, '..\\..\\etc/pass"wd\n.png', PNG, None, 0)
    assert found is not None and found.filename == "passwd.png"
    long, _ = check_attachment(AttachmentKind.PHOTO, "a" * 500, PNG, None, 0)
    assert long is not None and len(long.filename) == 120


def test_a_declaration_holds_a_bounded_number() -> None:
    _, problems = check_attachment(AttachmentKind.PHOTO, "a.png", PNG, None,
                                   MOST_PER_DECLARATION)
    assert "at most" in problems[0].message
