"""`singlewindow green …`: waste shipments under the Basel Convention through a running
node's API: the competent authority's officers record, list, read and revoke the consents
their country gave; an administrator lists and sets the country's rules; anyone signed in
checks a declaration file against the Basel checks (the node keeps everything; the token says
who acts)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from singlewindow.green.model import Direction, RuleKind
from singlewindow.remote import CommandFailed, call, read_json_object

app = typer.Typer(help="Waste shipments (Basel Convention): consents given, their use, the "
                       "country's rules; through a running node's API", no_args_is_help=True)
consents_app = typer.Typer(help="Consents this country's competent authority gave",
                           no_args_is_help=True)
rules_app = typer.Typer(help="The country's dated rules on waste", no_args_is_help=True)
app.add_typer(consents_app, name="consents")
app.add_typer(rules_app, name="rules")
console = Console()

NodeOption = Annotated[str, typer.Option(
    "--node", envvar="SINGLEWINDOW_NODE", show_envvar=True,
    help="URL of a running node, e.g. http://127.0.0.1:8102")]
TokenOption = Annotated[str, typer.Option(
    envvar="SINGLEWINDOW_TOKEN", show_envvar=True, help="The API token of the user acting")]


@consents_app.command("list")
def consents_list(node: NodeOption, token: TokenOption) -> None:
    """The consents recorded, newest first, with what each has used."""
    found = call(node, token, "GET", "/green/consents")
    table = Table(Column("reference", no_wrap=True), "Basel", "HS", "exporter → importer",
                  "kg consented", "kg used", "valid", "state", title=f"{len(found)} consents",
                  title_justify="left")
    for c in found:
        table.add_row(c["reference"], c["basel_code"], c["hs_code"],
                      escape(f"{c['exporter']} → {c['importer']}"), c["quantity"], c["used"],
                      f"{c['valid_from']} – {c['valid_to']}",
                      "revoked" if c["revoked"] else "in force")
    console.print(table)


@consents_app.command("show")
def consents_show(reference: str, node: NodeOption, token: TokenOption) -> None:
    """One consent and its uses, shipment by shipment."""
    c = call(node, token, "GET", f"/green/consents/{reference}")
    console.print(f"[bold]{c['reference']}[/] {c['basel_code']} HS {c['hs_code']}: "
                  f"{c['used']} of {c['quantity']} kg used, {c['remaining']} left"
                  + (" [red](revoked)[/]" if c["revoked"] else ""))
    table = Table("declaration", "item", "kg", "taken (UTC)", "given back (UTC)")
    for u in c["uses"] or []:
        table.add_row(u["declaration"], str(u["item"]), u["kg"], u["taken_at"][:16],
                      (u["returned_at"] or "")[:16])
    console.print(table)


@consents_app.command("add")
def consents_add(
    reference: str, node: NodeOption, token: TokenOption,
    exporter: Annotated[str, typer.Option(help="The exporter's party id")],
    importer: Annotated[str, typer.Option(help="The importer's party id")],
    basel_code: Annotated[str, typer.Option(help="A3210, Y48, A1181, Y49, …")],
    hs_code: Annotated[str, typer.Option(help="The HS 2022 subheading, 6 digits")],
    quantity: Annotated[Decimal, typer.Option(help="kg consented over every shipment")],
    valid_from: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    valid_to: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    country: Annotated[str, typer.Option(help="The importing country (this node's)")] = "",
) -> None:
    """Record a consent this country's competent authority gave."""
    body = {"reference": reference, "importing_country": country or reference[:2],
            "exporter": exporter, "importer": importer, "basel_code": basel_code,
            "hs_code": hs_code, "quantity": str(quantity), "valid_from": _day(valid_from),
            "valid_to": _day(valid_to)}
    c = call(node, token, "POST", "/green/consents", body)
    console.print(f"consent {c['reference']} recorded: {c['quantity']} kg of {c['basel_code']}"
                  f" (HS {c['hs_code']}) from {escape(c['exporter'])} to"
                  f" {escape(c['importer'])}, {c['valid_from']} – {c['valid_to']}")


@consents_app.command("revoke")
def consents_revoke(reference: str, node: NodeOption, token: TokenOption,
                    reason: Annotated[str, typer.Option(help="Why")]) -> None:
    """Withdraw a consent: no further shipment may use it."""
    call(node, token, "POST", f"/green/consents/{reference}/revocation", {"reason": reason})
    console.print(f"consent {reference} revoked")


@rules_app.command("list")
def rules_list(node: NodeOption, token: TokenOption) -> None:
    """Every rule of the country, in force or not; samples say they are."""
    found = call(node, token, "GET", "/green/rules")
    table = Table(Column("id", no_wrap=True), "kind", "direction", "matches", "max share",
                  "valid", "sample", title=f"{len(found)} rules", title_justify="left")
    for r in found:
        matches = " ".join(x for x in (r["basel_code"], r["hs_prefix"] and f"HS {r['hs_prefix']}",
                                       r["origin"] and f"from {r['origin']}") if x) or "all"
        table.add_row(r["id"], r["kind"], r["direction"], matches, r["max_share"] or "",
                      f"{r['valid_from']} – {r['valid_to'] or ''}",
                      "sample" if r["sample"] else "")
    console.print(table)


@rules_app.command("add")
def rules_add(
    rule_id: str, node: NodeOption, token: TokenOption,
    kind: Annotated[RuleKind, typer.Option(help="ban, or max_contamination")],
    valid_from: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    direction: Annotated[Direction, typer.Option()] = Direction.IMPORT,
    basel_code: Annotated[str | None, typer.Option()] = None,
    hs_prefix: Annotated[str | None, typer.Option(help="2 to 8 digits")] = None,
    origin: Annotated[str | None, typer.Option(help="ISO country code")] = None,
    max_share: Annotated[Decimal | None, typer.Option(help="0.005 is 0.5 %")] = None,
    valid_to: Annotated[str | None, typer.Option(help="YYYY-MM-DD, the last day")] = None,
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """Set a dated rule of the country (administrators)."""
    body: dict[str, Any] = {"id": rule_id, "kind": kind.value, "direction": direction.value,
                            "valid_from": _day(valid_from), "note": note}
    for name, value in (("basel_code", basel_code), ("hs_prefix", hs_prefix),
                        ("origin", origin), ("valid_to", valid_to and _day(valid_to)),
                        ("max_share", max_share is not None and str(max_share))):
        if value:
            body[name] = value
    r = call(node, token, "POST", "/green/rules", body)
    console.print(f"rule {r['id']} set: {r['kind']} from {r['valid_from']}")


@app.command("check")
def check(file: Path, node: NodeOption, token: TokenOption) -> None:
    """What the node's Basel checks say of the declaration in a JSON file (nothing lodged)."""
    document = read_json_object(file, "a declaration")
    answer = call(node, token, "POST", "/green/check", document)
    if answer["passes"]:
        console.print("passes the Basel checks")
        return
    for problem in answer["problems"]:
        console.print(f"  • {problem['path']}: {escape(problem['message'])}")
    raise typer.Exit(1)


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise CommandFailed(f"{text!r} is not a date (YYYY-MM-DD)") from None
