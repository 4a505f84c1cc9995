"""The AEO messages between customs nodes under a mutual recognition arrangement, the AS4
payloads of service `urn:asw:aeo` (JSON):

    administration ──AEO.List───▶ partner   its consented operators, when the arrangement
                                            starts (in parts of at most LIST_PART operators)
    administration ──AEO.Change─▶ partner   one change of one operator, as it happens
    administration ◀─AEO.ListRequest── partner   a partner that recorded the arrangement after
                                            it started asks for the list it missed

Each operator entry carries the version of its authorisation at home, so a partner keeps the
latest whatever order messages arrive in. A document names its administration, which the
gateway checks against the signer; every operator in it must be that administration's (its
id starts with the country's code).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from singlewindow.aeo.errors import UnreadableNotice
from singlewindow.aeo.model import (
    PARTNER_STATUSES,
    Change,
    PartnerOperator,
    administration_of,
    operator_problem,
)
from singlewindow.core.countries import customs_party, is_country

SERVICE = "urn:asw:aeo"
LIST = "AEO.List"
CHANGE = "AEO.Change"
LIST_REQUEST = "AEO.ListRequest"
NOTICES = (LIST, CHANGE)  # about the sender's operators
ACTIONS = (*NOTICES, LIST_REQUEST)
LIST_PART = 2000  # operators in one list message: 10,000 go in five


@dataclass(frozen=True)
class PartnerNotice:
    """A list part or a change, read and checked: the administration's operators."""

    administration: str
    arrangement: str
    kind: str  # list or change
    operators: tuple[PartnerOperator, ...]
    change: Change | None = None


def entry(operator: PartnerOperator) -> dict[str, Any]:
    return {"Operator": operator.operator, "Name": operator.name, "Types": list(operator.types),
            "Status": operator.status, "Version": operator.version,
            "At": operator.told_at.isoformat()}


def list_document(administration: str, arrangement: str, part: int, parts: int,
                  operators: list[PartnerOperator]) -> bytes:
    return orjson.dumps({"Administration": administration, "Arrangement": arrangement,
                         "Part": part, "Parts": parts,
                         "Operators": [entry(o) for o in operators]})


def change_document(administration: str, arrangement: str, change: Change,
                    operator: PartnerOperator) -> bytes:
    return orjson.dumps({"Administration": administration, "Arrangement": arrangement,
                         "Change": change.value, "Operators": [entry(operator)]})


def request_document(administration: str, arrangement: str) -> bytes:
    return orjson.dumps({"Administration": administration, "Arrangement": arrangement})


def read_request(payload: bytes) -> tuple[str, str]:
    """The administration asking for our list, and under which arrangement."""
    _, country, arrangement = _header(payload)
    return country, arrangement


def _header(payload: bytes) -> tuple[dict[str, Any], str, str]:
    """The document, its administration and its arrangement; UnreadableNotice if not."""
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise UnreadableNotice(f"the payload is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise UnreadableNotice("the payload is not a JSON object")
    country, arrangement = document.get("Administration"), document.get("Arrangement")
    if not isinstance(country, str) or not is_country(country):
        raise UnreadableNotice("Administration: an ISO country code is required")
    if not isinstance(arrangement, str) or not 1 <= len(arrangement) <= 40:
        raise UnreadableNotice("Arrangement: the arrangement's id is required")
    return document, country, arrangement


def administration_issuer(payload: bytes) -> str | None:
    """The issuer a document names: the customs of its administration."""
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    country = document.get("Administration") if isinstance(document, dict) else None
    return customs_party(country) if isinstance(country, str) and is_country(country) else None


def read(payload: bytes, action: str) -> PartnerNotice:
    """The notice of a payload; UnreadableNotice says what is wrong and where."""
    document, country, arrangement = _header(payload)
    raw = document.get("Operators")
    if not isinstance(raw, list) or not raw or len(raw) > LIST_PART:
        raise UnreadableNotice(f"Operators: 1 to {LIST_PART} operators")
    operators = tuple(_operator(item, f"Operators.{i}", country) for i, item in enumerate(raw))
    change = None
    if action == CHANGE:
        try:
            change = Change(document.get("Change"))
        except ValueError:
            raise UnreadableNotice("Change: one of " + ", ".join(c.value for c in Change)
                                   ) from None
        if len(operators) != 1:
            raise UnreadableNotice("Operators: a change is about one operator")
    return PartnerNotice(country, arrangement, "change" if change else "list", operators,
                         change)


def _operator(item: Any, path: str, country: str) -> PartnerOperator:
    if not isinstance(item, dict):
        raise UnreadableNotice(f"{path}: an object is required")
    number = item.get("Operator")
    if not isinstance(number, str) or (problem := operator_problem(number)) is not None:
        raise UnreadableNotice(f"{path}.Operator: "
                               f"{problem if isinstance(number, str) else 'missing'}")
    if administration_of(number) != country:
        raise UnreadableNotice(f"{path}.Operator: {number} is not an operator of {country}: "
                               f"an administration tells only of its own operators")
    name, types, status = item.get("Name"), item.get("Types"), item.get("Status")
    version, at = item.get("Version"), item.get("At")
    if not isinstance(name, str) or len(name) > 200:
        raise UnreadableNotice(f"{path}.Name: up to 200 characters")
    if (not isinstance(types, list) or len(types) > 10
            or not all(isinstance(t, str) and len(t) <= 40 for t in types)):
        raise UnreadableNotice(f"{path}.Types: up to 10 names")
    if status not in PARTNER_STATUSES:
        raise UnreadableNotice(f"{path}.Status: one of {', '.join(sorted(PARTNER_STATUSES))}")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= 10**9:
        raise UnreadableNotice(f"{path}.Version: a whole number from 1")
    try:
        told_at = datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        told_at = None
    if told_at is None or told_at.tzinfo is None:
        raise UnreadableNotice(f"{path}.At: a date and time with its offset")
    return PartnerOperator(number, name, tuple(types), status, version, told_at)
