"""Node configuration, read once at start-up (never at import) from the environment.

A process that starts node processes hands them its `Settings` whole, in one variable
(`SETTINGS_VARIABLE`) of the child's environment: `serve --workers N` does, and so its own
environment stays as it was.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

SETTINGS_VARIABLE = "SINGLEWINDOW_SETTINGS"
"""The settings of a node process, as `Settings.to_json` writes them; when set, the
`SINGLEWINDOW_*` variables that name one setting each are not read."""


@dataclass(frozen=True)
class Settings:
    country: str = "VN"
    database_url: str = "sqlite:///var/singlewindow-VN.db"
    home: Path = field(default_factory=lambda: Path("var"))
    # Share of declarations sent to inspection at random, whatever the rules say, so that
    # officers keep an unbiased sample of the whole flow.
    random_inspection_share: float = 0.02
    random_seed: int | None = None
    # Where the node's exchange identity lives (node.key, node.crt, ca.crt, trust-list.json,
    # pmode.json); None when the node runs alone, outside any network.
    exchange_dir: Path | None = None
    # Load the sample users, profiles and guarantee at start-up (`serve --sample`).
    sample: bool = False
    # Export traces, metrics and logs (OpenTelemetry).
    telemetry: bool = False
    # Console session cookies only over HTTPS (the `Secure` flag): on wherever the node is
    # served behind TLS; off for the local network of `singlewindow up`, which is plain HTTP.
    secure_cookies: bool = False
    # Transit: how long after a missed time limit the enquiry with the holder opens, and how
    # long the enquiry runs before the reserved duties are recovered (seconds; NCTS leaves
    # days and weeks, a demonstration network shortens both).
    transit_enquiry_after: float = 86_400.0
    transit_enquiry_period: float = 28 * 86_400.0
    # Declarations whose declared code the classification assistant finds very unlikely go
    # to at least a documentary check (SINGLEWINDOW_CLASSIFICATION_DOUBTS=0 turns it off).
    classification_doubts: bool = True
    # E-commerce manifests: ask the assistant's doubts about each parcel's declared code
    # (SINGLEWINDOW_ECOMMERCE_DOUBTS=1). Off by default: each new description costs the
    # assistant tens of milliseconds, a manifest of 10,000 new titles minutes.
    ecommerce_code_doubts: bool = False

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: object
    ) -> Settings:
        """The settings `environ` (by default the process's environment) gives, with
        `overrides` on top."""
        env = os.environ if environ is None else environ
        if SETTINGS_VARIABLE in env:
            return replace(cls.from_json(env[SETTINGS_VARIABLE]), **overrides)  # type: ignore[arg-type]
        country = str(overrides.pop("country", env.get("SINGLEWINDOW_COUNTRY", "VN")))
        home = Path(str(overrides.pop("home", env.get("SINGLEWINDOW_HOME", "var"))))
        url = env.get("SINGLEWINDOW_DATABASE_URL") or f"sqlite:///{home}/{country}.db"
        values: dict[str, object] = {"country": country, "home": home, "database_url": url}
        exchange = env.get("SINGLEWINDOW_EXCHANGE_DIR")
        if exchange or (home / "exchange" / "node.crt").exists():
            values["exchange_dir"] = Path(exchange) if exchange else home / "exchange"
        if "SINGLEWINDOW_RANDOM_SHARE" in env:
            values["random_inspection_share"] = float(env["SINGLEWINDOW_RANDOM_SHARE"])
        values["sample"] = env.get("SINGLEWINDOW_SAMPLE") == "1"
        values["telemetry"] = env.get("SINGLEWINDOW_TELEMETRY") == "1"
        values["secure_cookies"] = env.get("SINGLEWINDOW_SECURE_COOKIES") == "1"
        values["classification_doubts"] = env.get("SINGLEWINDOW_CLASSIFICATION_DOUBTS") != "0"
        values["ecommerce_code_doubts"] = env.get("SINGLEWINDOW_ECOMMERCE_DOUBTS") == "1"
        for name in ("transit_enquiry_after", "transit_enquiry_period"):
            variable = f"SINGLEWINDOW_{name.upper()}"
            if variable in env:
                values[name] = float(env[variable])
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def to_json(self) -> str:
        """These settings as one line of JSON, for a child process's `SETTINGS_VARIABLE`."""
        values: dict[str, Any] = asdict(self)
        values["home"] = str(self.home)
        values["exchange_dir"] = str(self.exchange_dir) if self.exchange_dir else None
        return json.dumps(values)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        values: dict[str, Any] = json.loads(text)
        values["home"] = Path(values["home"])
        if values.get("exchange_dir") is not None:
            values["exchange_dir"] = Path(values["exchange_dir"])
        return cls(**values)
