"""What the learned model knows of a declaration: a neutral record, whatever the source.

The node maps its own declarations to a `ScoringRecord`; the public CIDD data set is read into
the same record (see `cidd.py`). The labels (`fraud`, `critical`) are the inspection outcome:
present on history used for training, absent (None) on a declaration being scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class ScoringRecord:
    declaration_id: str
    date: date  # of lodgement (acceptance); history features use only results dated before it
    office: str
    importer: str
    declarant: str
    seller: str
    courier: str
    hs6: str  # six digits, leading zeros kept
    origin: str  # country of origin, ISO 3166 alpha-2
    departure: str  # country of departure (consignment), ISO 3166 alpha-2
    transport_mode: str
    tax_rate: float  # duty rate applied, per cent
    tax_type: str  # the kind of rate applied (MFN, a preference, a suspension...)
    net_mass: float  # kilograms
    value: float  # customs value, in the national currency
    # Further declared descriptors a node may have; empty when unknown.
    procedure: str = ""  # customs procedure / import type
    declaration_type: str = ""  # e.g. pre-arrival, at arrival, after warehousing
    goods_use: str = ""  # declared use of the goods
    payment_method: str = ""
    origin_claim: str = ""  # how origin is claimed (preference indicator)
    # Inspection outcome, known only for inspected history.
    fraud: bool | None = None
    critical: bool | None = None

    @property
    def hs4(self) -> str:
        return self.hs6[:4]

    @property
    def hs2(self) -> str:
        return self.hs6[:2]

    @property
    def inspected(self) -> bool:
        return self.fraud is not None
