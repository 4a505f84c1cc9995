"""Transit benchmark: lodge-and-release throughput at the office of departure, and the journey's
release → discharge latency across four real node processes.

    .venv/bin/python benchmarks/transit.py                     # both parts
    .venv/bin/python benchmarks/transit.py --part lodge --count 3000 [--profile]
    .venv/bin/python benchmarks/transit.py --part network --rate 20 --seconds 20

Lodge (in process, SQLite, green channel: random share 0): `Transit.lodge` of movements
LA → TH → MY → SG, each in its own transaction with the guarantee locked and reserved, every
one released. Baselines in the same run: the same number of plain import declarations lodged
one by one (`Clearance.lodge`, VN, its own transaction each) and guarantee balance reads
(one transaction reading one row). Floor: 300 movements/s. `--profile` adds the cProfile of
the lodgements (where the time goes, by cumulative and by own time).

Network (four uvicorn processes LA, TH, MY, SG from `provision`, SQLite each, random share
0): the LA trader lodges at `--rate` movements/s for `--seconds` over HTTP; as each is
released, the border officers record the crossing at THNKI01 and MYBKH01 and the arrival and
control (seals intact) at SGWDL01 over HTTP (a pool of `--officers` clients, each step
retried while the office's node has not yet been told, after 50 ms then twice as long
each time up to 400 ms). Measured from the release to the
discharge, by LA's own clocks (`released_at` → the `discharged` event of the history), and as
a client sees it (the lodgement's answer → LA's list of movements showing `written_off`,
looked at every 0.5 s so as not to load LA): p50/p95/p99. Baselines of the same run: one
transit AS4 message's delivery (enqueued → receipt, from LA's and SG's outboxes) and the
lodgement's round-trip at LA; the CPU time of each node per movement says where the two
cores go. Floor: p99 < 3 s (LA's clocks).

The last line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import queue
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from singlewindow.access.model import Principal, Role  # noqa: E402
from singlewindow.core.config import Settings  # noqa: E402
from singlewindow.transit.model import (  # noqa: E402
    Equipment,
    Itinerary,
    Office,
    TransitDeclaration,
    TransitGoodsItem,
    TransitStatus,
)

ROUTE = Itinerary(Office("LAVTE01", "LA"), (Office("THNKI01", "TH"), Office("MYBKH01", "MY")),
                  Office("SGWDL01", "SG"), ("LA", "TH", "MY", "SG"))
COUNTRIES = ["LA", "TH", "MY", "SG"]
BORDER = {"LA": "LAVTE01", "TH": "THNKI01", "MY": "MYBKH01", "SG": "SGWDL01"}
LODGE_FLOOR = 300.0  # movements/s
P99_FLOOR = 3.0  # seconds, release → written off at departure
# An officer whose office has not yet been told of the movement looks again after 50 ms,
# then twice as long each time up to 400 ms (each look is a request the node must answer).
RETRY_FIRST, RETRY_MOST = 0.05, 0.4
POLL = 0.5  # seconds between two looks at LA's list of movements (light: LA is measured)
# At most this many movements a look: when a backlog builds, a page down to the oldest unseen
# would grow to hundreds of movements twice a second, load LA the more, and grow the backlog
# (the figure the floor is judged on, LA's own clocks, does not need the look at all).
POLL_PAGE = 100


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def movement(n: int, holder: str, guarantee: str, code: str, now: datetime) -> TransitDeclaration:
    """A sealed container of green coffee (its value in kip, the LA guarantee's currency)."""
    item = TransitGoodsItem(1, "09011100", "Green coffee beans", 200, Decimal("10500"),
                            Decimal("10000"), Decimal("42000000"))
    return TransitDeclaration(
        lrn=f"BENCH-{os.getpid()}-{n}", holder=holder, guarantee=guarantee, access_code=code,
        itinerary=ROUTE, transport="LA 70-1234", items=(item,),
        time_limit=now + timedelta(days=3),
        equipment=(Equipment(f"MSKU{n:07d}", (f"LA-{n}-1", f"LA-{n}-2")),))


# -- lodge and release, in process -----------------------------------------------------------

def lodge_part(args: argparse.Namespace) -> dict[str, Any]:
    from singlewindow.declarations.services import Clearance
    from singlewindow.devnet import sample
    from singlewindow.node import open_database
    from singlewindow.risk import services as selectivity
    from singlewindow.transit.services import Transit, ensure_partner_schedules
    from tests.builders import TRADER, import_declaration

    home = Path(tempfile.mkdtemp(prefix="sw-transit-"))
    settings = Settings(country="LA", database_url=f"sqlite:///{home}/LA.db", home=home)
    database = open_database(settings)
    users = sample.load(database, "LA", home)
    ensure_partner_schedules(database)
    chooser = selectivity.configure(database, 0.0, seed=1)
    transit = Transit(database, "LA", selectivity=chooser)
    holder = Principal("trader", Role.TRADER, party_id=users.trader_party)
    # A guarantee large enough for every movement of the run (the sample's 50e9 kip holds a
    # few thousand of these): the reservation, not its refusal, is what is measured.
    admin = Principal("admin", Role.ADMIN)
    transit.register_guarantee("LABENCH0001", users.trader_party, Decimal(10) ** 14, "LAK",
                               date(2026, 1, 1), date(2030, 12, 31), "2468", admin)
    now = datetime.now(UTC)
    drafts = [movement(n, users.trader_party, "LABENCH0001", "2468", now)
              for n in range(args.count + 20)]
    for draft in drafts[:20]:  # warm-up: caches of the books, the register, the statements
        transit.lodge(draft, holder)
    drafts = drafts[20:]

    profiler = cProfile.Profile() if args.profile else None
    released = 0
    start = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    for draft in drafts:
        released += transit.lodge(draft, holder).status is TransitStatus.RELEASED
    if profiler is not None:
        profiler.disable()
    lodge_seconds = time.perf_counter() - start
    rate = args.count / lodge_seconds
    account = transit.guarantee("LABENCH0001", holder)
    if released != args.count:
        raise SystemExit(f"only {released} of {args.count} released (green channel expected)")

    start = time.perf_counter()
    for _ in range(args.count):
        transit.guarantee("LABENCH0001", holder)
    read_rate = args.count / (time.perf_counter() - start)

    # Plain declarations, one transaction each, on a VN node of their own.
    vn_home = home / "vn"
    vn_home.mkdir()
    vn = open_database(Settings(country="VN", database_url=f"sqlite:///{vn_home}/VN.db",
                                home=vn_home))
    sample.load(vn, "VN", vn_home)
    clearance = Clearance(vn, "VN", selectivity=selectivity.configure(vn, 0.0, seed=1))
    plain = [import_declaration(f"BENCH-{os.getpid()}-{n}") for n in range(args.count + 20)]
    for import_draft in plain[:20]:
        clearance.lodge(import_draft, TRADER)
    start = time.perf_counter()
    for import_draft in plain[20:]:
        clearance.lodge(import_draft, TRADER)
    declaration_rate = args.count / (time.perf_counter() - start)
    database.dispose()
    vn.dispose()

    met = rate >= LODGE_FLOOR
    print(f"Lodge and release (SQLite, in process, green): {rate:,.0f} movements/s over "
          f"{args.count:,}, each reserving the guarantee ({account.reserved:,.0f} "
          f"{account.currency} reserved in all); floor {LODGE_FLOOR:.0f}/s "
          f"{'met' if met else 'NOT met'}")
    print(f"      baseline Clearance.lodge one by one: {declaration_rate:,.0f} declarations/s "
          f"→ transit at {rate / declaration_rate:.2f}×; guarantee balance read "
          f"{read_rate:,.0f}/s → transit at {rate / read_rate:.3f}×")
    if profiler is not None:
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.profile_lines)
            print(f"--- cProfile of {args.count:,} lodgements, by {order} ---")
            print("\n".join(line for line in out.getvalue().splitlines()
                            if line.strip())[:12000])
    return {"lodge_per_second": round(rate, 1), "lodged": args.count,
            "declarations_per_second": round(declaration_rate, 1),
            "balance_reads_per_second": round(read_rate, 1),
            "lodge_vs_declaration": round(rate / declaration_rate, 3),
            "lodge_floor_met": met}


