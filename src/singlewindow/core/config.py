"""Node configuration, read once at start-up (never at import) from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


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

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        country = str(overrides.pop("country", os.environ.get("SINGLEWINDOW_COUNTRY", "VN")))
        home = Path(str(overrides.pop("home", os.environ.get("SINGLEWINDOW_HOME", "var"))))
        url = os.environ.get("SINGLEWINDOW_DATABASE_URL") or f"sqlite:///{home}/{country}.db"
        values: dict[str, object] = {"country": country, "home": home, "database_url": url}
        exchange = os.environ.get("SINGLEWINDOW_EXCHANGE_DIR")
        if exchange or (home / "exchange" / "node.crt").exists():
            values["exchange_dir"] = Path(exchange) if exchange else home / "exchange"
        if "SINGLEWINDOW_RANDOM_SHARE" in os.environ:
            values["random_inspection_share"] = float(os.environ["SINGLEWINDOW_RANDOM_SHARE"])
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
