"""`singlewindow transit …`: the holder's and the officers' transit work through a running
node's API (the node keeps everything; the token says who acts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from singlewindow.remote import call, read_json_object

app = typer.Typer(help="Transit movements (NCTS): lodge, follow, record at the offices on the "
                       "way, guarantees; through a running node's API", no_args_is_help=True)
console = Console()

NodeOption = Annotated[str, typer.Option(
    "--node", envvar="SINGLEWINDOW_NODE", show_envvar=True,
    help="URL of a running node, e.g. http://127.0.0.1:8102")]
TokenOption = Annotated[str, typer.Option(
    envvar="SINGLEWINDOW_TOKEN", show_envvar=True, help="The API token of the user acting")]
OfficeOption = Annotated[str, typer.Option(help="The officer's office, e.g. THNKI01")]


@app.command("lodge")
def lodge(
    file: Path, node: NodeOption, token: TokenOption,
    access_code: Annotated[str | None, typer.Option(
        envvar="SINGLEWINDOW_ACCESS_CODE", show_envvar=True,
        help="The guarantee's access code, instead of the file's")] = None,
) -> None:
    """Lodge a transit declaration (IE015) from a JSON file, as its holder."""
    declaration = read_json_object(file, "a transit declaration")
    if access_code is not None:
        declaration["access_code"] = access_code
    _show(call(node, token, "POST", "/transit/movements", declaration))


@app.command("show")
def show(mrn: str, node: NodeOption, token: TokenOption) -> None:
    """One movement as this node holds it, and its history here."""
    _show(call(node, token, "GET", _path(mrn)))
    table = Table("at (UTC)", "what", "by", title="History", title_justify="left")
    for event in call(node, token, "GET", _path(mrn, "history")):
        table.add_row(event["at"][:19], event["what"], escape(event["by"]))
    console.print(table)


@app.command("list")
def list_movements(node: NodeOption, token: TokenOption,
                   limit: Annotated[int, typer.Option(min=1, max=500)] = 50) -> None:
    """Movements at this node, newest first (a trader's own only)."""
    page = call(node, token, "GET", f"/transit/movements?limit={limit}")
    _table(page["items"], f"{page['total']} movements")


@app.command("expected")
def expected(node: NodeOption, token: TokenOption) -> None:
    """Movements announced to the officer's office, not yet crossed or arrived."""
    _table(call(node, token, "GET", "/transit/expected"), "Expected at this office")


@app.command("overdue")
def overdue(node: NodeOption, token: TokenOption) -> None:
    """Departures past their time limit: overdue, in enquiry, in recovery."""
    _table(call(node, token, "GET", "/transit/overdue"), "Overdue")


@app.command("cross")
def cross(mrn: str, office: OfficeOption, node: NodeOption, token: TokenOption) -> None:
    """Record that the goods entered the country at an office of transit (IE118 / IE115)."""
    _show(call(node, token, "POST", _path(mrn, "crossing"), {"office": office}))


@app.command("arrive")
def arrive(mrn: str, office: OfficeOption, node: NodeOption, token: TokenOption) -> None:
    """Record the arrival at the office of destination (IE006)."""
    _show(call(node, token, "POST", _path(mrn, "arrival"), {"office": office}))


@app.command("control")
def control(
    mrn: str, node: NodeOption, token: TokenOption,
    seals_intact: Annotated[bool, typer.Option("--seals-intact/--seals-broken")] = True,
    discrepancy: Annotated[list[str] | None, typer.Option(
        help="A discrepancy found (repeat for several)")] = None,
    remarks: str = "",
) -> None:
    """Record the unloading remarks and control results at destination (IE018)."""
    _show(call(node, token, "POST", _path(mrn, "control"),
               {"seals_intact": seals_intact, "discrepancies": discrepancy or [],
                "remarks": remarks}))


@app.command("release")
def release(mrn: str, node: NodeOption, token: TokenOption) -> None:
    """Release for transit a movement held for control (an officer of departure)."""
    _show(call(node, token, "POST", _path(mrn, "release")))


@app.command("solve")
def solve(
    mrn: str, note: Annotated[str, typer.Option(help="How it was solved")],
    node: NodeOption, token: TokenOption,
    recovered: Annotated[bool, typer.Option("--recovered/--written-off")] = False,
) -> None:
    """Solve a discrepancy at the office of departure: written off, or the duties recovered."""
    _show(call(node, token, "POST", _path(mrn, "solution"),
               {"recovered": recovered, "note": note}))


@app.command("guarantee")
def guarantee(reference: str, node: NodeOption, token: TokenOption) -> None:
    """A guarantee's amount, what is reserved of it and its balance."""
    g = call(node, token, "GET", f"/transit/guarantees/{reference}")
    state = "revoked" if g["revoked_on"] else "blocked" if g["blocked"] else "valid"
    console.print(f"[bold]{g['reference']}[/] of {g['holder']}: {g['amount']} {g['currency']}, "
                  f"reserved {g['reserved']}, balance [bold]{g['balance']}[/]; {state} "
                  f"{g['valid_from']} to {g['valid_to']}")


def _path(mrn: str, then: str = "") -> str:
    """The API path of a movement (the MRN as typed, quoted: it stays one path segment)."""
    return f"/transit/movements/{quote(mrn, safe='')}" + (f"/{then}" if then else "")


def _route(m: dict[str, Any]) -> str:
    return " → ".join([m["departure_office"], *m["transit_offices"], m["destination_office"]])


def _show(m: dict[str, Any]) -> None:
    console.print(f"[bold]{m['mrn']}[/] (LRN {escape(m['lrn'])}): [bold]{m['status']}[/] "
                  f"at this node, its office of {m['role']}; {_route(m)}; time limit "
                  f"{m['time_limit'][:16]}")
    if m["role"] == "departure":
        console.print(f"  guarantee {m['guarantee']}: {m['reserved']} {m['currency']} "
                      "reserved, the highest of " + ", ".join(
                          f"{c} {a}" for c, a in sorted(m["duties"].items())))
    for reason in m["reasons"]:
        console.print(f"  {escape(reason)}")
    if m["control"]:  # officers only
        console.print(f"  selectivity: {m['control'].get('channel')}; "
                      + "; ".join(escape(r) for r in m["control"].get("reasons", [])))
    for crossing in m["crossings"]:
        word = "crossed" if crossing.get("declared", True) else "crossed, NOT declared"
        console.print(f"  {word} at {crossing['office']} {crossing['at'][:19]}")
    if m["arrival"]:
        console.print(f"  arrived at {m['arrival']['office']} {m['arrival']['at'][:19]}")
    if m["control_results"]:
        found = m["control_results"]["discrepancies"]
        console.print("  control results: " + ("; ".join(escape(d) for d in found) or
                                               "no discrepancy"))


def _table(movements: list[dict[str, Any]], title: str) -> None:
    table = Table("status", "role", "route", "time limit", title=title, title_justify="left")
    table.columns.insert(0, Column("MRN", no_wrap=True))
    for m in movements:
        table.add_row(m["mrn"], m["status"], m["role"], _route(m), m["time_limit"][:16])
    console.print(table)