# -- release → discharge across four node processes ------------------------------------------

def lodgement_body(lrn: str, n: int, users: dict[str, str], now: datetime) -> dict[str, Any]:
    """The JSON of a transit declaration LA → TH → MY → SG by the LA sample trader."""
    return {
        "lrn": lrn, "holder": users["trader_party"],
        "guarantee": users["transit_guarantee"], "access_code": users["access_code"],
        "departure_office": "LAVTE01", "transit_offices": ["THNKI01", "MYBKH01"],
        "destination_office": "SGWDL01", "routing": COUNTRIES, "transport": "LA 70-1234",
        "equipment": [{"number": f"MSKU{n:07d}", "seals": [f"LA-{n}-1", f"LA-{n}-2"],
                       "sealed": True}],
        "items": [{"commodity_code": "09011100", "description": "Green coffee beans",
                   "packages": 200, "gross_mass": "10500", "net_mass": "10000",
                   "value": "42000000"}],
        "time_limit": (now + timedelta(days=3)).isoformat(),
    }


class Answer:
    """An HTTP answer, as much of it as the journeys read."""

    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class ApiClient:
    """A kept-alive client of one node's API with a bearer token, on urllib3: the load
    generator shares the two cores with the four nodes it measures, and httpx costs a few
    times more CPU per request (the outbox posts with urllib3 for the same reason)."""

    def __init__(self, base_url: str, token: str) -> None:
        import urllib3

        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.pool = urllib3.PoolManager(maxsize=1, retries=False,
                                        timeout=urllib3.Timeout(total=30))

    def post(self, path: str, json: Any) -> Answer:
        import orjson

        answer = self.pool.request("POST", self.base_url + path, body=orjson.dumps(json),
                                   headers=self.headers)
        return Answer(answer.status, answer.data)

    def get(self, path: str, params: dict[str, Any] | None = None) -> Answer:
        answer = self.pool.request("GET", self.base_url + path, fields=params,
                                   headers=self.headers)
        return Answer(answer.status, answer.data)

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.pool.clear()


