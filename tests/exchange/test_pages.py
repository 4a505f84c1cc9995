"""The network page: who may see it, and a node that runs alone saying so."""

from __future__ import annotations

from tests.nodes import NodeClient
from tests.web.console import console_as


def test_a_standalone_node_says_it_is_on_no_network(node: NodeClient) -> None:
    for role in ("officer", "admin", "manager"):
        page = console_as(node, role).get("/network")
        assert page.status_code == 200 and "not on a network" in page.text
    assert console_as(node, "officer").get("/network/traffic").status_code == 200


def test_traders_do_not_see_the_network(node: NodeClient) -> None:
    assert console_as(node, "trader").get("/network").status_code == 403
