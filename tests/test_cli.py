"""The command line as a new user meets it: every mistake is one clear line and an exit code,
never a traceback; users and tokens are managed from it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from singlewindow import cli
from singlewindow.access import services as access
from singlewindow.access.model import Role
from singlewindow.cli import app
from singlewindow.core.config import SETTINGS_VARIABLE, Settings
from singlewindow.core.db import Database
from singlewindow.node import Node
from tests.nodes import free_port, served

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "vn-import-coffee-from-kh.json"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env=env)


def refused(result: Result, code: int = 1) -> str:
    """The output of a command that ended as planned with `code`, not in an exception."""
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


@pytest.fixture(autouse=True)
def node_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SINGLEWINDOW_HOME", str(tmp_path / "var"))
    monkeypatch.delenv("SINGLEWINDOW_DATABASE_URL", raising=False)
    monkeypatch.delenv("SINGLEWINDOW_TOKEN", raising=False)
    monkeypatch.setenv("SINGLEWINDOW_RANDOM_SHARE", "0")
    return tmp_path


# --- files the user points at


def test_a_missing_file_is_one_line(tmp_path):
    said = refused(run("try", str(tmp_path / "nowhere.json")))
    assert said == f"error: {tmp_path / 'nowhere.json'}: no such file"


def test_invalid_json_says_its_line_and_column(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "type": "IM",\n  "lrn": "X1"\n  "office": "VNHCM01"\n}\n')
    said = refused(run("try", str(bad)))
    assert f"{bad}: invalid JSON at line 4, column 3: Expecting ',' delimiter" in said


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"\xff\xfe{}", "not UTF-8 text (byte 0)"), (b"[1, 2]", "is a JSON object, not a list"),
     (None, "is a directory, not a JSON file")],
)
def test_unreadable_or_wrong_shaped_files_are_refused(tmp_path, content, expected):
    path = tmp_path / "declaration.json"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    assert expected in refused(run("try", str(path)))


def test_an_invalid_declaration_gets_every_problem_with_its_path(tmp_path):
    body = json.loads(EXAMPLE.read_text())
    body["items"][0]["quantity"] = "lots"
    del body["office"]
    path = tmp_path / "invalid.json"
    path.write_text(json.dumps(body))
    said = refused(run("try", str(path)))
    assert "Invalid input" in said and "office:" in said and "items.0.quantity:" in said


# --- `try`: a local, throw-away node


def test_a_local_try_can_be_run_again_and_keeps_nothing(node_home):
    first = run("try", str(EXAMPLE), "--country", "VN", "--sample")
    again = run("try", str(EXAMPLE), "--country", "VN", "--sample")
    for result in (first, again):
        assert result.exit_code == 0, result.output
        assert "VN26VNHCM0000000011 (LRN LRN-2026-000101)" in result.output
        assert "nothing was kept" in " ".join(result.output.split())
    assert not (node_home / "var").exists()  # not the database `serve` would use


def test_a_kept_local_database_refuses_a_repeated_lrn_and_says_what_to_change(node_home):
    kept = f"sqlite:///{node_home}/kept.db"
    assert run("try", str(EXAMPLE), "--database", kept).exit_code == 0
    said = refused(run("try", str(EXAMPLE), "--database", kept))
    assert "LRN LRN-2026-000101 of declarant VNTRADER0001 was already lodged" in said
    assert f'give the "lrn" in {EXAMPLE} a new value' in said


# --- `lodge`: through a node


class NotANode(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
        body = b"<html><body>Welcome to nginx!</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def not_a_node() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), NotANode)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def served_node(sqlite_database, tmp_path) -> Iterator[tuple[str, str]]:
    """A real node on a loopback port, and its trader's token."""
    settings = Settings(country="VN", database_url=sqlite_database.url, home=tmp_path,
                        random_inspection_share=0.0)
    node = Node.open(settings)
    token = access.create_user(node.database, "trader", Role.TRADER, party_id="VNTRADER0001")
    with served(node) as url:
        yield url, token


def test_node_without_token_is_a_usage_error():
    said = refused(run("lodge", str(EXAMPLE), "--node", "http://127.0.0.1:1"), code=2)
    assert "--node needs the trader's token" in said and "SINGLEWINDOW_TOKEN" in said


def test_local_only_options_with_node_are_a_usage_error():
    said = refused(run("lodge", str(EXAMPLE), "--node", "http://127.0.0.1:1", "--token", "t",
                       "--database", "sqlite:///x.db"), code=2)
    assert "--database and --party are for local mode" in said


def test_a_node_that_is_down_is_one_line():
    url = f"http://127.0.0.1:{free_port()}"
    said = refused(run("lodge", str(EXAMPLE), "--node", url, "--token", "t"))
    assert said == f"error: cannot reach the node at {url}: is it running, and is the URL right?"


def test_the_token_may_come_from_the_environment():
    url = f"http://127.0.0.1:{free_port()}"
    said = refused(run("lodge", str(EXAMPLE), "--node", url, env={"SINGLEWINDOW_TOKEN": "t"}))
    assert "cannot reach the node" in said  # past the usage check: it tried the node


def test_a_server_that_is_not_a_node_is_one_line(not_a_node):
    said = refused(run("lodge", str(EXAMPLE), "--node", not_a_node, "--token", "t"))
    assert said == (f"error: {not_a_node}/api/v1/declarations answered 200 with text/html, "
                    "not a node's JSON: is --node the URL of a node?")


