"""Facts the origin room tells the others (published on the node's `core.events.EventBus`,
in the transaction of the decision).

    CertificateAccepted   this node accepted a received e-Form D (its ATIGA rate is granted)
    CertificateRejected   this node rejected one, on receipt or after verification
"""

from __future__ import annotations

from dataclasses import dataclass

from singlewindow.core.events import Event


@dataclass(frozen=True)
class CertificateAccepted(Event):
    reference: str
    issuing_country: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class CertificateRejected(Event):
    reference: str
    issuing_country: str
    reasons: tuple[str, ...]
