"""Background work of the exchange room: outbox delivery and inbox processing.

Both are threads a node starts and stops (`Gateway.start_workers()` / `stop_workers()`).
They claim their work from the database, so several workers, in several processes or on
several machines, can share one PostgreSQL database. They know the gateway only as the
little each needs of it (`Deliveries`, `Processing`): this module imports no use case.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from typing import Protocol

import httpx
import urllib3

from singlewindow.core.db import ChangeWatch, Database
from singlewindow.core.loop import BackgroundLoop
from singlewindow.exchange import repository, sending
from singlewindow.exchange.model import OutboxStatus
from singlewindow.exchange.repository import OutboxClaim
from singlewindow.exchange.sending import Attempt

log = logging.getLogger("singlewindow.exchange.workers")


class Deliveries(Protocol):
    """What the delivery worker needs of the gateway (its outbox)."""

    database: Database
    clock: Callable[[], datetime]
    outbox_event: threading.Event

    def build(self, row: OutboxClaim) -> sending.OutboundMessage: ...

    def endpoint(self, party_id: str) -> str: ...

    def record_attempts(
        self, worker: str, attempts: Sequence[Attempt]
    ) -> list[OutboxStatus | None]: ...


class Processing(Protocol):
    """What the inbox processor needs of the gateway (its inbox)."""

    database: Database
    inbox_event: threading.Event

    def process_inbox(self, limit: int = 100) -> int: ...


class OutboxDeliveryWorker(BackgroundLoop):
    """Claims due outbound messages in batches and delivers them, several at a time.

    Each delivery builds, signs (and encrypts) the message, posts it over a kept-alive HTTP
    connection, verifies the synchronous receipt and records the outcome. No valid receipt
    means a retry with exponential back-off and jitter, up to the P-Mode's limit.
    """

    name = "exchange-outbox"

    def __init__(
        self,
        gateway: Deliveries,
        *,
        batch_size: int = 32,
        concurrency: int = 8,
        idle_interval: float = 0.02,
        lease: timedelta = timedelta(seconds=60),
        timeout: float = 30.0,
        record_delay: float = 0.01,
        client: httpx.Client | None = None,
    ) -> None:
        """`record_delay`: how long (s) the outcome of a delivery may wait to be recorded
        with others; `client`: an httpx client to post with (tests give one with a mock
        transport); by default a urllib3 connection pool with kept-alive connections, a few
        times cheaper per request than httpx."""
        super().__init__(idle_interval, gateway.outbox_event)
        self.gateway = gateway
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.lease = lease
        self.record_delay = record_delay
        self.worker_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.client = client
        self.http: urllib3.PoolManager | None = None
        if client is None:
            # No retries here (the outbox retries, with back-off), no redirects (a receipt
            # comes from the endpoint posted to); one kept-alive connection per thread.
            self.http = urllib3.PoolManager(
                num_pools=16, maxsize=concurrency, block=False, retries=False,
                timeout=urllib3.Timeout(total=timeout),
            )
        self.pool = ThreadPoolExecutor(concurrency, thread_name_prefix="exchange-deliver")
        self._watch: ChangeWatch | None = None
        # The earliest moment a message becomes due, from the last probe (None: none waits).
        self._next_due: datetime | None = None
        self._full = False

    def _run(self) -> None:
        """Deliver continuously: claim more as soon as deliveries end (no batch barrier).

        Up to `2 × concurrency` messages are claimed and in flight. The outcomes of the
        deliveries that have ended are recorded together, one transaction each time, at the
        latest `record_delay` after the first of them ended (deliveries end one at a time:
        a transaction for each would cost more than their outcomes).
        """
        in_flight: set[Future[Attempt]] = set()
        ended: list[Attempt] = []  # not recorded yet
        first_ended = 0.0
        limit = 2 * self.concurrency
        while not self._stop.is_set() or in_flight or ended:
            rows: list[OutboxClaim] = []
            # Refill once at most `concurrency` are in flight (every thread still has one
            # queued behind it): a claim is a write transaction, one per batch, not per
            # delivery that ends.
            if not self._stop.is_set() and len(in_flight) <= self.concurrency:
                try:
                    rows = self.claim(min(self.batch_size, limit - len(in_flight)))
                except Exception:  # the database may be briefly away
                    log.exception("%s could not claim; retrying", self.name)
            in_flight |= {self.pool.submit(self.deliver, row) for row in rows}
            if not in_flight and not ended:
                self._wake.wait(self.idle_interval)
                self._wake.clear()
                continue
            if in_flight:
                timeout = self.idle_interval
                if ended:
                    timeout = max(0.0, first_ended + self.record_delay - time.monotonic())
                done, in_flight = wait(in_flight, timeout=timeout, return_when=FIRST_COMPLETED)
                if done and not ended:
                    first_ended = time.monotonic()
                ended += [future.result() for future in done]
            if ended and (
                not in_flight
                or len(ended) >= self.concurrency
                or time.monotonic() - first_ended >= self.record_delay
            ):
                try:
                    self.gateway.record_attempts(self.worker_id, ended)
                except Exception:  # unrecorded: the lease runs out, the message goes again
                    log.exception("%s could not record %d outcomes", self.name, len(ended))
                ended = []

    def claim(self, limit: int) -> list[OutboxClaim]:
        """Claim up to `limit` due messages; nothing (and no write) when none is due."""
        now = self.gateway.clock()
        if not self._full and not self._maybe_due(now):
            return []
        with self.gateway.database.transaction() as connection:
            rows = repository.claim_due(connection, self.worker_id, now, self.lease, limit)
        # A full batch: more may be due, the next claim need not look first.
        self._full = len(rows) == limit
        return rows

    def _maybe_due(self, now: datetime) -> bool:
        """Whether a claim may find work now, as cheaply as possible.

        The due-probe (one read) runs only when another connection may have committed since
        the last look (SQLite tells: `ChangeWatch`; PostgreSQL cannot, so it probes every
        time) or when the earliest moment known from the last probe has come: a failed
        message becomes due again at its next_attempt_at, and a claim whose lease runs out
        too, without any write.
        """
        if self._watch is None:
            self._watch = self.gateway.database.watch()
        watch = self._watch
        if not watch.changed() and (self._next_due is None or now < self._next_due):
            return False
        next_due = repository.next_due(watch)  # a failed read: the watch forgets, we look again
        self._next_due = next_due
        return next_due is not None and next_due <= now

    def run_once(self) -> int:
        """Claim one batch, deliver it and record its outcomes (tests and tools)."""
        rows = self.claim(self.batch_size)
        if not rows:
            return 0
        attempts = list(self.pool.map(self.deliver, rows))
        # The outcomes of the batch in one transaction.
        self.gateway.record_attempts(self.worker_id, attempts)
        return len(rows)

    def deliver(self, row: OutboxClaim) -> Attempt:
        """One attempt: build, post, judge the answer (recorded by the caller)."""
        outbound: sending.OutboundMessage | None = None
        signal: bytes | None = None
        try:
            outbound = self.gateway.build(row)
            status, signal = self.post(
                self.gateway.endpoint(row.to_party), outbound.body, outbound.headers
            )
            verdict = sending.judge_signal(outbound, signal)
            if not verdict.delivered and verdict.retry and status >= 400:
                verdict = sending.SignalVerdict(
                    delivered=False, retry=True, detail=f"HTTP {status}: {verdict.detail}"
                )
        except (httpx.HTTPError, urllib3.exceptions.HTTPError, OSError) as exc:
            verdict = sending.SignalVerdict(
                delivered=False, retry=True, detail=f"{type(exc).__name__}: {exc}"
            )
        except Exception as exc:  # a bug or a bad partner entry must not kill the worker
            log.exception("delivery of %s failed", row.message_id)
            verdict = sending.SignalVerdict(
                delivered=False, retry=True, detail=f"{type(exc).__name__}: {exc}"
            )
        return Attempt(row.message_id, row.attempts, outbound, verdict, signal)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST a message; the HTTP status and the body of the answer."""
        if self.http is None:
            assert self.client is not None
            response = self.client.post(url, content=body, headers=headers)
            return response.status_code, response.content
        answer = self.http.request(
            "POST", url, body=body, headers=headers, redirect=False, preload_content=True
        )
        return answer.status, answer.data

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        if self.client is not None:
            self.client.close()
        if self.http is not None:
            self.http.clear()


class InboxProcessor(BackgroundLoop):
    """Hands received messages to the handlers registered for their (service, action)."""

    name = "exchange-inbox"

    def __init__(
        self,
        gateway: Processing,
        *,
        batch_size: int = 100,
        idle_interval: float = 0.25,
        linger: float = 0.05,
    ) -> None:
        # Woken at once by a message this process stored; the poll is for messages stored
        # by other processes sharing the database.
        super().__init__(idle_interval, gateway.inbox_event)
        self.gateway = gateway
        self.batch_size = batch_size
        self.linger = linger
        self._watch: ChangeWatch | None = None

    def run_once(self) -> int:
        # Nothing was committed since the last look (SQLite tells): nothing new to handle.
        if self._watch is None:
            self._watch = self.gateway.database.watch()
        if not self._watch.changed():
            return 0
        try:
            done = self.gateway.process_inbox(self.batch_size)
        except BaseException:
            self._watch.forget()
            raise
        if done and done < self.batch_size and self.linger:
            # Let a few more arrive: one transaction for several messages costs less.
            self._stop.wait(self.linger)
        return done

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None


Worker = OutboxDeliveryWorker | InboxProcessor
