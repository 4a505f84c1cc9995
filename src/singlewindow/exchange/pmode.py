"""Processing modes (P-Modes): which partner may send which service and action, and how.

Configuration, not code. A P-Mode file is JSON (or TOML), for example:

    {
      "replay_window_seconds": 900,
      "retry": {"first_delay_seconds": 1, "max_delay_seconds": 300, "max_attempts": 100},
      "partners": {
        "KH-CUSTOMS": {
          "endpoint": "https://kh.example/as4",      # optional: overrides the trust list's
          "encrypt": true,                            # encrypt what we send, require it inbound
          "send":    [{"service": "urn:asw:pre-arrival", "action": "ACDD"}],
          "receive": [{"service": "urn:asw:pre-arrival", "action": "ACDD"},
                      {"service": "urn:asw:origin", "action": "FormD", "service_type": null}]
        }
      }
    }
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from singlewindow.core.errors import Problem
from singlewindow.exchange.errors import InvalidProcessingMode
from singlewindow.exchange.model import RetryPolicy


@dataclass(frozen=True)
class Leg:
    """One (service, action) a partner may exchange with us in one direction."""

    service: str
    action: str
    service_type: str | None = None

    def matches(self, service: str, action: str, service_type: str | None = None) -> bool:
        return (self.service, self.action) == (service, action) and (
            self.service_type is None or self.service_type == service_type
        )


@dataclass(frozen=True)
class PartnerMode:
    party_id: str
    endpoint: str | None = None
    encrypt: bool = True
    send: tuple[Leg, ...] = ()
    receive: tuple[Leg, ...] = ()

    def may_send_to_them(self, service: str, action: str) -> bool:
        return any(leg.matches(service, action) for leg in self.send)

    def may_receive_from_them(
        self, service: str, action: str, service_type: str | None = None
    ) -> bool:
        return any(leg.matches(service, action, service_type) for leg in self.receive)

    def send_leg(self, service: str, action: str) -> Leg | None:
        return next((leg for leg in self.send if leg.matches(service, action)), None)


@dataclass(frozen=True)
class ProcessingModes:
    partners: Mapping[str, PartnerMode] = field(default_factory=dict)
    replay_window: timedelta = timedelta(minutes=15)
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def partner(self, party_id: str) -> PartnerMode | None:
        return self.partners.get(party_id)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProcessingModes:
        problems: list[Problem] = []
        partners: dict[str, PartnerMode] = {}
        raw_partners = data.get("partners", {})
        if not isinstance(raw_partners, Mapping):
            raise InvalidProcessingMode([Problem("partners", "must map party ids to P-Modes")])
        for party_id, raw in raw_partners.items():
            if not isinstance(raw, Mapping):
                problems.append(Problem(f"partners.{party_id}", "must be an object"))
                continue
            legs: dict[str, tuple[Leg, ...]] = {}
            for direction in ("send", "receive"):
                entries = raw.get(direction, [])
                parsed = []
                for index, entry in enumerate(entries if isinstance(entries, list) else [None]):
                    path = f"partners.{party_id}.{direction}.{index}"
                    if not isinstance(entry, Mapping) or not entry.get("service"):
                        problems.append(Problem(path, "needs a service and an action"))
                        continue
                    if not entry.get("action"):
                        problems.append(Problem(path, "needs a service and an action"))
                        continue
                    parsed.append(
                        Leg(str(entry["service"]), str(entry["action"]), entry.get("service_type"))
                    )
                legs[direction] = tuple(parsed)
            encrypt = raw.get("encrypt", True)
            if not isinstance(encrypt, bool):
                problems.append(Problem(f"partners.{party_id}.encrypt", "must be true or false"))
            partners[str(party_id)] = PartnerMode(
                party_id=str(party_id),
                endpoint=raw.get("endpoint"),
                encrypt=bool(encrypt),
                send=legs["send"],
                receive=legs["receive"],
            )
        retry_data = data.get("retry", {})
        try:
            window = timedelta(seconds=float(data.get("replay_window_seconds", 900)))
            retry = RetryPolicy(
                first_delay=timedelta(seconds=float(retry_data.get("first_delay_seconds", 1))),
                max_delay=timedelta(seconds=float(retry_data.get("max_delay_seconds", 300))),
                max_attempts=int(retry_data.get("max_attempts", 100)),
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise InvalidProcessingMode([Problem("retry", f"not understood: {exc}")]) from exc
        if window <= timedelta(0):
            problems.append(Problem("replay_window_seconds", "must be positive"))
        if retry.max_attempts < 1:
            problems.append(Problem("retry.max_attempts", "must be at least 1"))
        if problems:
            raise InvalidProcessingMode(problems)
        return cls(partners=partners, replay_window=window, retry=retry)

    @classmethod
    def load(cls, path: Path) -> ProcessingModes:
        path = Path(path)
        text = path.read_text()
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        return cls.from_dict(data)
