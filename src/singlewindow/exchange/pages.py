"""The network in the console: this node, its partners and the live traffic between them, and
the message log (every message sent and received, with its receipt or error) for officers."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import utcnow
from singlewindow.core.fields import Offset
from singlewindow.exchange.errors import UnknownMessage
from singlewindow.exchange.model import Direction, InboxStatus, OutboxStatus
from singlewindow.exchange.repository import MessageLogRow
from singlewindow.exchange.services import Gateway
from singlewindow.web.menu import N_, entry
from singlewindow.web.session import OfficerPage, page_role
from singlewindow.web.texts import render

router = APIRouter()

MENU = [
    entry("/network", N_("Network"), Role.OFFICER, Role.ADMIN, Role.MANAGER, order=80),
    entry("/messages", N_("Message log"), Role.OFFICER, Role.ADMIN, order=81),
]

NetworkPage = Annotated[Principal, Depends(page_role(Role.OFFICER, Role.ADMIN, Role.MANAGER))]
WINDOW = timedelta(minutes=1)  # "messages per minute" counts the last minute
PAGE_SIZE = 25

# A log entry's status is its outbox status (sent) or inbox status (received).
STATUSES = sorted({*(s.value for s in OutboxStatus), *(s.value for s in InboxStatus)})
WORDS = (N_("pending"), N_("sending"), N_("delivered"), N_("failed"), N_("rejected"),
         N_("gave_up"), N_("received"), N_("processed"), N_("outbound"), N_("inbound"))


@dataclass(frozen=True)
class PartnerLink:
    party_id: str
    country: str
    endpoint: str
    certificate_expires: datetime
    services: list[str]
    recent: int
    pending: int
    failed: int
    lag: float
    x: float  # where the diagram draws it
    y: float


def _links(gateway: Gateway) -> list[PartnerLink]:
    traffic = gateway.log.traffic(utcnow() - WINDOW)
    partners = sorted(gateway.trust_list, key=lambda p: p.country)
    links = []
    for index, partner in enumerate(partners):
        angle = 2 * math.pi * index / max(len(partners), 1) - math.pi / 2
        mode = gateway.pmode.partners.get(partner.party_id)
        legs = sorted({f"{leg.service.rsplit('/', 1)[-1]} {leg.action}"
                       for leg in (mode.send + mode.receive if mode else ())})
        figures = traffic.get(partner.party_id, {})
        links.append(PartnerLink(
            partner.party_id, partner.country, partner.endpoint,
            partner.certificate.not_valid_after_utc.astimezone(UTC), legs,
            int(figures.get("recent", 0)), int(figures.get("pending", 0)),
            int(figures.get("failed", 0)), float(figures.get("lag", 0.0)),
            200 + 150 * math.cos(angle), 180 + 140 * math.sin(angle)))
    return links


def _gateway(request: Request) -> Gateway | None:
    gateway: Gateway | None = request.app.state.exchange
    return gateway


@router.get("/network")
def network(request: Request, _: NetworkPage) -> Response:
    gateway = _gateway(request)
    links = _links(gateway) if gateway else []
    return render(request, "exchange/network.html", {"gateway": gateway, "links": links,
                                                     "at": utcnow().strftime("%H:%M:%S")})


@router.get("/network/traffic")
def traffic(request: Request, _: NetworkPage) -> Response:
    """The live figures, for the page to refresh every few seconds (htmx)."""
    gateway = _gateway(request)
    links = _links(gateway) if gateway else []
    return render(request, "exchange/traffic.html", {"links": links,
                                                     "at": utcnow().strftime("%H:%M:%S")})


def _filter(value: str | None) -> str | None:
    return value.strip() or None if value else None


@router.get("/messages")
def messages(
    request: Request,
    _: OfficerPage,
    party: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=255)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    direction: Annotated[Direction | None, Query()] = None,
    conversation_id: Annotated[str | None, Query(max_length=255)] = None,
    offset: Offset = 0,
) -> Response:
    """The message log, newest first, as the API lists it (`Gateway.list_messages`)."""
    gateway = _gateway(request)
    filters = {"party": _filter(party) or "", "action": _filter(action) or "",
               "status": _filter(status) or "", "direction": direction.value if direction else "",
               "conversation_id": _filter(conversation_id) or ""}
    rows: list[MessageLogRow] = []
    total = 0
    if gateway is not None:
        found, total = gateway.list_messages(
            party=filters["party"] or None, action=filters["action"] or None,
            status=filters["status"] or None, direction=direction,
            conversation_id=filters["conversation_id"] or None, limit=PAGE_SIZE, offset=offset)
        rows = list(found)
    partners = sorted(p.party_id for p in gateway.trust_list) if gateway else []
    actions = sorted({leg.action for mode in gateway.pmode.partners.values()
                      for leg in (*mode.send, *mode.receive)}) if gateway else []
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(request, "exchange/messages.html", {
        "gateway": gateway, "rows": rows, "total": total, "offset": offset,
        "page_size": PAGE_SIZE, "filters": filters, "query": query, "partners": partners,
        "actions": actions, "statuses": STATUSES, "directions": list(Direction),
    })


@router.get("/messages/{message_id:path}")
def message(request: Request, message_id: str, _: OfficerPage) -> Response:
    """One message: each entry of its log (a direction, a sender) with its receipt or error."""
    gateway = _gateway(request)
    if gateway is None:
        raise UnknownMessage(f"no message {message_id}: this node is not on a network")
    entries = [_Evidence.of(row) for row in gateway.get_message(message_id)]
    return render(request, "exchange/message.html",
                  {"message_id": message_id, "entries": entries})


@dataclass(frozen=True)
class _Evidence:
    """A log entry as the page shows it: the receipt or error signal as text; of the signed
    envelope (MIME, its payload part encrypted) only its size: the API gives it whole."""

    row: MessageLogRow
    envelope_size: int
    signal: str

    @classmethod
    def of(cls, row: MessageLogRow) -> _Evidence:
        return cls(row, len(row.envelope or b""),
                   (row.signal or b"").decode("utf-8", errors="replace"))
