"""One national node, assembled at start-up: its database, its clearance, and, when it belongs
to a network, its AS4 gateway and the exchanges that ride on it (ACDD, e-Form D)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from singlewindow.aeo import messages as aeo_messages
from singlewindow.aeo.services import Aeo
from singlewindow.aeo.workers import AeoScheduler
from singlewindow.classification.services import Classifier
from singlewindow.core.config import Settings
from singlewindow.core.countries import customs_party
from singlewindow.core.db import Database
from singlewindow.core.events import EventBus
from singlewindow.core.migrate import upgrade
from singlewindow.declarations import prearrival
from singlewindow.declarations.events import DeclarationLodged, DeclarationReleased
from singlewindow.declarations.ports import Concern, Foresight
from singlewindow.declarations.services import Clearance
from singlewindow.devnet import sample
from singlewindow.ecommerce.services import Ecommerce, ecommerce_of
from singlewindow.enforcement import messages as enforcement_messages
from singlewindow.enforcement.services import Enforcement, customs_partners
from singlewindow.exchange import services as exchange
from singlewindow.exchange.pki import NodeIdentity, TrustList
from singlewindow.exchange.pmode import ProcessingModes
from singlewindow.green.services import Green
from singlewindow.jobs import risk_training, tariff_import
from singlewindow.jobs.services import Jobs
from singlewindow.origin.services import Origin
from singlewindow.reference.services import ensure_sample_reference
from singlewindow.risk import services as selectivity
from singlewindow.tariff.services import ensure_sample_schedule, tariff_books
from singlewindow.transhipment.services import Transhipment, ensure_sample_listings
from singlewindow.transit import messages as transit_messages
from singlewindow.transit.services import Transit, ensure_partner_schedules
from singlewindow.transit.workers import TransitScheduler

TRUST_LIST = "trust-list.json"
PMODE = "pmode.json"
ENFORCEMENT = "enforcement"


def open_database(settings: Settings) -> Database:
    """The node's database, migrated to the latest schema."""
    database = Database(settings.database_url)
    upgrade(database)
    return database


def _customs_of(country: str | None) -> str | None:
    return customs_party(country) if country is not None else None


@dataclass
class Network:
    """What a node on a network has besides clearance: its AS4 gateway and the exchanges that
    ride on it."""

    gateway: exchange.Gateway
    pre_arrival: prearrival.PreArrival
    origin: Origin


