"""The transit messages' payloads: what they carry, and who may have issued each."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from singlewindow.transit.messages import (
    Notice,
    UnreadableMessage,
    departure_issuer,
    encode,
    office_issuer,
    read,
    read_notice,
)
from singlewindow.transit.model import mrn

NUMBER = mrn(2026, "LA", "00000000A1B2")
AT = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)


def test_a_notice_travels_whole_and_names_its_offices_country() -> None:
    notice = Notice(NUMBER, "SGWDL01", AT, seals_intact=False,
                    discrepancies=("seal LA-88213 broken",), remarks="resealed SG-1")
    payload = encode(notice.document())
    assert read_notice(payload) == notice
    assert office_issuer(payload) == "SG-CUSTOMS"
    assert departure_issuer(encode({"MRN": NUMBER})) == "LA-CUSTOMS"
    plain = Notice(NUMBER, "THNKI01", AT)
    assert "Discrepancies" not in plain.document() and read_notice(
        encode(plain.document())) == plain


@pytest.mark.parametrize(("document", "says"), [
    (b"not json", "not JSON"),
    (b"[1]", "not a JSON object"),
    (encode({"MRN": NUMBER[:-1] + "0" if NUMBER[-1] != "0" else NUMBER[:-1] + "1"}),
     "check character"),
    (encode({"Office": "THNKI01"}), "MRN: missing"),
])
def test_an_unreadable_payload_says_what_is_wrong(document: bytes, says: str) -> None:
    with pytest.raises(UnreadableMessage, match=says):
        read(document)
    assert departure_issuer(document) is None


def test_a_notice_without_its_office_or_moment_is_refused() -> None:
    with pytest.raises(UnreadableMessage, match="Office"):
        read_notice(encode({"MRN": NUMBER, "At": AT.isoformat()}))
    with pytest.raises(UnreadableMessage, match="At"):
        read_notice(encode({"MRN": NUMBER, "Office": "THNKI01", "At": "2026-12-02T10:30"}))
    with pytest.raises(UnreadableMessage, match="Discrepancies"):
        read_notice(encode({"MRN": NUMBER, "Office": "SGWDL01", "At": AT.isoformat(),
                            "Discrepancies": ["x" * 501]}))
    assert office_issuer(encode({"MRN": NUMBER})) is None
