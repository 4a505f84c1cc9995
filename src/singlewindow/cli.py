"""The `singlewindow` command line: thin commands that call the rooms' services.

What a user can get wrong — a file that is missing or not JSON, a node that is down or is
not a node, a refusal by the rules — ends in one line on stderr (and the problems under it)
with exit code 1; a command used wrongly exits with 2. A traceback means a bug.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from singlewindow.access import services as access
from singlewindow.access.model import Principal, Role
from singlewindow.core.config import SETTINGS_VARIABLE, Settings
from singlewindow.core.db import Database
from singlewindow.core.errors import SingleWindowError
from singlewindow.core.paths import api_url
from singlewindow.declarations.errors import DuplicateLrn
from singlewindow.declarations.schemas import DeclarationCreate, DeclarationRead
from singlewindow.devnet import sample
from singlewindow.devnet.network import run_network
from singlewindow.node import local_node, open_database
from singlewindow.remote import CommandFailed, Refused, call, read_json_object


class _Commands(TyperGroup):
    """Ends every command's foreseeable failures, its rooms' commands included, in a line on
    stderr and exit code 1 instead of a traceback."""

    def invoke(self, ctx: Any) -> Any:  # typer's own click.Context, not click's
        try:
            return super().invoke(ctx)
        except SingleWindowError as error:
            _say_refusal(error)
        except CommandFailed as error:
            _say(str(error))
        except Refused as error:  # a room's command, refused by the node it called
            errors.print(f"[bold red]{error.status} {escape(error.title)}[/]: "
                         f"{escape(error.detail)}")
            for problem in error.problems:
                errors.print(f"  • {escape(problem)}")
            if error.hint:
                errors.print(escape(error.hint))
            elif error.status == 401:
                errors.print("Check the token (--token or SINGLEWINDOW_TOKEN) against the "
                             "node's tokens file.")
        except OSError as error:  # a file a room's command could not read or write
            where = f"{error.filename}: " if error.filename else ""
            _say(f"{where}{error.strerror or error}")
        raise typer.Exit(code=1)


app = typer.Typer(help="Single Window: a national customs node and the network between nodes.",
                  no_args_is_help=True, cls=_Commands)
users_app = typer.Typer(
    help="Users and API tokens of a node, on its database (SINGLEWINDOW_DATABASE_URL, or "
    "SINGLEWINDOW_HOME/COUNTRY.db: var/network/VN for the VN node of `singlewindow up`)",
    no_args_is_help=True,
)
risk_app = typer.Typer(help="Selectivity and the learned risk model", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(risk_app, name="risk")

console = Console()
# Never wrapped: an error is one line, whatever the terminal's width.
errors = Console(stderr=True, soft_wrap=True, highlight=False)

CountryOption = Annotated[str, typer.Option("--country", "-c", help="The node's country")]


def _say(message: str, *details: str) -> None:
    errors.print(f"[bold red]error[/]: {escape(message)}")
    for detail in details:
        errors.print(f"  • {escape(detail)}")


def _say_refusal(error: SingleWindowError, hint: str | None = None) -> None:
    problems = getattr(error, "problems", [])
    errors.print(f"[bold red]{escape(error.title)}[/]: {escape(error.detail)}")
    for problem in problems:
        errors.print(f"  • {escape(problem.path or '(declaration)')}: {escape(problem.message)}")
    if hint:
        errors.print(escape(hint))


def _fail(error: SingleWindowError) -> None:
    _say_refusal(error)
    raise typer.Exit(code=1)


def _node_database(country: str) -> Database:
    return open_database(Settings.from_env(country=country))


@app.command()
def serve(
    country: CountryOption = "VN",
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = typer.Option(1, help="Worker processes sharing the node's database"),
    with_sample: bool = typer.Option(False, "--sample", help="Load sample users and rules"),
) -> None:
    """Serve one national node's API.

    It reads these environment variables at start-up:

    \b
    SINGLEWINDOW_HOME          the node's directory (default: var)
    SINGLEWINDOW_DATABASE_URL  its database (default: SQLite in HOME/COUNTRY.db)
    SINGLEWINDOW_EXCHANGE_DIR  its exchange identity, keys and trust list (default:
                               HOME/exchange, if there is a node.crt there)
    SINGLEWINDOW_RANDOM_SHARE  share of declarations inspected at random (default: 0.02)
    SINGLEWINDOW_TELEMETRY     1 to export traces, metrics and logs (default: off)
    """
    _check_port_free(host, port)
    settings = Settings.from_env(country=country)
    if with_sample:
        settings = replace(settings, sample=True)
        sample.load(open_database(settings), country, settings.home)
        # Only where the tokens are: what a terminal shows may be logged or seen by others.
        # Soft-wrapped: a path cut in two cannot be pasted.
        console.print(f"Sample users {', '.join(sample.USERNAMES)} of {country}; their tokens "
                      f"are in {sample.tokens_file(settings.home, country)}, the console "
                      f"accounts' passwords in {sample.console_users_file(settings.home)} "
                      "(readable by you only)", soft_wrap=True)
    console.print(f"Node {country} on http://{host}:{port}: console at /login, API at "
                  "/api/v1, its docs at /api/docs")
    if workers == 1:
        _serve_here(settings, host, port)
    else:
        _serve_workers(settings, host, port, workers)


def _serve_here(settings: Settings, host: str, port: int) -> None:
    """One worker: this process serves, on `settings` as they are (no environment read)."""
    import uvicorn

    from singlewindow.api.server import serve_node

    uvicorn.run(partial(serve_node, settings), factory=True, host=host, port=port,
                log_level="warning")


def _serve_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    """Several workers: uvicorn in a child process, which starts them; each builds the node
    from `settings`, handed to the child alone in its environment (`SETTINGS_VARIABLE`)."""
    command = [sys.executable, "-m", "uvicorn", "--factory", "singlewindow.api.server:node_app",
               "--host", host, "--port", str(port), "--workers", str(workers),
               "--log-level", "warning"]
    child = subprocess.Popen(command, env=os.environ | {SETTINGS_VARIABLE: settings.to_json()})
    # Stopped, this process stops the child, which stops its workers.
    previous = signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    try:
        code = child.wait()
    except KeyboardInterrupt:  # Ctrl-C reached the child too: let it stop its workers
        code = child.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
    if code:
        raise typer.Exit(code=code)


def _check_port_free(host: str, port: int) -> None:
    from singlewindow.api.server import port_is_free

    if not port_is_free(host, port):
        raise CommandFailed(f"cannot serve on {host}:{port}: the port is in use (or {host} is "
                            "not an address of this machine); choose another --port")


@app.command()
def up(
    countries: str = typer.Option(
        "KH,VN,LA,TH,MY,SG", help="Comma-separated ASEAN member states, one node each"
    ),
    base_port: int = typer.Option(8100, help="The first node listens here, the next above"),
    traffic: int = typer.Option(0, help="Cross-border trades to run through the network"),
    once: bool = typer.Option(False, help="Exit when the traffic is done, printing its counts"),
    root: Path = typer.Option(Path("var/network"), help="Where the nodes keep their data"),
) -> None:
    """Start a local network: one node process per country, wired with a common trust list."""
    run_network(
        [c.strip().upper() for c in countries.split(",") if c.strip()],
        base_port,
        traffic=traffic,
        once=once,
        root=root,
    )


@app.command("try")
def try_declaration(
    file: Path,
    country: CountryOption = "VN",
    party: Annotated[str | None, typer.Option(help="Lodge as this trader (by default the "
                                             "declarant)")] = None,
    with_sample: bool = typer.Option(
        False, "--sample", help="Load the sample users, profiles and guarantee"
    ),
    database: Annotated[
        str | None,
        typer.Option(help="Lodge into this database URL and keep the declaration (by default "
                     "a throw-away database: nothing is kept)"),
    ] = None,
) -> None:
    """Try a declaration from a JSON file on a local node, outside any network, with the
    packaged sample tariff: on a throw-away database unless --database says which to keep it
    in. To lodge it through a running node, `singlewindow lodge`."""
    raw = read_json_object(file, "a declaration")
    from pydantic import ValidationError

    try:
        draft = DeclarationCreate.model_validate(raw).to_domain()
    except ValidationError as invalid:
        errors.print(f"[bold red]Invalid input[/]: {escape(str(file))} "
                     f"({invalid.error_count()} problems)")
        for error in invalid.errors():
            errors.print(f"  • {escape('.'.join(map(str, error['loc'])))}: {escape(error['msg'])}")
        raise typer.Exit(code=1) from None
    with local_node(country, database, with_sample) as local:
        actor = Principal(party or draft.declarant.id, Role.TRADER, party or draft.declarant.id)
        try:
            view = local.clearance.lodge(draft, actor)
        except DuplicateLrn as error:
            _say_refusal(error, _new_lrn_hint(file))
            raise typer.Exit(code=1) from None
        _show(DeclarationRead.of(view, actor))
    if database is None:
        console.print("[dim]Tried on a throw-away database: nothing was kept. To lodge, "
                      "`singlewindow lodge` --node URL --token TOKEN; to keep it locally, "
                      "--database URL.[/]")


@app.command("lodge")
def lodge(
    file: Path,
    node_url: Annotated[str, typer.Option(
        "--node", help="URL of a running node, e.g. http://127.0.0.1:8101 (API under /api/v1)"
    )],
    token: Annotated[
        str | None,
        typer.Option(envvar="SINGLEWINDOW_TOKEN", show_envvar=True,
                     help="The trader's API token"),
    ] = None,
    # `singlewindow try`'s, refused here with a word rather than as unknown options.
    database: Annotated[str | None, typer.Option(hidden=True)] = None,
    party: Annotated[str | None, typer.Option(hidden=True)] = None,
) -> None:
    """Lodge a declaration from a JSON file through a running node's API, as the trader whose
    token is given; the node keeps it. To try one locally first, `singlewindow try`."""
    if not token:
        raise typer.BadParameter("--node needs the trader's token: --token TOKEN or the "
                                 "environment variable SINGLEWINDOW_TOKEN", param_hint="--token")
    if database or party:
        raise typer.BadParameter("--database and --party are for local mode (`singlewindow "
                                 "try`); the node keeps the declaration and the token says "
                                 "who lodges", param_hint="--node")
    _show(_lodge_at(node_url, token, read_json_object(file, "a declaration"), file))


def _new_lrn_hint(file: Path) -> str:
    return (f'Each declaration needs an LRN of its own: give the "lrn" in {file} a new value '
            "to lodge it again.")


def _lodge_at(node: str, token: str, raw: dict[str, Any], file: Path) -> DeclarationRead:
    from pydantic import ValidationError

    try:
        body = call(node, token, "POST", "/declarations", raw)
    except Refused as refused:
        if refused.status == 409 and "already lodged" in refused.detail:
            refused.hint = _new_lrn_hint(file)
        raise
    try:
        return DeclarationRead.model_validate(body)
    except ValidationError as error:
        raise CommandFailed(f"{api_url(node)}/declarations answered with something that is "
                            f"not a declaration ({error.error_count()} problems): is --node a "
                            "node?") from None


def _show(read: DeclarationRead) -> None:
    console.print(f"[bold]{read.number}[/] (LRN {read.lrn}) is [bold]{read.status.value}[/], "
                  f"channel [bold]{read.channel.value if read.channel else '-'}[/]")
    if read.requirement:
        console.print(f"  {escape(read.requirement)}")
    for reason in read.reasons or []:  # shown to officers only
        console.print(f"  reason: {escape(reason)}")
    for item in read.assessment.get("items", []):
        console.print(f"  item {item['sequence']} customs value: {escape(item['valuation'])}")
    for note in read.assessment.get("preference", []):
        console.print(f"  preference, {escape(note)}")
    # the formula shows the base and the rate; the measure says which one laid it and why
    table = Table("item", "tax", "amount", "formula", "measure")
    for item in read.assessment.get("items", []):
        for duty in item["duties"]:
            table.add_row(str(item["sequence"]), duty["tax"], duty["amount"],
                          escape(duty["formula"]), escape(duty["measure"]))
    if table.row_count:
        console.print(table)
    s = read.settlement
    console.print(f"Duties and taxes {s.assessed} {s.currency}; outstanding {s.outstanding}")
    notice = read.payment_notice
    if notice is not None:
        console.print(f"Payment notice {notice.reference}: {notice.amount} {notice.currency} "
                      f"due {notice.due_on}, payable at a bank that confirms it to customs")


@users_app.command("create")
def create_user(
    username: str,
    role: Role,
    country: CountryOption = "VN",
    party_id: str | None = None,
    office: str | None = None,
) -> None:
    """Create a user and print its API token (shown once)."""
    database = _node_database(country)
    try:
        token = access.create_user(database, username, role, party_id, office)
    except SingleWindowError as error:
        _fail(error)
    console.print(token)


@users_app.command("list")
def list_users(country: CountryOption = "VN") -> None:
    """List the node's users: role, party or office, enabled or disabled."""
    users = access.all_users(_node_database(country))
    table = Table("user", "role", "party", "office", "status")
    for user in users:
        status = (f"disabled since {user.disabled_at:%Y-%m-%d %H:%M} UTC"
                  if user.disabled_at else "enabled")
        table.add_row(user.username, user.role.value, user.party_id or "",
                      user.office or "", status)
    console.print(table)
    console.print(f"{len(users)} users")


