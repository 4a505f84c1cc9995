"""HTTP edge of the exchange room: the non-repudiation log and the traffic counters, for
officers. (`POST /as4`, the access point's receive endpoint, is `exchange.endpoint`.)
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from singlewindow.api.deps import OfficerDep
from singlewindow.api.pages import Page
from singlewindow.core.fields import Limit, Offset
from singlewindow.exchange.model import Direction
from singlewindow.exchange.schemas import MessageEvidenceRead, MessageLogRead
from singlewindow.exchange.services import Gateway

router = APIRouter(tags=["exchange"])


def get_gateway(request: Request) -> Gateway:
    return request.app.state.exchange


@router.get("/exchange/messages", response_model=Page[MessageLogRead])
def list_messages(
    request: Request,
    _: OfficerDep,
    party: str | None = None,
    action: str | None = None,
    status: str | None = None,
    direction: Direction | None = None,
    conversation_id: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[MessageLogRead]:
    """Messages sent to and received from other nodes (officer), newest first, filtered
    by partner, action, status, direction or conversation."""
    rows, total = get_gateway(request).list_messages(
        party=party, action=action, status=status, direction=direction,
        conversation_id=conversation_id, limit=limit, offset=offset,
    )
    items = [MessageLogRead.model_validate(row) for row in rows]
    return Page[MessageLogRead](items=items, total=total, limit=limit, offset=offset)


@router.get("/exchange/statistics", response_model=dict[str, int])
def statistics(request: Request, _: OfficerDep) -> dict[str, int]:
    """Traffic counters: sent, delivered, pending, received, duplicates_dropped, failed_inbound."""
    return get_gateway(request).statistics()


@router.get("/exchange/messages/{message_id}", response_model=list[MessageEvidenceRead])
def get_message(request: Request, message_id: str, _: OfficerDep) -> list[MessageEvidenceRead]:
    """One message's evidence (officer): each entry of its log, with the signed envelope
    and the signal (receipt or error) in base64."""
    rows = get_gateway(request).get_message(message_id)
    return [MessageEvidenceRead.from_row(row) for row in rows]
