"""Sample content that makes a new node usable at once: users of each role, a guarantee, a
few risk profiles and the packaged sample tariff. Clearly sample data, never loaded unless
asked for (`singlewindow serve --sample`, `singlewindow up`)."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from singlewindow.access import services as access
from singlewindow.access.errors import UsernameTaken
from singlewindow.access.model import Principal, Role
from singlewindow.core.countries import member_state
from singlewindow.core.db import Database
from singlewindow.declarations.lifecycle import RepresentationKind
from singlewindow.declarations.representation import Representations
from singlewindow.declarations.services import Clearance
from singlewindow.declarations.settlement import Guarantees
from singlewindow.reference.services import ensure_sample_reference
from singlewindow.risk import services as risk
from singlewindow.risk.model import Channel
from singlewindow.tariff.services import ensure_sample_schedule
from singlewindow.transit.services import Transit

OFFICE = {"VN": "VNHCM01", "KH": "KHPNH01", "LA": "LAVTE01", "TH": "THBKK01",
          "MY": "MYKUL01", "SG": "SGSIN01", "ID": "IDJKT01", "PH": "PHMNL01",
          "BN": "BNBWN01", "MM": "MMRGN01"}
# The land border office where the sample border officer works: offices of departure,
# transit and destination of the sample transit route LA -> TH -> MY -> SG (ACTS's corridor).
BORDER_OFFICE = {"LA": "LAVTE01", "TH": "THNKI01", "MY": "MYBKH01", "SG": "SGWDL01"}


@dataclass(frozen=True)
class SampleUsers:
    admin: str
    officer: str
    trader: str
    issuer: str
    bank: str
    broker: str
    manager: str
    trader_party: str
    office: str
    bank_party: str
    broker_party: str
    border: str  # the border officer's token
    border_office: str
    transit_guarantee: str  # the sample trader's transit guarantee and its access code
    access_code: str

    def as_dict(self) -> dict[str, str]:
        return self.__dict__.copy()

    def tokens(self) -> dict[str, str]:
        """Each sample user's API token, by username."""
        return {username: getattr(self, username) for username in USERNAMES}


def trader_party(country: str) -> str:
    return f"{country}TRADER0001"


def broker_party(country: str) -> str:
    """The sample customs broker, a direct representative of the sample trader."""
    return f"{country}BROKER0001"


def bank_party(country: str) -> str:
    """The sample bank that collects duties and confirms them to customs."""
    return f"{country}SAMPLEBANK"


# The sample users, one of each role and a broker.
USERNAMES = ("admin", "officer", "trader", "issuer", "bank", "broker", "manager", "border")

# The sample users who work in the console, by role: each gets a password of its own, made
# afresh for every node and written to `console_users_file` (0600), never printed.
CONSOLE_USERS = ("trader", "officer", "issuer", "admin", "manager", "border")


def tokens_file(home: Path, country: str) -> Path:
    """Where the sample users' tokens are kept (0600): HOME/tokens-COUNTRY.json."""
    return home / f"tokens-{country}.json"


def console_users_file(home: Path) -> Path:
    """Where the sample console accounts are kept (0600): HOME/console-users.json."""
    return home / "console-users.json"


def console_users(home: Path) -> dict[str, dict[str, str]]:
    """The sample console accounts `load` wrote: `{role: {"username", "password"}}`."""
    accounts: dict[str, dict[str, str]] = json.loads(console_users_file(home).read_text())
    return {role: account for role, account in accounts.items() if role in CONSOLE_USERS}


def saved(home: Path, country: str) -> SampleUsers:
    """The sample users `load` wrote to `tokens_file(home, country)`: tokens, parties, office."""
    return SampleUsers(**json.loads(tokens_file(home, country).read_text()))


