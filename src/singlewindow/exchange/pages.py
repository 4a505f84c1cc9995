"""The network in the console: this node, its partners and the live traffic between them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from singlewindow.access.model import Principal, Role
from singlewindow.core.clock import utcnow
from singlewindow.exchange.services import Gateway
from singlewindow.web.menu import N_, entry
from singlewindow.web.session import page_role
from singlewindow.web.texts import render

router = APIRouter()

MENU = [entry("/network", N_("Network"), Role.OFFICER, Role.ADMIN, Role.MANAGER, order=80)]

NetworkPage = Annotated[Principal, Depends(page_role(Role.OFFICER, Role.ADMIN, Role.MANAGER))]
WINDOW = timedelta(minutes=1)  # "messages per minute" counts the last minute


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
    return render(request, "exchange/network.html", {"gateway": gateway, "links": links})


@router.get("/network/traffic")
def traffic(request: Request, _: NetworkPage) -> Response:
    """The live figures, for the page to refresh every few seconds (htmx)."""
    gateway = _gateway(request)
    links = _links(gateway) if gateway else []
    return render(request, "exchange/traffic.html", {"links": links,
                                                     "at": utcnow().strftime("%H:%M:%S")})