class Journeys:
    """The LA trader lodging at a steady rate; border officers (a pool of clients) following
    each released movement: crossing at THNKI01, at MYBKH01, arrival and control at SGWDL01,
    each retried until the office's node has been told of the movement; a poller of LA's
    list of movements noting when each shows written off."""

    def __init__(self, nodes: dict[str, Any], officers: int, tag: str) -> None:
        self.nodes = nodes
        self.users = {c: node.tokens() for c, node in nodes.items()}
        self.released: dict[str, float] = {}  # mrn → when the release was answered
        self.lodge_seconds: list[float] = []
        self.written_off: dict[str, float] = {}
        self.retries = 0
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.todo: queue.Queue[str | None] = queue.Queue()
        self.stop_polling = threading.Event()
        self.officers = [threading.Thread(target=self._officer, daemon=True)
                         for _ in range(officers)]
        self.poller = threading.Thread(target=self._poll, daemon=True)
        self.tag = tag

    def _http(self, country: str, who: str) -> ApiClient:
        return ApiClient(self.nodes[country].api, self.users[country][who])

    def lodge(self, rate: float, seconds: float, lodgers: int = 4) -> float:
        """Lodge at `rate` per second for `seconds` (open loop: each lodgement at its own
        moment, from `lodgers` clients, whatever the answers' latency); the rate achieved."""
        for thread in (*self.officers, self.poller):
            thread.start()
        now = datetime.now(UTC)
        count = int(rate * seconds)
        turns = iter(range(count))
        start = time.monotonic()

        def lodger() -> None:
            with self._http("LA", "trader") as trader:
                while True:
                    with self.lock:
                        n = next(turns, None)
                    if n is None:
                        return
                    delay = start + n / rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    body = lodgement_body(f"{self.tag}-{n}", n, self.users["LA"], now)
                    sent = time.monotonic()
                    answer = trader.post("/transit/movements", json=body)
                    done = time.monotonic()
                    if answer.status_code != 201 or answer.json()["status"] != "released":
                        self.failures.append(f"lodge {n}: {answer.status_code} "
                                             f"{answer.text[:300]}")
                        continue
                    number = answer.json()["mrn"]
                    with self.lock:
                        self.released[number] = done
                        self.lodge_seconds.append(done - sent)
                    self.todo.put(number)

        threads = [threading.Thread(target=lodger) for _ in range(lodgers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return count / (time.monotonic() - start)

    def _officer(self) -> None:
        clients = {c: self._http(c, "border") for c in COUNTRIES[1:]}
        steps = [("TH", "crossing", {"office": "THNKI01"}),
                 ("MY", "crossing", {"office": "MYBKH01"}),
                 ("SG", "arrival", {"office": "SGWDL01"}),
                 ("SG", "control", {"seals_intact": True, "discrepancies": [], "remarks": ""})]
        while (number := self.todo.get()) is not None:
            for country, what, body in steps:
                deadline = time.monotonic() + 60
                pause = RETRY_FIRST
                while True:
                    answer = clients[country].post(f"/transit/movements/{number}/{what}",
                                                   json=body)
                    if answer.status_code == 200:
                        break
                    if answer.status_code != 404 or time.monotonic() > deadline:
                        self.failures.append(f"{what} {number} at {country}: "
                                             f"{answer.status_code} {answer.text[:300]}")
                        break
                    with self.lock:  # not yet told of it (IE050 / IE001 on its way)
                        self.retries += 1
                    time.sleep(pause)  # as an officer would look again: not in a tight loop
                    pause = min(2 * pause, RETRY_MOST)
        for client in clients.values():
            client.close()

    def _poll(self) -> None:
        with self._http("LA", "border") as officer:
            while not self.stop_polling.is_set():
                with self.lock:  # newest first: a page that reaches the oldest not yet seen
                    unseen = [n for n in self.released if n not in self.written_off]
                    depth = len(self.released) - list(self.released).index(unseen[0]) + 10 \
                        if unseen else 10
                page = officer.get("/transit/movements", params={
                    "limit": min(depth, POLL_PAGE), "offset": max(0, depth - POLL_PAGE)}).json()
                seen = time.monotonic()
                with self.lock:
                    for item in page["items"]:
                        if item["status"] == "written_off" and item["mrn"] in self.released:
                            self.written_off.setdefault(item["mrn"], seen)
                time.sleep(POLL)

    def finish(self, timeout: float = 120) -> None:
        for _ in self.officers:
            self.todo.put(None)
        for thread in self.officers:
            thread.join(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.written_off) >= len(self.released):
                    break
            time.sleep(0.1)
        self.stop_polling.set()
        self.poller.join()


def outbox_delivery(home: Path, country: str) -> list[float]:
    """Seconds from enqueued to receipt of the transit messages `country`'s node sent."""
    from sqlalchemy import select

    from singlewindow.core.clock import as_utc
    from singlewindow.core.db import Database
    from singlewindow.exchange.repository import OutboxRow
    from singlewindow.transit.messages import SERVICE

    database = Database(f"sqlite:///{home}/{country}.db")
    try:
        with database.unit_of_work() as session:
            rows = session.execute(select(OutboxRow.created_at, OutboxRow.delivered_at)
                                   .where(OutboxRow.service == SERVICE,
                                          OutboxRow.delivered_at.is_not(None))).all()
    finally:
        database.dispose()
    return [(as_utc(d) - as_utc(c)).total_seconds() for c, d in rows if d is not None]


def discharge_events(node: Any, numbers: list[str]) -> list[float]:
    """Server-side: seconds from `released_at` to the history's `discharged` event at LA."""
    spans = []
    with ApiClient(node.api, node.tokens()["border"]) as officer:
        for number in numbers:
            released = datetime.fromisoformat(
                officer.get(f"/transit/movements/{number}").json()["released_at"])
            events = officer.get(f"/transit/movements/{number}/history").json()
            discharged = [datetime.fromisoformat(e["at"]) for e in events
                          if e["what"] == "discharged"]
            if len(discharged) != 1:
                raise SystemExit(f"{number} discharged {len(discharged)} times at LA")
            spans.append((discharged[0] - released).total_seconds())
    return spans


def cpu_seconds(node: Any) -> float:
    """User + system CPU time so far of a node process and of its worker processes (uvicorn
    `--workers N`), from Linux /proc."""
    def of(pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except FileNotFoundError:
            return 0.0
        own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return own + sum(of(int(child)) for child in children)

    return of(node.process.pid)


def network_part(args: argparse.Namespace) -> dict[str, Any]:
    from singlewindow.devnet.network import provision, stop_network
    from tests.nodes import free_ports

    root = Path(tempfile.mkdtemp(prefix="sw-transit-net-"))
    nodes = provision(root, COUNTRIES, free_ports(len(COUNTRIES)))
    try:
        for node in nodes:
            node.start({"SINGLEWINDOW_RANDOM_SHARE": "0"},
                       workers=args.la_workers if node.country == "LA" else 1)
        for node in nodes:
            node.wait_ready()
        by_country = {node.country: node for node in nodes}
        warm = Journeys(by_country, args.officers, "WARM")  # a few journeys first: caches, pools
        warm.lodge(5, 2)
        warm.finish()
        journeys = Journeys(by_country, args.officers, "RUN")
        cpu_before = {c: cpu_seconds(node) for c, node in by_country.items()}
        client_before = sum(os.times()[:2])
        started = time.monotonic()
        offered = journeys.lodge(args.rate, args.seconds)
        journeys.finish()
        wall = time.monotonic() - started
        cpu = {c: cpu_seconds(node) - cpu_before[c] for c, node in by_country.items()}
        client_cpu = sum(os.times()[:2]) - client_before
        numbers = sorted(journeys.released)
        observed = [journeys.written_off[n] - journeys.released[n]
                    for n in numbers if n in journeys.written_off]
        server = discharge_events(by_country["LA"], numbers)
        delivery = outbox_delivery(by_country["LA"].home, "LA") + outbox_delivery(
            by_country["SG"].home, "SG")
    finally:
        stop_network(nodes)
    if journeys.failures:
        print("failures:", *journeys.failures[:10], sep="\n  ")
    lost = len(numbers) - len(observed)
    p = {share: percentile(observed, share) if observed else float("nan")
         for share in (0.50, 0.95, 0.99)}
    s = {share: percentile(server, share) for share in (0.50, 0.95, 0.99)}
    lodge_ms = {share: percentile(journeys.lodge_seconds, share) * 1000 for share in (0.5, 0.99)}
    as4 = {share: percentile(delivery, share) * 1000 for share in (0.5, 0.99)}
    met = not lost and not journeys.failures and s[0.99] < P99_FLOOR
    per_movement = {c: cpu[c] * 1000 / len(numbers) for c in COUNTRIES}
    print(f"Release → written off at LA (4 node processes, SQLite, AS4 signed + encrypted): "
          f"{len(numbers)} movements at {offered:.1f}/s offered, {args.officers} officer "
          f"clients, LA on {args.la_workers} worker process(es); not written off {lost}, "
          f"failures {len(journeys.failures)}")
    print(f"      release → discharged in LA's history (server clocks): p50 {s[0.5]:.2f} s, "
          f"p95 {s[0.95]:.2f} s, p99 {s[0.99]:.2f} s; floor p99 < {P99_FLOOR:.0f} s "
          f"{'met' if met else 'NOT met'}")
    print(f"      as LA's list showed it to a client (looked at every {POLL} s): p50 "
          f"{p[0.5]:.2f} s, p95 {p[0.95]:.2f} s, p99 {p[0.99]:.2f} s; officers' retries (node "
          f"not yet told) {journeys.retries}")
    print(f"      baselines: one transit AS4 message enqueued → receipt p50 {as4[0.5]:.0f} ms, "
          f"p99 {as4[0.99]:.0f} ms ({len(delivery)} messages of LA and SG) → discharge p50 at "
          f"{s[0.5] * 1000 / as4[0.5]:.1f}× one message; lodgement round-trip at LA p50 "
          f"{lodge_ms[0.5]:.0f} ms, p99 {lodge_ms[0.99]:.0f} ms")
    print(f"      CPU of the nodes over {wall:.0f} s: "
          + ", ".join(f"{c} {cpu[c]:.1f} s ({per_movement[c]:.0f} ms/movement)"
                      for c in COUNTRIES)
          + f"; {sum(cpu.values()) / wall:.2f} cores busy on average (this client "
          f"{client_cpu:.1f} s)")
    return {"movements": len(numbers), "offered_per_second": round(offered, 1),
            "not_written_off": lost, "failures": len(journeys.failures),
            "discharge_p50_s": round(p[0.5], 3), "discharge_p95_s": round(p[0.95], 3),
            "discharge_p99_s": round(p[0.99], 3),
            "server_discharge_p50_s": round(s[0.5], 3), "server_discharge_p99_s": round(s[0.99], 3),
            "as4_delivery_p50_ms": round(as4[0.5], 1), "as4_delivery_p99_ms": round(as4[0.99], 1),
            "lodge_http_p50_ms": round(lodge_ms[0.5], 1),
            "lodge_http_p99_ms": round(lodge_ms[0.99], 1),
            "officer_retries": journeys.retries, "discharge_floor_met": met,
            "node_cpu_ms_per_movement": {c: round(v, 1) for c, v in per_movement.items()},
            "client_cpu_s": round(client_cpu, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["lodge", "network", "both"], default="both")
    parser.add_argument("--count", type=int, default=2000, help="movements lodged in process")
    parser.add_argument("--profile", action="store_true", help="cProfile the lodgements")
    parser.add_argument("--profile-lines", type=int, default=25)
    parser.add_argument("--rate", type=float, default=20, help="movements/s lodged at LA")
    parser.add_argument("--seconds", type=float, default=20, help="how long they are lodged")
    parser.add_argument("--la-workers", type=int, default=1,
                        help="uvicorn worker processes of the LA node (the others have one)")
    parser.add_argument("--officers", type=int, default=8,
                        help="concurrent border-officer clients following the movements")
    args = parser.parse_args()
    print(f"transit benchmark, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    figures: dict[str, Any] = {}
    if args.part in ("lodge", "both"):
        figures |= lodge_part(args)
    if args.part in ("network", "both"):
        figures |= network_part(args)
    figures["load_average"] = round(os.getloadavg()[0], 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
