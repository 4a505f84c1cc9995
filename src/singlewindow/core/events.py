"""Facts one room tells the others, on a small in-process bus.

A room publishes typed facts from its own `events.py` (`DeclarationLodged`,
`DeclarationReleased`, `CertificateAccepted`, ...): frozen dataclasses that name what happened
in customs words. Handlers are registered in one place, the composition root (`node.py`), and
run synchronously inside the publisher's unit of work (the `Session` passed to `publish`): a
handler that must tell a partner writes to the exchange outbox in that same session, so the
change and the message announcing it commit together or not at all. A handler that raises
aborts the publisher's transaction, which is what a cross-room rule wants.

Handlers run in the order they were subscribed, for the event's class and each of its bases.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session


class Event:
    """Base class of every published fact (subclasses are frozen dataclasses)."""


E = TypeVar("E", bound=Event)
Handler = Callable[[Session, Any], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type[Event], list[Handler]] = defaultdict(list)

    def subscribe(self, kind: type[E], handler: Callable[[Session, E], None]) -> None:
        self._handlers[kind].append(handler)

    def handlers(self, kind: type[Event]) -> list[Handler]:
        return [h for base in kind.__mro__ if base in self._handlers for h in self._handlers[base]]

    def publish(self, session: Session, event: Event) -> None:
        for handler in self.handlers(type(event)):
            handler(session, event)
