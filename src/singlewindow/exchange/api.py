"""HTTP edge of the exchange room.

`POST /as4` is the access point's receive endpoint: not token-authenticated, since the
message signature is the authentication. The non-repudiation log is for officers.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Query, Request, Response

from singlewindow.api.deps import OfficerDep
from singlewindow.api.pages import Page
from singlewindow.exchange.model import Direction
from singlewindow.exchange.schemas import MessageEvidenceRead, MessageLogRead
from singlewindow.exchange.services import Gateway

router = APIRouter(tags=["exchange"])


def get_gateway(request: Request) -> Gateway:
    return request.app.state.exchange


async def receive_user_message(request: Request) -> Response:
    """AS4 receive endpoint (ebMS 3.0 user messages): the body goes to `Gateway.receive`
    as is, its receipt or error signal comes back as is."""
    body = await request.body()
    # The event loop's own thread pool: a plain future, cheaper per call than anyio's
    # `run_in_threadpool` (capacity limiter, cancel scope) for the CPU-bound `receive`.
    result = await asyncio.get_running_loop().run_in_executor(
        None, get_gateway(request).receive, body, dict(request.headers)
    )
    return Response(content=result.body, status_code=result.status, headers=result.headers)


# A plain Starlette route, not a FastAPI one: no dependency solving, no parameter or response
# model machinery on the hot path (the signed message is the only thing to check, and
# `receive` checks it). Not listed in the OpenAPI schema (its body is MIME, not JSON).
router.add_route("/as4", receive_user_message, methods=["POST"], name="receive_user_message")


@router.get("/exchange/messages", response_model=Page[MessageLogRead])
def list_messages(
    request: Request,
    _: OfficerDep,
    party: str | None = None,
    action: str | None = None,
    status: str | None = None,
    direction: Direction | None = None,
    conversation_id: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[MessageLogRead]:
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
    rows = get_gateway(request).get_message(message_id)
    return [MessageEvidenceRead.from_row(row) for row in rows]
