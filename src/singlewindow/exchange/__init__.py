"""exchange: the AS4 gateway between nodes (ebMS 3.0 user messages, receipts, outbox, inbox).

Wiring, once at start-up (the node does it):

    gateway = exchange.Gateway(database, NodeIdentity.load(dir), TrustList.load(path),
                               ProcessingModes.load(path))
    app.state.exchange = gateway
    app.include_router(exchange.router)
    gateway.register_handler(service, action, handler,   # handler(session, UserMessage)
                             issuer=lambda payload: ...)  # the party that issued it, or None
    gateway.start_workers()  ...  gateway.stop_workers()

Capabilities are given the gateway and enqueue a document with `gateway.send(session,
to_party, service, action, payload, conversation_id, ref_to)` inside their own unit of work.
"""

from __future__ import annotations

from singlewindow.exchange.model import Direction, InboxStatus, OutboxStatus, UserMessage
from singlewindow.exchange.pki import NodeIdentity, Partner, TrustList
from singlewindow.exchange.pmode import ProcessingModes
from singlewindow.exchange.services import (
    Gateway,
    IssuerReader,
    ReceiveResult,
    names_no_issuer,
)

__all__ = [
    "Direction",
    "Gateway",
    "InboxStatus",
    "IssuerReader",
    "NodeIdentity",
    "OutboxStatus",
    "Partner",
    "ProcessingModes",
    "ReceiveResult",
    "TrustList",
    "UserMessage",
    "names_no_issuer",
]
