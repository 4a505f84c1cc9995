"""The model routes over HTTP: promotion refused with each failed gate (409), rollback by an
admin with a reason, on both engines."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from singlewindow.api.app import create_app
from singlewindow.core.config import Settings
from singlewindow.devnet import sample
from singlewindow.node import Node
from singlewindow.risk.learning import services as learning
from tests.nodes import api_client

from .conftest import FAST, History, days_ago, enough_history


@pytest.fixture
def api(database, tmp_path):
    settings = Settings(country="VN", database_url=database.url, home=tmp_path,
                        random_inspection_share=0.0, random_seed=3)
    opened = Node.open(settings, with_sample=True)
    users = sample.load(opened.database, "VN", tmp_path)
    client = api_client(create_app(opened))

    def as_(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(users, who)}"}

    return client, as_


def test_promotion_gates_and_rollback_over_http(api, database):
    client, as_ = api
    history = History(database, random.Random(5))
    junk_history = History(database, random.Random(8))
    junk_history.flow(20, days_ago(120), inspected=1.0)
    junk = learning.train_candidate(database, holdout_days=0, **FAST)
    refused = client.post(f"/risk/models/{junk.version}/promotion", headers=as_("admin"))
    assert refused.status_code == 409
    assert "training gate: trained on 20 inspected declarations" in refused.text
    assert "comparison gate" in refused.text

    enough_history(history, days=100, end=32)
    first = learning.train_candidate(database, **FAST)
    compared = client.get(f"/risk/models/{first.version}/comparison", headers=as_("officer"))
    assert compared.status_code == 200, compared.text
    report = compared.json()
    assert report["candidate_better"] and report["verdict"] is None
    assert report["inspection_rate"] == pytest.approx(0.07)
    assert report["candidate_precision_at_rate"] > report["base_hit_rate"]
    promoted = client.post(f"/risk/models/{first.version}/promotion", headers=as_("admin"))
    assert promoted.status_code == 200, promoted.text

    history.flow(1200, days_ago(30), inspected=0.6, spacing=timedelta(days=28) / 1200)
    second = learning.train_candidate(database, **FAST)
    assert client.get(f"/risk/models/{second.version}/comparison",
                      headers=as_("officer")).json()["candidate_better"]
    assert client.post(f"/risk/models/{second.version}/promotion",
                       headers=as_("admin")).status_code == 200

    body = {"reason": "red rate doubled overnight"}
    assert client.post("/risk/models/rollback", json=body,
                       headers=as_("officer")).status_code == 403
    assert client.post("/risk/models/rollback", json={"reason": ""},
                       headers=as_("admin")).status_code == 422
    assert client.post("/risk/models/rollback", json={},
                       headers=as_("admin")).status_code == 422
    listed = {m["version"]: m["status"] for m in
              client.get("/risk/models", headers=as_("officer")).json()}
    assert listed[second.version] == "in_service"  # refused rollbacks changed nothing

    back = client.post("/risk/models/rollback", json=body, headers=as_("admin"))
    assert back.status_code == 200, back.text
    done = back.json()
    assert (done["withdrawn"], done["reinstated"]) == (second.version, first.version)
    assert done["reason"] == body["reason"] and done["by"]
    listed = {m["version"]: m["status"] for m in
              client.get("/risk/models", headers=as_("officer")).json()}
    assert listed[first.version] == "in_service" and listed[second.version] == "retired"

    again = client.post("/risk/models/rollback", json=body, headers=as_("admin"))
    assert again.status_code == 200 and again.json()["reinstated"] is None
    nothing = client.post("/risk/models/rollback", json=body, headers=as_("admin"))
    assert nothing.status_code == 409 and "nothing to roll back" in nothing.text
