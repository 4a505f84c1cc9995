"""The exchange room's use cases, behind one `Gateway`: send, receive, deliver, process, look up.

A node makes one `Gateway` at start-up, mounts `exchange.api.router`, and starts the
workers. The gateway is a facade over the room's three stores, as intergov names them: the
`Outbox` (what this node sends, and what each delivery proved), the `Inbox` (what partners
post, kept once and handed to handlers) and the `MessageLog` (the evidence of both, for
officers). Capabilities register handlers for the (service, action) they receive and call
`gateway.send(session, ...)` inside their own unit of work, so that a business change and the
message announcing it commit together (the transactional outbox).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from singlewindow.core.clock import utcnow
from singlewindow.core.db import Database
from singlewindow.exchange.inbox import (
    Admission,
    Handler,
    Inbox,
    IssuerReader,
    ReceiveResult,
    names_no_issuer,
)
from singlewindow.exchange.message_log import MessageLog
from singlewindow.exchange.model import Direction, OutboxStatus
from singlewindow.exchange.outbox import Outbox
from singlewindow.exchange.pki import NodeIdentity, Partner, TrustList
from singlewindow.exchange.pmode import ProcessingModes
from singlewindow.exchange.repository import MessageLogRow, OutboxClaim
from singlewindow.exchange.sending import Attempt, OutboundMessage
from singlewindow.exchange.workers import InboxProcessor, OutboxDeliveryWorker, Worker

__all__ = [
    "Admission",
    "Gateway",
    "Handler",
    "IssuerReader",
    "ReceiveResult",
    "names_no_issuer",
]


class Gateway:
    """This node's access point: its identity, its partners, its P-Modes and its database."""

    def __init__(
        self,
        database: Database,
        identity: NodeIdentity,
        trust_list: TrustList,
        pmode: ProcessingModes,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.identity = identity
        self.outbox = Outbox(database, identity, trust_list, pmode, clock)
        self.inbox = Inbox(database, identity, trust_list, pmode, clock)
        self.log = MessageLog(database)
        # Wake-ups for the workers of this process (they also poll, for other processes).
        self.outbox_event = self.outbox.wake
        self.inbox_event = self.inbox.wake
        self._workers: list[Worker] = []

    # The partners, P-Modes and clock are the outbox's and the inbox's: replaced in both.

    @property
    def trust_list(self) -> TrustList:
        return self.outbox.trust_list

    @trust_list.setter
    def trust_list(self, trust_list: TrustList) -> None:
        self.outbox.trust_list = self.inbox.trust_list = trust_list

    @property
    def pmode(self) -> ProcessingModes:
        return self.outbox.pmode

    @pmode.setter
    def pmode(self, pmode: ProcessingModes) -> None:
        self.outbox.pmode = self.inbox.pmode = pmode

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.outbox.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        self.outbox.clock = self.inbox.clock = clock

    # --- sending -------------------------------------------------------------------------

    def partner(self, party_id: str) -> Partner:
        return self.outbox.partner(party_id)

    def endpoint(self, party_id: str) -> str:
        return self.outbox.endpoint(party_id)

    def send(
        self,
        session: Session,
        to_party: str,
        service: str,
        action: str,
        payload: bytes,
        conversation_id: str | None = None,
        ref_to: str | None = None,
        message_id: str | None = None,
    ) -> str:
        """Enqueue a business document for `to_party`, in the caller's transaction."""
        return self.outbox.send(
            session, to_party, service, action, payload, conversation_id, ref_to, message_id
        )

    def build(self, row: OutboxClaim) -> OutboundMessage:
        return self.outbox.build(row)

    def record_attempts(
        self, worker: str, attempts: Sequence[Attempt]
    ) -> list[OutboxStatus | None]:
        return self.outbox.record_attempts(worker, attempts)

    def requeue(self, message_id: str) -> None:
        self.outbox.requeue(message_id)

    # --- receiving -----------------------------------------------------------------------

    def register_handler(
        self,
        service: str,
        action: str,
        handler: Handler,
        *,
        issuer: IssuerReader,
        admit: Admission | None = None,
    ) -> None:
        """See `Inbox.register_handler`."""
        self.inbox.register_handler(service, action, handler, issuer=issuer, admit=admit)

    def receive(self, body: bytes, headers: Mapping[str, str]) -> ReceiveResult:
        return self.inbox.receive(body, headers)

    def process_inbox(self, limit: int = 100) -> int:
        return self.inbox.process(limit)

    def retry_inbox(self, message_id: str, from_party: str | None = None) -> None:
        self.inbox.retry(message_id, from_party)

    # --- the non-repudiation log ---------------------------------------------------------

    def list_messages(
        self,
        *,
        party: str | None = None,
        action: str | None = None,
        status: str | None = None,
        direction: Direction | None = None,
        conversation_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[Sequence[MessageLogRow], int]:
        return self.log.find(
            party=party, action=action, status=status, direction=direction,
            conversation_id=conversation_id, limit=limit, offset=offset,
        )

    def statistics(self) -> dict[str, int]:
        return self.log.statistics()

    def get_message(self, message_id: str) -> list[MessageLogRow]:
        return self.log.entries(message_id)

    # --- workers -------------------------------------------------------------------------

    def start_workers(self, *, delivery_workers: int = 1, inbox_processors: int = 1) -> None:
        for _ in range(delivery_workers):
            self._workers.append(OutboxDeliveryWorker(self))
        for _ in range(inbox_processors):
            self._workers.append(InboxProcessor(self))
        for worker in self._workers:
            worker.start()

    def stop_workers(self, timeout: float = 10.0) -> None:
        for worker in self._workers:
            worker.stop(timeout)
        self._workers.clear()