@users_app.command("disable")
def disable_user(username: str, country: CountryOption = "VN") -> None:
    """Disable a user: none of its tokens is accepted until it is enabled again."""
    access.disable_user(_node_database(country), username)
    console.print(f"{username} is disabled; its tokens are refused.")
    _warn_running_nodes()


@users_app.command("enable")
def enable_user(username: str, country: CountryOption = "VN") -> None:
    """Enable a disabled user; its tokens that were not revoked work again."""
    access.enable_user(_node_database(country), username)
    console.print(f"{username} is enabled.")


@users_app.command("password")
def set_password(
    username: str,
    country: CountryOption = "VN",
    password_file: Annotated[
        Path | None,
        typer.Option(help="Read the password from this file's first line (for scripts)"),
    ] = None,
) -> None:
    """Set a user's console password, read from --password-file, stdin, or a hidden prompt
    (twice) on a terminal; its failed logins and any lock are cleared."""
    password = _new_password(password_file)
    access.set_password(_node_database(country), username, password)
    console.print(f"{username}'s console password is set; its failed logins are cleared.")


def _new_password(password_file: Path | None) -> str:
    """The password from the file's or stdin's first line (its line end is not part of it),
    or typed twice, unseen, on a terminal. Never echoed nor put in an error."""
    if password_file is not None:
        try:
            text = password_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommandFailed(f"{password_file}: no such file") from None
        except UnicodeDecodeError:
            raise CommandFailed(f"{password_file}: not UTF-8 text") from None
        return text.splitlines()[0] if text else ""
    if sys.stdin.isatty():
        password: str = typer.prompt("New password", hide_input=True,
                                     confirmation_prompt=True)
        return password
    line = sys.stdin.readline()
    if not line:
        raise CommandFailed("no password on stdin (give it on the first line, or use "
                            "--password-file)")
    return line.rstrip("\r\n")


