from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest

from singlewindow.risk.learning import cidd
from singlewindow.risk.learning.features import History, feature_names, training_matrix
from singlewindow.risk.learning.record import ScoringRecord


def _declaration(number: int, day: date, *, importer: str = "IMP1", fraud: bool | None = None,
                 hs6: str = "440890") -> ScoringRecord:
    return ScoringRecord(
        declaration_id=str(number), date=day, office="30", importer=importer, declarant="DCL1",
        seller="SEL1", courier="", hs6=hs6, origin="BE", departure="BE", transport_mode="10",
        tax_rate=8.0, tax_type="A", net_mass=100.0, value=5000.0 + number, fraud=fraud,
        critical=False if fraud is not None else None,
    )


def test_features_never_see_labels_dated_on_or_after_the_declaration(cidd_slice):
    dates = sorted({r.date for r in cidd_slice})
    cut = dates[len(dates) // 2]
    features, ordered, _ = training_matrix(cidd_slice)
    flipped = [
        dataclasses.replace(r, fraud=not r.fraud, critical=not r.critical) if r.date >= cut else r
        for r in cidd_slice
    ]
    features_flipped, ordered_flipped, _ = training_matrix(flipped)
    assert [r.declaration_id for r in ordered] == [r.declaration_id for r in ordered_flipped]
    upto = np.array([r.date <= cut for r in ordered])
    # Rows dated up to the cut (the cut day included) read nothing from the flipped labels...
    np.testing.assert_array_equal(features[upto], features_flipped[upto])
    # ...and later rows do, or the test would prove nothing.
    assert not np.array_equal(features[~upto], features_flipped[~upto], equal_nan=True)


def test_same_day_results_are_not_history():
    day = date(2021, 3, 1)
    records = [_declaration(1, day, fraud=True), _declaration(2, day, fraud=True)]
    features, _, history = training_matrix(records)
    inspected = feature_names().index("importer.inspected")
    assert features[:, inspected].tolist() == [0.0, 0.0]
    assert history.stats("importer", records[0]) == [2.0, 2.0, 0.0, 0.0, 0.0, 0.0]


def test_party_history_counts_earlier_outcomes_only():
    history = [_declaration(i, date(2021, 1, 1 + i), fraud=i < 7) for i in range(9)]
    new = _declaration(99, date(2021, 2, 1))
    features, _, _ = training_matrix([*history, dataclasses.replace(new, fraud=True)])
    row = dict(zip(feature_names(), features[-1], strict=True))
    assert row["importer.inspected"] == 9
    assert row["declarant.inspected"] == 9
    assert row["courier.inspected"] == 0  # no courier: no group
    # 7 frauds in 9, pulled by one pseudo-inspection towards the overall rate (7+1)/(9+5).
    assert row["importer.fraud_rate"] == pytest.approx((7 + 8 / 14) / 10)


def test_batch_features_equal_one_by_one(cidd_slice, later_slice):
    history = History()
    history.add_all(cidd_slice)
    unlabelled = [dataclasses.replace(r, fraud=None, critical=None) for r in later_slice]
    batch = history.matrix(unlabelled)
    single = np.asarray([history.row(r) for r in unlabelled])
    np.testing.assert_allclose(batch, single, rtol=1e-12, equal_nan=True)


def test_history_survives_a_round_trip(cidd_slice, later_slice):
    import json

    history = History()
    history.add_all(cidd_slice[:500])
    again = History.from_document(json.loads(json.dumps(history.to_document())))
    np.testing.assert_array_equal(history.matrix(later_slice[:50]), again.matrix(later_slice[:50]))


def test_cidd_rows_pad_hs_codes_and_read_critical_fraud(tmp_path):
    header = ",".join((*cidd.COLUMNS, *cidd.LABELS))
    row = "1,2020-01-01,30,B,11,21,11,10,D1,I1,S1,,40890,CN,CN,8.0,A,Y,10.0,100.0,1,2"
    path = tmp_path / "one.csv"
    path.write_text(f"{header}\n{row}\n")
    (record,) = cidd.read(path)
    assert record.hs6 == "040890" and record.hs4 == "0408"
    assert record.fraud is True and record.critical is True
    assert record.courier == ""
    (unlabelled,) = cidd.read(path, with_labels=False)
    assert unlabelled.fraud is None and unlabelled.critical is None