@dataclass
class Node:
    settings: Settings
    database: Database
    clearance: Clearance
    bus: EventBus
    jobs: Jobs
    transit: Transit
    aeo: Aeo
    classifier: Classifier
    network: Network | None = None
    scheduler: TransitScheduler | None = None
    aeo_scheduler: AeoScheduler | None = None
    transhipment: Transhipment | None = None
    green: Green | None = None

    @property
    def gateway(self) -> exchange.Gateway | None:
        return self.network.gateway if self.network else None

    @property
    def pre_arrival(self) -> prearrival.PreArrival | None:
        return self.network.pre_arrival if self.network else None

    @property
    def origin(self) -> Origin | None:
        return self.network.origin if self.network else None

    @property
    def ecommerce(self) -> Ecommerce:
        """Low-value consignments, wired in `open` (kept on the database)."""
        return ecommerce_of(self.database, self.settings.country)

    @property
    def enforcement(self) -> Enforcement:
        """Shared enforcement intelligence, wired by `_enforcement` (kept on the database)."""
        return self.database.kept(
            ENFORCEMENT, lambda: Enforcement(self.database, self.settings.country))

    @classmethod
    def open(cls, settings: Settings, with_sample: bool = False) -> Node:
        """The node `settings` describe, each room built once and wired here."""
        database = open_database(settings)
        if with_sample:
            sample.load(database, settings.country, settings.home)
        else:
            # A node cannot clear anything without a tariff; until the real schedule is
            # imported it runs on the packaged sample, which says it is one.
            ensure_sample_schedule(database, settings.country)
            # Likewise the office register and exchange rates, marked as samples.
            ensure_sample_reference(database, settings.country)
        chooser = selectivity.configure(
            database, settings.random_inspection_share, settings.random_seed
        )
        # The one bus on which rooms hear each other's facts; each handler runs in the
        # publisher's transaction, so the outbox message it writes commits with the change.
        bus = EventBus()
        network = (
            _join_network(database, settings, chooser, bus)
            if settings.exchange_dir is not None
            else None
        )
        # The classification assistant; a released declaration's final codes are its labels.
        classifier = Classifier(database, settings.country, tariff_books(database))
        # Other rooms' doubts about a declaration, asked at lodgement: each is a reason for at
        # least a documentary check.
        concerns: list[Concern] = []
        foresight: list[Foresight] = []
        if settings.classification_doubts:  # a code the assistant finds very unlikely
            concerns.append(classifier.concern)
            foresight.append(classifier.foresee)  # new descriptions weighed beforehand
        # Consignments through this node's hubs: their earlier legs ride in the next
        # leg's ACDD; an import whose origin or route they doubt is a reason.
        transhipment = _transhipment(database, settings, network)
        concerns.append(transhipment.concern)
        # Waste under the Basel Convention: lodged only with what the consent and the
        # country's rules allow (the packaged sample rules until an administrator sets some).
        green = Green(database, settings.country)
        green.ensure_sample_rules()
        clearance = Clearance(
            database,
            settings.country,
            concerns=concerns,
            foresight=foresight,
            restrictions=[green],
            selectivity=chooser,
            tariff=tariff_books(database),
            bus=bus,
            # What clearance asks while it decides (the ATIGA rate, the ACDD's mismatches)
            # are ports; off a network, the documentary check and no cross-check.
            preference_check=network.origin.preference_check if network else None,
            cross_check=network.pre_arrival.check_import if network else None,
        )
        # Long work (a schedule import, a model training, a backfill scoring) runs in the
        # background, on any worker of the database.
        jobs = Jobs(database)
        tariff_import.register(jobs, database)
        risk_training.register(jobs, database)
        transit = _transit(database, settings, chooser, network)
        aeo = _aeo(database, settings, chooser, network)
        _enforcement(database, settings, bus, network)  # kept on the database
        # E-commerce parcels (kept on the database), the assistant's doubts about their codes
        # only when asked for.
        ecommerce_of(database, settings.country,
                     classifier.doubts if settings.ecommerce_code_doubts else None)
        bus.subscribe(DeclarationReleased, classifier.on_release)
        return cls(settings, database, clearance, bus, jobs, transit, aeo, classifier, network,
                   TransitScheduler(transit), AeoScheduler(aeo),
                   transhipment=transhipment, green=green)

    def start(self) -> None:
        self.jobs.start()
        if self.settings.classification_doubts:  # loaded before the first lodgement asks
            self.classifier.warm_up()
        for scheduler in (self.scheduler, self.aeo_scheduler):
            if scheduler is not None:
                scheduler.start()
        if self.gateway is not None:
            self.gateway.start_workers()

    def stop(self) -> None:
        if self.gateway is not None:
            self.gateway.stop_workers()
        for scheduler in (self.scheduler, self.aeo_scheduler):
            if scheduler is not None:
                scheduler.stop()
        self.jobs.stop()


def _transit(database: Database, settings: Settings, chooser: selectivity.Selectivity,
             network: Network | None) -> Transit:
    """Transit at this node's offices. The guarantee reserves what any country of a routing
    would charge, so every member's schedule is kept (packaged samples until imported)."""
    ensure_partner_schedules(database)
    transit = Transit(
        database,
        settings.country,
        selectivity=chooser,
        send=network.gateway.send if network else None,
        enquiry_after=timedelta(seconds=settings.transit_enquiry_after),
        enquiry_period=timedelta(seconds=settings.transit_enquiry_period),
    )
    if network is not None:
        gateway = network.gateway
        for action in transit_messages.ANTICIPATED:  # IE001, IE050: expected here
            gateway.register_handler(
                transit_messages.SERVICE, action, transit.receive_anticipated,
                issuer=transit_messages.departure_issuer, admit=transit.admit_anticipated)
        for action in transit_messages.NOTICES:  # IE118, IE115, IE006, IE018: to departure
            gateway.register_handler(
                transit_messages.SERVICE, action, transit.receive_notice,
                issuer=transit_messages.office_issuer, admit=transit.admit_notice)
    return transit


