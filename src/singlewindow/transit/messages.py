"""The transit messages between customs nodes, by their NCTS names, as the AS4 payloads of
service `urn:asw:transit` (JSON, names after the NCTS data groups):

    departure ──IE001 anticipated arrival record──▶ destination
    departure ──IE050 anticipated transit record──▶ each office of transit's node
    departure ◀─IE118 crossing notice────────────── office of transit (declared)
    departure ◀─IE115 crossing at another office─── office of transit (not declared)
    departure ◀─IE006 arrival advice─────────────── destination
    departure ◀─IE018 control results────────────── destination

Each document names the party that issued it, which the gateway checks against the signer:
an anticipated record is the departure's (the MRN's country), a notice is its office's
country's. Standard library only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from singlewindow.core.countries import customs_party
from singlewindow.transit.model import mrn_problem

SERVICE = "urn:asw:transit"
IE001 = "IE001"
IE050 = "IE050"
IE118 = "IE118"
IE115 = "IE115"
IE006 = "IE006"
IE018 = "IE018"
ANTICIPATED = (IE001, IE050)  # from the departure
NOTICES = (IE118, IE115, IE006, IE018)  # to the departure
ACTIONS = (*ANTICIPATED, *NOTICES)


class UnreadableMessage(ValueError):
    pass


@dataclass(frozen=True)
class Notice:
    """What an office tells the departure: a crossing (IE118, IE115), an arrival (IE006) or
    the control results (IE018)."""

    mrn: str
    office: str
    at: datetime
    seals_intact: bool = True
    discrepancies: tuple[str, ...] = ()
    remarks: str = ""

    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = {"MRN": self.mrn, "Office": self.office,
                                    "At": self.at.isoformat()}
        if self.discrepancies or not self.seals_intact or self.remarks:
            document |= {"SealsIntact": self.seals_intact,
                         "Discrepancies": list(self.discrepancies), "Remarks": self.remarks}
        return document


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def read(payload: bytes) -> dict[str, Any]:
    """The document of a payload, with a readable MRN; UnreadableMessage says what is wrong."""
    try:
        document = json.loads(payload)
    except ValueError as exc:
        raise UnreadableMessage(f"the payload is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise UnreadableMessage("the payload is not a JSON object")
    number = document.get("MRN")
    if not isinstance(number, str) or (problem := mrn_problem(number)) is not None:
        raise UnreadableMessage(f"MRN: {problem if isinstance(number, str) else 'missing'}")
    return document


def read_anticipated(payload: bytes) -> dict[str, Any]:
    """An anticipated record (IE001, IE050), with its time limit readable."""
    document = read(payload)
    limit = document.get("TimeLimit")
    try:
        moment = datetime.fromisoformat(limit) if isinstance(limit, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise UnreadableMessage("TimeLimit: an ISO 8601 moment with its offset")
    return document


def read_notice(payload: bytes) -> Notice:
    document = read(payload)
    office, at = document.get("Office"), document.get("At")
    if not isinstance(office, str) or not 3 <= len(office) <= 8:
        raise UnreadableMessage("Office: an office code of 3 to 8 characters")
    try:
        moment = datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise UnreadableMessage("At: an ISO 8601 moment with its offset")
    discrepancies = document.get("Discrepancies", [])
    if not isinstance(discrepancies, list) or not all(
            isinstance(d, str) and len(d) <= 500 for d in discrepancies) or len(
            discrepancies) > 100:
        raise UnreadableMessage("Discrepancies: at most 100 texts of 500 characters")
    remarks = document.get("Remarks", "")
    return Notice(document["MRN"], office, moment, bool(document.get("SealsIntact", True)),
                  tuple(discrepancies), remarks if isinstance(remarks, str) else "")


def departure_issuer(payload: bytes) -> str | None:
    """The issuer of an anticipated record: the customs of the MRN's country (the departure)."""
    try:
        return customs_party(read(payload)["MRN"][2:4])
    except UnreadableMessage:
        return None  # the handler refuses it in its own words


def office_issuer(payload: bytes) -> str | None:
    """The issuer of a notice: the customs of the office's country."""
    try:
        return customs_party(read_notice(payload).office[:2])
    except UnreadableMessage:
        return None