@users_app.command("token")
def issue_token(username: str, country: CountryOption = "VN") -> None:
    """Issue a new API token to a user and print it (shown once; only its digest is kept)."""
    token = access.issue_token(_node_database(country), username)
    console.print(token)
    errors.print(f"token id {access.token_id(token)} (revoke it with "
                 f"`singlewindow users revoke {access.token_id(token)}`)")


@users_app.command("tokens")
def list_tokens(username: str, country: CountryOption = "VN") -> None:
    """List a user's tokens by id (the tokens themselves are never shown again)."""
    table = Table("token id", "issued", "revoked")
    for token in access.list_tokens(_node_database(country), username):
        revoked = f"{token.revoked_at:%Y-%m-%d %H:%M} UTC" if token.revoked_at else ""
        table.add_row(token.token_id, f"{token.created_at:%Y-%m-%d %H:%M} UTC", revoked)
    console.print(table)


@users_app.command("revoke")
def revoke_token(
    token_id: Annotated[str, typer.Argument(help="The token's id, as `users tokens` lists it")],
    country: CountryOption = "VN",
) -> None:
    """Revoke a token by its id: it never works again."""
    token = access.revoke_token_id(_node_database(country), token_id)
    console.print(f"token {token.token_id} of {token.username} is revoked.")
    _warn_running_nodes()


