"""A local network: one real node process per country on loopback, each with its own database
and keys, wired with a common CA, trust lists and P-Modes; started by `singlewindow up`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
from rich.console import Console, Group
from rich.table import Table

from singlewindow.aeo import messages as aeo_messages
from singlewindow.core.config import SETTINGS_VARIABLE
from singlewindow.core.countries import customs_party, member_state
from singlewindow.core.paths import API_DOCS, api_url
from singlewindow.devnet import sample
from singlewindow.devnet.aeo import aeos_of
from singlewindow.devnet.ecommerce import parcels_of
from singlewindow.devnet.enforcement import alerts_of
from singlewindow.devnet.green import wastes_of
from singlewindow.devnet.traffic import Account, Traffic, run_traffic
from singlewindow.devnet.transhipment import hubs_of
from singlewindow.devnet.trucks import trucks_of
from singlewindow.enforcement import messages as enforcement_messages
from singlewindow.exchange import pki
from singlewindow.node import PMODE, TRUST_LIST
from singlewindow.transit import messages as transit_messages

console = Console()

# What every node may exchange with every other node.
EXCHANGES = [
    ("urn:asw:pre-arrival", "ACDD"),
    ("urn:asw:origin", "FormD"),
    ("urn:asw:origin", "FormD.Acceptance"),
    ("urn:asw:origin", "FormD.Rejection"),
    *((transit_messages.SERVICE, action) for action in transit_messages.ACTIONS),
    *((aeo_messages.SERVICE, action) for action in aeo_messages.ACTIONS),
    *((enforcement_messages.SERVICE, action) for action in enforcement_messages.ACTIONS),
]


@dataclass
class NodeProcess:
    country: str
    port: int
    home: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        """The base URL of its JSON API."""
        return api_url(self.url)

    @property
    def party_id(self) -> str:
        return customs_party(self.country)

    def tokens(self) -> dict[str, str]:
        """The sample users' tokens by username, and the parties and office they act for, as
        the node wrote them at its start."""
        return sample.saved(self.home, self.country).as_dict()

    def account(self) -> Account:
        """The node as the traffic knows it: its URL and its sample users."""
        users = sample.saved(self.home, self.country)
        return Account(self.country, self.url, users.tokens(), users.trader_party,
                       users.broker_party, users.office, users.border_office,
                       users.transit_guarantee, users.access_code)

    def start(self, extra_env: dict[str, str] | None = None, workers: int = 1) -> None:
        # The node's database, tokens and log are for its own user only, as its keys are.
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.home.chmod(0o700)
        env = os.environ | {
            "SINGLEWINDOW_COUNTRY": self.country,
            "SINGLEWINDOW_HOME": str(self.home),
            "SINGLEWINDOW_SAMPLE": "1",
            # A demonstration network sees a late truck go to enquiry and then to recovery
            # within its run (NCTS: days and weeks).
            "SINGLEWINDOW_TRANSIT_ENQUIRY_AFTER": "5",
            "SINGLEWINDOW_TRANSIT_ENQUIRY_PERIOD": "10",
        }
        env.pop("SINGLEWINDOW_DATABASE_URL", None)  # each node its own SQLite database
        env.pop(SETTINGS_VARIABLE, None)  # its settings are the variables above
        env |= extra_env or {}
        log = os.fdopen(
            os.open(self.home / "node.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab"
        )
        os.fchmod(log.fileno(), 0o600)  # a log made before this was 0644
        with log:  # the node writes to its own copy
            self.process = self._spawn(env, log, workers)

    def _spawn(self, env: dict[str, str], log: IO[bytes], workers: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "singlewindow.api.server:node_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"node {self.country} exited; see {self.home}/node.log")
            try:
                if httpx.get(f"{self.api}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"node {self.country} did not answer within {timeout} s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def provision(root: Path, countries: list[str], base_port: int) -> list[NodeProcess]:
    """Keys, certificates, trust lists and P-Modes for a network of `countries` (idempotent:
    an existing CA and node keys are kept; endpoints follow the ports given)."""
    for country in countries:
        member_state(country)  # refuses a country that is not an ASEAN member state
    nodes = [NodeProcess(c, base_port + i, root / c) for i, c in enumerate(countries)]
    ca_dir = root / "ca"
    ca = (
        pki.CertificateAuthority.load(ca_dir)
        if (ca_dir / pki.CA_CERT).exists()
        else (pki.init_ca(ca_dir))
    )
    identities = {}
    for node in nodes:
        directory = node.home / "exchange"
        if (directory / pki.NODE_CERT).exists():
            identities[node.country] = pki.NodeIdentity.load(directory)
        else:
            identities[node.country] = pki.issue_node(ca, node.party_id, node.country, directory)
    for node in nodes:
        partners = [other for other in nodes if other is not node]
        trust = pki.TrustList()
        for other in partners:
            trust.add(
                pki.Partner(
                    other.party_id,
                    other.country,
                    f"{other.url}/as4",
                    identities[other.country].certificate,
                ),
                ca.certificate,
            )
        directory = node.home / "exchange"
        trust.save(directory / TRUST_LIST)
        legs = [{"service": s, "action": a} for s, a in EXCHANGES]
        pmode = {
            "replay_window_seconds": 900,
            "retry": {"first_delay_seconds": 0.5, "max_delay_seconds": 30, "max_attempts": 1000},
            "partners": {
                other.party_id: {"encrypt": True, "send": legs, "receive": legs}
                for other in partners
            },
        }
        (directory / PMODE).write_text(json.dumps(pmode, indent=2) + "\n")
    return nodes


def start_network(root: Path, countries: list[str], base_port: int) -> list[NodeProcess]:
    nodes = provision(root, countries, base_port)
    for node in nodes:
        node.start()
    try:
        for node in nodes:
            node.wait_ready()
    except BaseException:
        stop_network(nodes)
        raise
    return nodes


def stop_network(nodes: list[NodeProcess]) -> None:
    for node in nodes:
        node.stop()


# What `run_traffic` counts, in the order a trade goes, with the words the summary uses.
COUNTED = [
    ("trades", "trades completed"),
    ("exports_released", "exports released"),
    ("acdd_delivered", "ACDD delivered before arrival"),
    ("eformd_accepted", "e-Form D accepted"),
    ("eformd_rejected", "e-Form D rejected"),
    ("imports_released", "imports released"),
    ("transit_released", "transit movements released"),
    ("transit_crossings", "transit crossings at borders"),
    ("transit_arrived", "transit movements arrived"),
    ("transit_discharged", "transit movements discharged"),
    ("transit_discrepancies", "transit discrepancies found"),
    ("transit_overdue", "transit movements overdue (enquiry opened)"),
    ("transit_recovered", "transit duties recovered after the enquiry"),
    ("aeo_declarations", "declarations with an AEO benefit"),
    ("aeo_suspensions", "AEO suspensions"),
    ("aeo_propagation_ms_max", "ms until every partner refused the suspended AEO"),
    ("alerts_raised", "enforcement alerts raised during the run"),
    ("alert_hits", "declarations an alert selected"),
    ("alert_hits_reported", "alert hits reported back to the raising node"),
    ("transhipments", "consignments transhipped through a hub"),
    ("origin_laundering_caught", "origins laundered through a hub caught"),
    ("waste_stopped", "waste shipments stopped (Basel)"),
    ("waste_passed", "waste shipments passed under consent or attestation"),
    ("parcels", "e-commerce parcels accepted"),
    ("parcels_released", "parcels released"),
    ("parcels_held", "parcels held (documents or inspection)"),
    ("parcels_rejected", "parcel lines rejected (malformed)"),
    ("parcels_split", "split orders assessed as one"),
    ("messages_sent", "AS4 messages sent"),
    ("messages_delivered", "AS4 messages delivered"),
    ("duplicates_dropped", "duplicates dropped"),
]


def riders_of(traffic: Traffic, count: int) -> tuple[list[Callable[[], None]], tuple[str, ...]]:
    """What rides beside the trades: the AEO programme and its suspension midway (every
    network), the transit trucks (when their route runs), three consignments through a
    hub, one of them laundered (when a running node has a hub port), and waste shipments
    with and without consent into one node, and a manifest of parcels from each node's sample
    platform."""
    jobs: list[Callable[[], None]] = []
    counts: tuple[str, ...] = ()
    for rider in (aeos_of, trucks_of, hubs_of, wastes_of, alerts_of, parcels_of):
        more, keys = rider(traffic, count)
        jobs += more
        counts += keys
    return jobs, counts


def show(nodes: list[NodeProcess]) -> None:
    console.print(
        f"{len(nodes)} nodes up: "
        + ", ".join(f"[bold]{node.country}[/] {node.url}" for node in nodes)
    )


def traffic_summary(counts: Mapping[str, int], requested: int) -> Table:
    """What the traffic did, as `singlewindow up --traffic N` prints it when it is done."""
    table = Table("", "count", title=f"Traffic: {requested} cross-border trades",
                  title_justify="left")
    for key, words in COUNTED:
        value = f"{counts.get(key, 0):,}"
        if key == "trades":
            value = f"{value} of {requested:,}"
        table.add_row(words, value)
    return table


def where_next(nodes: list[NodeProcess]) -> Group:
    """Each node's console, API, documentation, and where its sample accounts and tokens
    are; where their data is. Lines rather than a table: a narrow terminal wraps them, it
    never cuts a URL short. Passwords and tokens stay in their files."""
    lines = ["[bold]Where to go next[/]"]
    for node in nodes:
        lines.append(
            f"  [bold]{node.country}[/] console {node.url}/login  API {api_url(node.url)}  "
            f"docs {node.url}{API_DOCS}"
        )
        lines.append(
            f"     console accounts {sample.console_users_file(node.home)}  "
            f"tokens {sample.tokens_file(node.home, node.country)}"
        )
    kept = ", ".join(str(home) for home in sorted({node.home.parent for node in nodes}))
    lines += [
        "Log in to a console as trader, officer, issuer, admin or manager with the username "
        "and sample password in its console accounts file.",
        "Call an API with a token: curl -H 'Authorization: Bearer TOKEN' URL/declarations",
        f"The nodes' databases, keys and logs stay in {kept} (delete it to start afresh).",
    ]
    return Group(*lines)


def run_network(
    countries: list[str],
    base_port: int,
    traffic: int = 0,
    once: bool = False,
    root: Path = Path("var/network"),
) -> None:
    # A SIGTERM (a service manager, a CI timeout) stops the nodes as Ctrl-C does, instead of
    # leaving them serving without their parent.
    previous = signal.signal(signal.SIGTERM, _interrupted)
    nodes: list[NodeProcess] = []
    try:
        nodes += start_network(root, countries, base_port)
        show(nodes)
        if traffic:
            counts = run_traffic([node.account() for node in nodes], traffic,
                                 riders=riders_of)
            if once:
                print(json.dumps(counts))
                return
            console.print(traffic_summary(counts, traffic))
        elif once:
            return
        console.print(where_next(nodes))
        console.print("Serving until interrupted: [bold]Ctrl-C[/] stops every node.")
        while all(node.process is not None and node.process.poll() is None for node in nodes):
            time.sleep(0.5)
        raise SystemExit("a node stopped; see its node.log")
    except KeyboardInterrupt:
        pass
    finally:
        stop_network(nodes)
        signal.signal(signal.SIGTERM, previous)


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
