"""A small slice of the public CIDD data set, read once: enough rows to train on quickly."""

from __future__ import annotations

from pathlib import Path

import pytest

from singlewindow.risk.learning import cidd
from singlewindow.risk.learning.record import ScoringRecord

CIDD = Path(__file__).resolve().parents[4] / "shared" / "data" / "cidd"
TRAIN_FILE = CIDD / "df_syn_train_eng.csv"
VALID_FILE = CIDD / "df_syn_valid_eng.csv"


@pytest.fixture(scope="session")
def cidd_slice() -> list[ScoringRecord]:
    if not TRAIN_FILE.exists():
        pytest.skip("the CIDD data set is not at ../shared/data/cidd")
    return cidd.read(TRAIN_FILE, limit=2500)


@pytest.fixture(scope="session")
def later_slice() -> list[ScoringRecord]:
    if not VALID_FILE.exists():
        pytest.skip("the CIDD data set is not at ../shared/data/cidd")
    return cidd.read(VALID_FILE, limit=800)
