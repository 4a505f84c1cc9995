"""Browser tests: one real node process with its sample accounts, and Debian's Chromium driven
by Playwright (never a browser Playwright downloads)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from singlewindow.devnet import sample
from singlewindow.devnet.network import NodeProcess, start_network, stop_network
from tests.nodes import free_port, free_ports

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@contextmanager
def node_alone(country: str, home: Path) -> Iterator[NodeProcess]:
    """One real node process of `country` with its sample accounts, outside any network."""
    node = NodeProcess(country, free_port(), home / country)
    node.start({"SINGLEWINDOW_RANDOM_SHARE": "0"})
    try:
        node.wait_ready()
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="module")
def console_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    with node_alone("VN", tmp_path_factory.mktemp("browser")) as node:
        yield node


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it with apt-get)")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def log_in(browser: Any, node: NodeProcess, username: str, contexts: list[Any]) -> Any:
    """A new browser context on `node`, logged in as `username` through the login form."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=node.url)
    contexts.append(context)
    page = context.new_page()
    page.goto("/login")
    password = sample.console_users(node.home)[username]["password"]
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]:has-text('Log in')")
    page.wait_for_load_state()
    return page


@pytest.fixture
def page_as(browser: Any, console_node: NodeProcess) -> Iterator[Callable[[str], Any]]:
    """`page_as("trader")`: a new browser context logged in through the login form."""
    contexts: list[Any] = []
    yield lambda username: log_in(browser, console_node, username, contexts)
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, NodeProcess]]:
    """Cambodia and Viet Nam: two real node processes on a network (as `singlewindow up`)."""
    nodes = start_network(tmp_path_factory.mktemp("network"), ["KH", "VN"], free_ports(2))
    try:
        yield {node.country: node for node in nodes}
    finally:
        stop_network(nodes)


@pytest.fixture
def network_page_as(browser: Any, network: dict[str, NodeProcess]) -> Iterator[
    Callable[[str, str], Any]
]:
    """`network_page_as("VN", "officer")`: logged in on one node of the network."""
    contexts: list[Any] = []
    yield lambda country, username: log_in(browser, network[country], username, contexts)
    for context in contexts:
        context.close()
