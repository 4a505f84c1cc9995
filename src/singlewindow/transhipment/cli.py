"""`singlewindow hubs …`: the hubs known for origin laundering and a consignment's legs,
through a running node's API (the node keeps everything; the token says who acts: officers
read, an administrator lists and ends)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from singlewindow.remote import call

app = typer.Typer(help="Transhipment hubs: the hubs known for origin laundering (list, add, "
                       "end) and a consignment's legs; through a running node's API",
                  no_args_is_help=True)
console = Console()

NodeOption = Annotated[str, typer.Option(
    "--node", envvar="SINGLEWINDOW_NODE", show_envvar=True,
    help="URL of a running node, e.g. http://127.0.0.1:8102")]
TokenOption = Annotated[str, typer.Option(
    envvar="SINGLEWINDOW_TOKEN", show_envvar=True, help="The API token of the user acting")]


def _listings(found: list[dict[str, Any]]) -> None:
    table = Table("id", "port", "HS prefix", "from", "until", "note", "recorded by",
                  title=f"{len(found)} hubs known for origin laundering", title_justify="left")
    for listing in found:
        note = escape(listing["note"]) + (" (sample)" if listing["sample"] else "")
        table.add_row(str(listing["id"]), listing["port"], listing["hs_prefix"],
                      listing["listed_from"], listing["listed_until"] or "", note,
                      listing["recorded_by"])
    console.print(table)


@app.command("list")
def list_(node: NodeOption, token: TokenOption) -> None:
    """The hubs known for origin laundering, by port and HS prefix."""
    _listings(call(node, token, "GET", "/transhipment/laundering-hubs"))


@app.command("add")
def add(port: Annotated[str, typer.Argument(help="UN/LOCODE of the hub, e.g. MYPKG")],
        hs_prefix: Annotated[str, typer.Argument(help="HS chapter, heading, subheading or "
                                                      "line: 2, 4, 6 or 8 digits")],
        node: NodeOption, token: TokenOption,
        listed_from: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD)")] = "",
        until: Annotated[str | None, typer.Option(help="Last day (YYYY-MM-DD)")] = None,
        note: Annotated[str, typer.Option(help="What is known of the practice")] = "") -> None:
    """List a hub known for origin laundering of a code (an administrator)."""
    body = {"port": port.upper(), "hs_prefix": hs_prefix,
            "listed_from": listed_from or date.today().isoformat(), "note": note}
    if until:
        body["listed_until"] = until
    added = call(node, token, "POST", "/transhipment/laundering-hubs", body)
    console.print(f"listed {added['port']} for {added['hs_prefix']} from "
                  f"{added['listed_from']} (id {added['id']})")


@app.command("end")
def end(listing: int, node: NodeOption, token: TokenOption,
        until: Annotated[str, typer.Option(help="Last day listed (YYYY-MM-DD)")] = "") -> None:
    """End a listing on a day (an administrator; listings are never deleted)."""
    ended = call(node, token, "POST", f"/transhipment/laundering-hubs/{listing}/end",
                 {"listed_until": until or date.today().isoformat()})
    console.print(f"{ended['port']} for {ended['hs_prefix']}: listed until "
                  f"{ended['listed_until']}")


@app.command("legs")
def legs(document: Annotated[str, typer.Argument(help="A bill of lading or air waybill")],
         node: NodeOption, token: TokenOption) -> None:
    """A consignment's legs at this node's hubs, with the origin each recorded."""
    found = call(node, token, "GET", f"/transhipment/consignments/{document.upper()}")
    table = Table("leg", "from", "to", "document", "carrier", "date", "goods (origin)",
                  title=f"{found['arrival_document']} at {found['port']}",
                  title_justify="left")
    for leg in found["legs"]:
        goods = "; ".join(f"{g['commodity_code']} {g['quantity']} {g['quantity_unit']} "
                          f"({g['origin_country']})" for g in leg["goods"])
        table.add_row(str(leg["sequence"]), leg["loading_port"], leg["unloading_port"],
                      leg["transport_document"], escape(leg["carrier"]), leg["on"], goods)
    console.print(table)
