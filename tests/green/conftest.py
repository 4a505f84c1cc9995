import pytest

from singlewindow.declarations.services import Clearance
from singlewindow.reference.services import ensure_sample_reference
from singlewindow.risk import services as selectivity
from singlewindow.tariff.services import ensure_sample_schedule


@pytest.fixture
def clearance(database) -> Clearance:
    """Viet Nam's clearance on a real database, with no random checks."""
    ensure_sample_schedule(database, "VN")
    ensure_sample_reference(database, "VN")
    selectivity.configure(database, default_random_share=0.0, seed=7)
    return Clearance(database, "VN")
