"""The message log: every message this node sent or received, with its evidence (the signed
envelope, the receipt or error signal), for officers, and the node's traffic counters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from singlewindow.core.db import Database
from singlewindow.exchange import repository
from singlewindow.exchange.errors import UnknownMessage
from singlewindow.exchange.model import Direction
from singlewindow.exchange.repository import MessageLogRow


class MessageLog:
    """The non-repudiation log of this node's messages, in both directions."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def find(
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
        with self.database.unit_of_work() as session:
            return repository.find_log(
                session,
                party=party,
                action=action,
                status=status,
                direction=direction,
                conversation_id=conversation_id,
                limit=limit,
                offset=offset,
            )

    def statistics(self) -> dict[str, int]:
        """Counts of this node's traffic: sent, delivered, pending (outbound not yet
        delivered), received, duplicates_dropped (copies of received messages refused),
        failed_inbound (received messages whose handler failed)."""
        with self.database.unit_of_work() as session:
            return repository.statistics(session)

    def traffic(self, since: datetime) -> dict[str, dict[str, float]]:
        """Per partner: messages since `since`, pending and failed now, mean delivery lag."""
        with self.database.unit_of_work() as session:
            return repository.traffic_by_partner(session, since)

    def entries(self, message_id: str) -> list[MessageLogRow]:
        """Every log entry of a message id (one per direction this node saw it in, and per
        sender: message ids are unique per sender only)."""
        with self.database.unit_of_work() as session:
            rows = repository.log_entries(session, message_id)
        if not rows:
            raise UnknownMessage(f"no message {message_id} in the message log")
        return rows
