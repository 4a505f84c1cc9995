"""Who may do what: users with one role each, and the principal a request acts as."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    TRADER = "trader"  # lodges and follows its own declarations (declarant or broker)
    OFFICER = "officer"  # works the declarations of its customs office
    ADMIN = "admin"  # manages tariffs, risk rules and users
    ISSUER = "issuer"  # an issuing authority for certificates of origin
    BANK = "bank"  # a bank or the treasury: confirms payments of duties and taxes


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    username: str
    role: Role
    party_id: str | None = None  # the trader's or bank's identifier (TIN/EORI-like, BIC)
    office: str | None = None  # the customs office code, for officers

    def owns(self, party_id: str) -> bool:
        return self.role is Role.TRADER and self.party_id == party_id