def test_lodging_through_a_node_then_again_with_the_same_lrn(served_node):
    url, token = served_node
    lodged = run("lodge", str(EXAMPLE), "--node", url, "--token", token)
    assert lodged.exit_code == 0, lodged.output
    assert "(LRN LRN-2026-000101) is" in lodged.output
    said = refused(run("lodge", str(EXAMPLE), "--node", url, "--token", token))
    assert "409 Conflict" in said and "already lodged" in said
    assert f'give the "lrn" in {EXAMPLE} a new value' in said
    said = refused(run("lodge", str(EXAMPLE), "--node", url, "--token", "not-a-token"))
    assert "401" in said and "Check the token" in said


def test_the_real_entry_point_prints_no_traceback(tmp_path):
    program = "from singlewindow.cli import app; app()"
    for args in (["try", str(tmp_path / "missing.json")],
                 ["lodge", str(EXAMPLE), "--node", f"http://127.0.0.1:{free_port()}",
                  "--token", "t"]):
        done = subprocess.run([sys.executable, "-c", program, *args], capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr and done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_serve_on_a_busy_port_says_so_instead_of_serving():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        said = refused(run("serve", "--port", str(port)))
    assert f"cannot serve on 127.0.0.1:{port}: the port is in use" in said
    assert "API docs" not in said


def test_serve_passes_its_settings_and_leaves_its_environment_as_it_was(monkeypatch):
    served: list[Settings] = []
    monkeypatch.setattr(cli, "_serve_here", lambda settings, host, port: served.append(settings))
    monkeypatch.delenv("SINGLEWINDOW_COUNTRY", raising=False)
    before = dict(os.environ)
    assert run("serve", "--country", "KH", "--port", str(free_port())).exit_code == 0
    assert dict(os.environ) == before
    assert [s.country for s in served] == ["KH"] and not served[0].sample


def test_settings_travel_whole_to_a_child_process(tmp_path):
    settings = Settings(country="LA", database_url="sqlite:///x.db", home=tmp_path,
                        random_inspection_share=0.5, random_seed=7,
                        exchange_dir=tmp_path / "exchange", sample=True)
    child_env = {SETTINGS_VARIABLE: settings.to_json(), "SINGLEWINDOW_COUNTRY": "VN"}
    assert Settings.from_env(child_env) == settings


def test_serve_sample_says_where_the_tokens_are_and_never_prints_them(node_home):
    port = free_port()
    output = node_home / "serve.out"
    program = "from singlewindow.cli import app; app()"
    with output.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-c", program, "serve", "--sample",
                                   "--port", str(port)], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while "API docs" not in output.read_text() and time.monotonic() < deadline:
            assert server.poll() is None, output.read_text()
            time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    said = " ".join(output.read_text().split())
    tokens_file = node_home / "var" / "tokens-VN.json"
    assert f"their tokens are in {tokens_file}" in said
    assert (tokens_file.stat().st_mode & 0o777) == 0o600
    tokens = json.loads(tokens_file.read_text())
    for user in ("admin", "officer", "trader", "issuer", "bank", "broker"):
        assert tokens[user] not in said, f"{user}'s token was printed"


# --- users and tokens


@pytest.fixture
def node_database(database, monkeypatch):
    monkeypatch.setenv("SINGLEWINDOW_DATABASE_URL", database.url)
    access.create_user(database, "admin", Role.ADMIN)
    return database


def test_users_are_listed_disabled_and_enabled(node_database):
    token = access.create_user(node_database, "trader", Role.TRADER, party_id="VN1")
    listed = run("users", "list")
    assert listed.exit_code == 0, listed.output
    assert "admin" in listed.output and "VN1" in listed.output and "2 users" in listed.output
    assert "disabled" not in listed.output
    disabled = run("users", "disable", "trader")
    assert disabled.exit_code == 0 and "trader is disabled" in disabled.output
    assert "disabled since" in run("users", "list").output
    with pytest.raises(access.UnknownToken):
        access.authenticate(node_database, token)
    assert "already disabled" in refused(run("users", "disable", "trader"))
    assert run("users", "enable", "trader").exit_code == 0
    assert access.authenticate(node_database, token).username == "trader"
    assert "last enabled admin" in refused(run("users", "disable", "admin"))


def test_a_token_is_issued_once_listed_by_id_and_revoked(node_database):
    issued = run("users", "token", "admin")
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip()
    token_id = access.token_id(token)
    # Checked through a Database of its own, as a node would: the tokens a Database has seen
    # stay cached in it, and the command line's changes clear only its own cache.
    node = Database(node_database.url)
    assert access.authenticate(node, token).username == "admin"
    assert f"token id {token_id}" in issued.stderr
    listed = run("users", "tokens", "admin")
    assert token_id in listed.output and token not in listed.output
    revoked = run("users", "revoke", token_id)
    assert revoked.exit_code == 0 and f"token {token_id} of admin is revoked" in revoked.output
    node.dispose()
    restarted = Database(node_database.url)  # a node process keeps its cache until restarted
    with pytest.raises(access.UnknownToken):
        access.authenticate(restarted, token)
    restarted.dispose()
    assert "already revoked" in refused(run("users", "revoke", token_id))


@pytest.mark.parametrize(
    ("args", "expected"),
    [(["users", "disable", "nobody"], "Not found: no user 'nobody'"),
     (["users", "token", "nobody"], "Not found: no user 'nobody'"),
     (["users", "tokens", "nobody"], "Not found: no user 'nobody'"),
     (["users", "revoke", "0123456789ab"], "Not found: no token with id 0123456789ab"),
     (["users", "revoke", "my-token"], "token_id: a token id is 12 to 64 hexadecimal")],
)
def test_user_commands_refuse_in_one_line(node_database, args, expected):
    said = refused(run(*args))
    assert expected in said