def _aeo(database: Database, settings: Settings, chooser: selectivity.Selectivity,
         network: Network | None) -> Aeo:
    """The AEO programme and its arrangements; selectivity (clearance, pre-arrival, transit)
    asks its register of benefits at every consignment."""
    aeo = Aeo(database, settings.country, send=network.gateway.send if network else None)
    chooser.aeo = aeo.register_of_benefits
    if network is not None:
        for action in aeo_messages.NOTICES:  # AEO.List, AEO.Change: from partners
            network.gateway.register_handler(
                aeo_messages.SERVICE, action, aeo.receive_notice,
                issuer=aeo_messages.administration_issuer, admit=aeo.admit_notice)
        network.gateway.register_handler(  # a partner asks for the list it missed
            aeo_messages.SERVICE, aeo_messages.LIST_REQUEST, aeo.receive_request,
            issuer=aeo_messages.administration_issuer, admit=aeo.admit_request)
    return aeo


def _transhipment(database: Database, settings: Settings,
                  network: Network | None) -> Transhipment:
    """Arrivals and departures at this node's hub ports and the hubs known for origin
    laundering (the packaged samples until an administrator sets them)."""
    ensure_sample_listings(database)
    transhipment = Transhipment(database, settings.country)
    if network is not None:
        network.pre_arrival.earlier_legs = transhipment.acdd_legs
    return transhipment


def _enforcement(database: Database, settings: Settings, bus: EventBus,
                 network: Network | None) -> Enforcement:
    """Alerts, hits, seizures and joint operations. Every alert is a risk profile; each
    declaration one selects is a hit, recorded in the lodgement's transaction and reported to
    the alert's administration through the outbox."""
    if network is None:
        enforcement = Enforcement(database, settings.country)
    else:
        gateway = network.gateway
        enforcement = Enforcement(database, settings.country, send=gateway.send,
                                  partners=lambda: customs_partners(gateway.trust_list))
    bus.subscribe(DeclarationLodged, enforcement.on_lodged)
    if network is not None:
        for action in enforcement_messages.ACTIONS:
            network.gateway.register_handler(
                enforcement_messages.SERVICE, action, enforcement.receive,
                issuer=enforcement_messages.administration_issuer, admit=enforcement.admit)
    return database.keep(ENFORCEMENT, enforcement)


def _join_network(
    database: Database, settings: Settings, chooser: selectivity.Selectivity, bus: EventBus
) -> Network:
    directory = settings.exchange_dir
    assert directory is not None
    gateway = exchange.Gateway(
        database,
        NodeIdentity.load(directory),
        TrustList.load(directory / TRUST_LIST),
        ProcessingModes.load(directory / PMODE),
    )
    pre_arrival = prearrival.PreArrival(
        database, settings.country, gateway.send, selectivity=chooser
    )
    bus.subscribe(DeclarationReleased, pre_arrival.on_release)  # the ACDD goes out
    bus.subscribe(DeclarationLodged, pre_arrival.on_lodged)  # the ACDD cited is linked
    gateway.register_handler(
        prearrival.SERVICE,
        prearrival.ACTION,
        pre_arrival.receive,
        issuer=lambda payload: _customs_of(prearrival.export_country_of(payload)),
    )
    # e-Form D: the ATIGA rate only for goods its certificate covers, once verified; the
    # issuer hears the verdict from the import's lodgement transaction.
    origin = Origin(database, settings.country, gateway, bus=bus)
    origin.register_handlers()
    bus.subscribe(DeclarationLodged, origin.on_lodged)  # the e-Form D cited is answered
    return Network(gateway, pre_arrival, origin)


@contextmanager
def local_node(country: str, database_url: str | None, with_sample: bool) -> Iterator[Node]:
    """A node outside any network, on `database_url` or, by default, on a throw-away SQLite
    database: a try-out must neither see nor change what `serve` keeps, and must work again
    with the same file."""
    with tempfile.TemporaryDirectory(prefix="singlewindow-declare-") as scratch:
        settings = Settings.from_env(
            country=country,
            home=Path(scratch),
            database_url=database_url or f"sqlite:///{scratch}/{country}.db",
            exchange_dir=None,
        )
        local = Node.open(settings, with_sample=with_sample)
        try:
            yield local
        finally:
            local.database.dispose()