def load(database: Database, country: str, home: Path) -> SampleUsers:
    """Load the sample content once; tokens are written to `tokens_file(home, country)`,
    and nowhere else."""
    tokens = tokens_file(home, country)
    ensure_sample_schedule(database, country)
    ensure_sample_reference(database, country)
    try:
        admin_token = access.create_user(database, "admin", Role.ADMIN)
    except UsernameTaken:  # loaded before
        if tokens.exists():
            return saved(home, country)
        raise
    office = OFFICE.get(country, f"{country}OFF01")
    border_office = BORDER_OFFICE.get(country, office)
    party = trader_party(country)
    users = SampleUsers(
        admin=admin_token,
        officer=access.create_user(database, "officer", Role.OFFICER, office=office),
        trader=access.create_user(database, "trader", Role.TRADER, party_id=party),
        issuer=access.create_user(database, "issuer", Role.ISSUER),
        bank=access.create_user(database, "bank", Role.BANK, party_id=bank_party(country)),
        broker=access.create_user(
            database, "broker", Role.TRADER, party_id=broker_party(country)
        ),
        manager=access.create_user(database, "manager", Role.MANAGER),
        trader_party=party,
        office=office,
        bank_party=bank_party(country),
        broker_party=broker_party(country),
        border=access.create_user(database, "border", Role.OFFICER, office=border_office),
        border_office=border_office,
        transit_guarantee=f"{country}TGR0001",
        # A sample credential like the passwords: made afresh for each node, kept in the
        # tokens file only.
        access_code=f"{secrets.randbelow(10_000):04d}",
    )
    admin = Principal("admin", Role.ADMIN)
    # The trader itself registers its broker, as a represented party may.
    Representations(database).register(
        broker_party(country),
        party,
        RepresentationKind.DIRECT,
        date(2026, 1, 1),
        None,
        Principal("trader", Role.TRADER, party_id=party),
    )
    Guarantees(Clearance(database, country)).register(
        f"{country}GUA0001", party, Decimal("10000000000"), admin
    )
    Transit(database, country).register_guarantee(
        users.transit_guarantee, party, Decimal("50000000000"), member_state(country).currency,
        date(2026, 1, 1), date(2030, 12, 31), users.access_code, admin)
    for draft in _sample_rules():
        risk.create_rule(database, draft, "admin")
    _write_private(tokens, json.dumps(users.as_dict(), indent=2))
    _write_console_users(database, home)
    return users


def _write_console_users(database: Database, home: Path) -> None:
    accounts: dict[str, object] = {
        "_note": "SAMPLE credentials of a demonstration node: never use them on a real one",
    }
    for username in CONSOLE_USERS:
        password = f"sample-{secrets.token_urlsafe(12)}"
        access.set_password(database, username, password)
        accounts[username] = {"username": username, "password": password}
    _write_private(console_users_file(home), json.dumps(accounts, indent=2))


def _write_private(file: Path, text: str) -> None:
    """Write `file` readable by this user only from its first byte (0600, in a 0700
    directory if it makes one): it holds bearer tokens, the admin's among them."""
    if not file.parent.exists():
        file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a file made before this may be 0644
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)


def _sample_rules() -> list[risk.RuleDraft]:
    start = date(2026, 1, 1)
    return [
        risk.RuleDraft(
            name="Cigarettes: excise fraud",
            description="Sample profile: every consignment of cigarettes is examined.",
            criteria=[{"field": "commodity_code", "operator": "prefix", "value": "2402"}],
            channel=Channel.RED,
            valid_from=start,
        ),
        risk.RuleDraft(
            name="Undervaluation: declared at under 40 % of the usual unit value",
            description="Sample profile: documentary check of the invoice and valuation.",
            criteria=[{"field": "unit_value_ratio", "operator": "lt", "value": "0.4"}],
            channel=Channel.YELLOW,
            valid_from=start,
        ),
        risk.RuleDraft(
            name="High-value electronics",
            description="Sample profile: electronics above 500 million in customs value.",
            criteria=[
                {"field": "commodity_code", "operator": "prefix", "value": "85"},
                {"field": "customs_value", "operator": "gt", "value": "500000000"},
            ],
            channel=Channel.YELLOW,
            valid_from=start,
        ),
    ]
