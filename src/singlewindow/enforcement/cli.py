"""`singlewindow alerts …`: shared enforcement intelligence through a running node's API, for
customs officers: raise an alert from a JSON file, withdraw it, list alerts raised and received
with their hits, record and share seizures, set up joint operations and read their board."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from singlewindow.remote import CommandFailed, call, read_json_object

app = typer.Typer(help="Enforcement alerts, their hits, seizures and joint operations; "
                       "through a running node's API (officers)", no_args_is_help=True)
console = Console()

NodeOption = Annotated[str, typer.Option(
    "--node", envvar="SINGLEWINDOW_NODE", show_envvar=True,
    help="URL of a running node, e.g. http://127.0.0.1:8102")]
TokenOption = Annotated[str, typer.Option(
    envvar="SINGLEWINDOW_TOKEN", show_envvar=True, help="The API token of the officer acting")]




@app.command("raise")
def raise_alert(file: Path, node: NodeOption, token: TokenOption) -> None:
    """Raise an alert from a JSON file (category, title, description, criteria, concealment,
    valid_from, valid_to, channel, and operation for a joint operation's members only)."""
    _show_alert(call(node, token, "POST", "/enforcement/alerts",
                     read_json_object(file, "an alert")))


@app.command("withdraw")
def withdraw(alert: str, node: NodeOption, token: TokenOption,
             reason: Annotated[str, typer.Option(help="Why it no longer applies")]) -> None:
    """Withdraw one of this node's alerts: its profiles retire at every recipient."""
    _show_alert(call(node, token, "POST", f"/enforcement/alerts/{alert}/withdrawal",
                     {"reason": reason}))


@app.command("list")
def list_alerts(
    node: NodeOption, token: TokenOption,
    raised: Annotated[bool | None, typer.Option(
        "--raised/--received", help="Only those raised here, or only those received")] = None,
) -> None:
    """Alerts raised here and received, newest first, with their hits."""
    query = "" if raised is None else f"?raised={str(raised).lower()}"
    found = call(node, token, "GET", f"/enforcement/alerts{query}")
    table = Table(Column("id", no_wrap=True), "category", "title", "status", "valid to", "to",
                  "hits",
                  title=f"{len(found)} alerts", title_justify="left")
    for a in found:
        table.add_row(a["id"], a["category"], escape(a["title"]), a["status"], a["valid_to"],
                      a["operation"] or ("every partner" if a["raised_here"] else "-"),
                      str(len(a["hits"])))
    console.print(table)


@app.command("show")
def show(alert: str, node: NodeOption, token: TokenOption) -> None:
    """One alert: its criteria, concealment methods and every hit."""
    _show_alert(call(node, token, "GET", f"/enforcement/alerts/{alert}"), full=True)


@app.command("hits")
def hits(node: NodeOption, token: TokenOption,
         alert: Annotated[str | None, typer.Option(help="Only this alert's")] = None) -> None:
    """Declarations alerts selected here, and those partners reported for our alerts."""
    query = f"?alert={alert}" if alert else ""
    found = call(node, token, "GET", f"/enforcement/hits{query}")
    table = Table(Column("alert", no_wrap=True), "at", Column("declaration", no_wrap=True),
                  "when (UTC)", "channel", "reported",
                  title=f"{len(found)} hits", title_justify="left")
    for h in found:
        table.add_row(h["alert"], h["country"], h["declaration"], h["hit_at"][:16],
                      h["channel"], "yes" if h["reported"] else "no")
    console.print(table)


@app.command("seize")
def seize(
    node: NodeOption, token: TokenOption,
    goods: Annotated[str, typer.Option(help="The goods seized, in words")],
    hs_code: Annotated[str, typer.Option(help="Their HS code (4 to 10 digits)")],
    quantity: Annotated[str, typer.Option(help="How much")],
    unit: Annotated[str, typer.Option(help="kg, pieces, sticks, ...")],
    concealment: Annotated[str, typer.Option(help="How they were hidden")] = "",
    declaration: Annotated[str | None, typer.Option(help="The declaration number")] = None,
    alert: Annotated[str | None, typer.Option(help="The alert that led to it")] = None,
    share: Annotated[bool, typer.Option(help="Share it with partners at once")] = False,
) -> None:
    """Record a seizure."""
    try:
        Decimal(quantity)
    except ArithmeticError:
        raise CommandFailed(f"--quantity: {quantity!r} is not a number") from None
    body = {"goods": goods, "hs_code": hs_code, "quantity": quantity, "unit": unit,
            "concealment": concealment, "declaration": declaration, "alert": alert,
            "shareable": share}
    _show_seizure(call(node, token, "POST", "/enforcement/seizures", body))


@app.command("share")
def share(seizure: str, node: NodeOption, token: TokenOption) -> None:
    """Share one of this node's seizures with partners (an operation's members)."""
    _show_seizure(call(node, token, "POST", f"/enforcement/seizures/{seizure}/share"))


@app.command("seizures")
def seizures(node: NodeOption, token: TokenOption) -> None:
    """Seizures recorded here and those partners shared."""
    found = call(node, token, "GET", "/enforcement/seizures")
    table = Table(Column("id", no_wrap=True), "goods", "HS", "quantity",
                  Column("declaration", no_wrap=True), "shared",
                  title=f"{len(found)} seizures", title_justify="left")
    for s in found:
        table.add_row(s["id"], escape(s["goods"]), s["hs_code"],
                      f"{_quantity(s['quantity'])} {s['unit']}", s["declaration"] or "-",
                      "received" if not s["recorded_here"] else
                      ("yes" if s["shared_at"] else "no"))
    console.print(table)


@app.command("operation")
def operation(
    code: str, node: NodeOption, token: TokenOption,
    name: Annotated[str, typer.Option(help="The campaign's name")],
    members: Annotated[str, typer.Option(help="Member countries, comma-separated")],
    starts_on: Annotated[str, typer.Option(help="First day, YYYY-MM-DD")],
    ends_on: Annotated[str, typer.Option(help="Last day, YYYY-MM-DD")],
) -> None:
    """Set up a joint operation this node coordinates; its members are told."""
    for label, value in (("--starts-on", starts_on), ("--ends-on", ends_on)):
        try:
            date.fromisoformat(value)
        except ValueError:
            raise CommandFailed(f"{label}: {value!r} is not a date (YYYY-MM-DD)") from None
    body = {"code": code, "name": name, "starts_on": starts_on, "ends_on": ends_on,
            "members": [m.strip().upper() for m in members.split(",") if m.strip()]}
    made = call(node, token, "POST", "/enforcement/operations", body)
    console.print(f"[bold]{made['code']}[/] {escape(made['name'])}: "
                  f"{', '.join(made['members'])}, {made['starts_on']} to {made['ends_on']}, "
                  f"coordinated by {made['coordinator']}")


@app.command("operations")
def operations(node: NodeOption, token: TokenOption) -> None:
    """Joint operations this node belongs to."""
    found = call(node, token, "GET", "/enforcement/operations")
    table = Table(Column("code", no_wrap=True), "name", "coordinator", "members", "from", "to",
                  title=f"{len(found)} joint operations", title_justify="left")
    for o in found:
        table.add_row(o["code"], escape(o["name"]), o["coordinator"], ", ".join(o["members"]),
                      o["starts_on"], o["ends_on"])
    console.print(table)


@app.command("board")
def board(code: str, node: NodeOption, token: TokenOption) -> None:
    """A joint operation's board: its alerts, their hits and the seizures."""
    found = call(node, token, "GET", f"/enforcement/operations/{code}")
    o = found["operation"]
    console.print(f"[bold]{o['code']}[/] {escape(o['name'])} ({', '.join(o['members'])}): "
                  f"{len(found['alerts'])} alerts, {len(found['hits'])} hits, "
                  f"{len(found['seizures'])} seizures")
    for a in found["alerts"]:
        console.print(f"  {a['id']} {escape(a['title'])}: {len(a['hits'])} hits")
    for s in found["seizures"]:
        console.print(f"  {s['id']} {escape(s['goods'])} {_quantity(s['quantity'])} "
                      f"{s['unit']}")


def _show_alert(a: dict[str, Any], full: bool = False) -> None:
    to = a["operation"] and f"joint operation {a['operation']}" or "every partner"
    console.print(f"[bold]{a['id']}[/] {a['category']}: {escape(a['title'])} "
                  f"({a['status']}, {a['valid_from']} to {a['valid_to']}, {a['channel']}, "
                  f"to {to})")
    if full:
        console.print(escape(a["description"]))
        for c in a["criteria"]:
            value = ", ".join(c["value"]) if isinstance(c["value"], list) else c["value"]
            console.print(f"  criterion: {c['field']} {c['operator']} {escape(str(value))}")
        for method in a["concealment"]:
            console.print(f"  concealment: {escape(method)}")
        for h in a["hits"]:
            console.print(f"  hit: {h['country']} {h['declaration']} {h['hit_at'][:19]} "
                          f"{h['channel']}")


def _show_seizure(s: dict[str, Any]) -> None:
    console.print(f"[bold]{s['id']}[/] {escape(s['goods'])} ({s['hs_code']}): "
                  f"{_quantity(s['quantity'])} {s['unit']}"
                  + (f", declaration {s['declaration']}" if s["declaration"] else "")
                  + (f", alert {s['alert']}" if s["alert"] else "")
                  + (", shared" if s["shared_at"] else ""))


def _quantity(text: str) -> str:
    """A quantity without the trailing zeros of its stored scale (50000, not 50000.000)."""
    return f"{Decimal(text).normalize():f}"