def _warn_running_nodes() -> None:
    # Node processes re-read the access revision every half second (access.services).
    errors.print("Node processes serving this database refuse the token within a second.")


@app.command("migrate")
def migrate(country: CountryOption = "VN") -> None:
    """Bring the node's database to the latest schema."""
    settings = Settings.from_env(country=country)
    open_database(settings).dispose()
    console.print(f"{settings.database_url}: schema up to date")


def _mount_rooms() -> None:
    from singlewindow.aeo.cli import app as aeo_app
    from singlewindow.classification.cli import classify
    from singlewindow.enforcement.cli import app as alerts_app
    from singlewindow.exchange.cli import app as pki_app
    from singlewindow.green.cli import app as green_app
    from singlewindow.reference.cli import app as reference_app
    from singlewindow.risk.learning.cli import register
    from singlewindow.tariff.cli import app as tariff_app
    from singlewindow.transhipment.cli import app as hubs_app
    from singlewindow.transit.cli import app as transit_app

    app.add_typer(tariff_app, name="tariff")
    app.add_typer(reference_app, name="reference")
    app.add_typer(pki_app, name="pki")
    app.add_typer(transit_app, name="transit")
    app.add_typer(aeo_app, name="aeo")
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(hubs_app, name="hubs")
    app.add_typer(green_app, name="green")
    app.command("classify")(classify)
    register(risk_app)


_mount_rooms()


def main() -> None:  # pragma: no cover
    sys.exit(app())
