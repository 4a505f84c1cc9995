"""Errors of the exchange room, by kind (see `singlewindow.core.errors`).

    SingleWindowError
    ├── Invalid
    │   ├── InvalidProcessingMode   a P-Mode file or dict that does not make sense
    │   └── TrustError              a certificate or trust list entry that cannot be accepted
    ├── Forbidden
    │   └── NotAllowedByPMode       no P-Mode leg lets this node send that to that partner
    ├── NotFound
    │   └── UnknownMessage          no message with that id in the non-repudiation log
    └── Conflict
        └── MessageStateConflict    an outbox/inbox transition the state table refuses

ebMS errors (what a partner gets back when its message is refused) are signals, not
exceptions of this tree: see `singlewindow.exchange.refusals`.
"""

from __future__ import annotations

from singlewindow.core.errors import Conflict, Forbidden, Invalid, NotFound


class InvalidProcessingMode(Invalid):
    pass


class TrustError(Invalid):
    pass


class NotAllowedByPMode(Forbidden):
    pass


class UnknownMessage(NotFound):
    pass


class MessageStateConflict(Conflict):
    pass
