"""`singlewindow aeo …`: the AEO programme and mutual recognition through a running node's
API: the operator applies and gives or withdraws its consent, officers validate, decide and
keep the register, an administrator records arrangements, officers read what partners told
and what an operator's recognition brings (the node keeps everything; the token says who
acts)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from singlewindow.aeo.model import AeoStatus, ApplicationStatus, Criterion
from singlewindow.remote import call, read_json_object
from singlewindow.risk.model import AeoRole

app = typer.Typer(help="Authorised Economic Operators: apply, validate, grant, keep the "
                       "register, mutual recognition arrangements and partners; through a "
                       "running node's API", no_args_is_help=True)
console = Console()

NodeOption = Annotated[str, typer.Option(
    "--node", envvar="SINGLEWINDOW_NODE", show_envvar=True,
    help="URL of a running node, e.g. http://127.0.0.1:8102")]
TokenOption = Annotated[str, typer.Option(
    envvar="SINGLEWINDOW_TOKEN", show_envvar=True, help="The API token of the user acting")]
ReasonOption = Annotated[str, typer.Option(help="Why (kept in the register's history)")]
NoteOption = Annotated[str, typer.Option(help="What the auditor found")]


# -- applications ----------------------------------------------------------------------------

@app.command("apply")
def apply(file: Path, node: NodeOption, token: TokenOption) -> None:
    """Apply for AEO status from a JSON file, as the operator itself."""
    _show_application(call(node, token, "POST", "/aeo/applications",
                           read_json_object(file, "an application")))


@app.command("applications")
def applications(
    node: NodeOption, token: TokenOption,
    status: Annotated[ApplicationStatus | None, typer.Option(
        help="Only the applications in this status")] = None,
) -> None:
    """Applications, newest first (a trader's own only)."""
    query = f"?status={status.value}" if status is not None else ""
    found = call(node, token, "GET", f"/aeo/applications{query}")
    table = Table("operator", "name", "status", "submitted (UTC)", "missing for a grant",
                  title=f"{len(found)} applications", title_justify="left")
    table.columns.insert(0, Column("number", no_wrap=True))
    for a in found:
        table.add_row(a["number"], a["operator"], escape(a["name"]), a["status"],
                      a["submitted_at"][:16], escape("; ".join(a["missing_for_grant"])))
    console.print(table)


@app.command("show")
def show(number: str, node: NodeOption, token: TokenOption) -> None:
    """One application: the self-assessment, the findings, the visits and the decision."""
    _show_application(call(node, token, "GET", _application(number)), full=True)


@app.command("validate")
def validate(number: str, node: NodeOption, token: TokenOption) -> None:
    """Start validating a submitted application (an officer)."""
    _show_application(call(node, token, "POST", _application(number, "validation")))


@app.command("finding")
def finding(
    number: str, criterion: Criterion, note: NoteOption, node: NodeOption,
    token: TokenOption,
    met: Annotated[bool, typer.Option("--met/--not-met", help="Whether it is met")] = True,
) -> None:
    """Record the auditor's finding on one criterion."""
    _show_application(call(node, token, "POST", _application(number, "findings"),
                           {"criterion": criterion.value, "met": met, "note": note}))


@app.command("visit")
def visit(
    number: str, site: str, note: NoteOption, node: NodeOption, token: TokenOption,
    on: Annotated[str | None, typer.Option(
        help="The day of the visit, YYYY-MM-DD (today unless told)")] = None,
) -> None:
    """Record an on-site visit of one of the application's sites (by its name)."""
    _show_application(call(node, token, "POST", _application(number, "visits"),
                           {"site": site, "on": on or date.today().isoformat(),
                            "note": note}))


@app.command("grant")
def grant(number: str, reason: ReasonOption, node: NodeOption, token: TokenOption) -> None:
    """Grant the AEO status: every criterion found met and a site visited."""
    _show_application(call(node, token, "POST", _application(number, "decision"),
                           {"grant": True, "reason": reason}))


@app.command("refuse")
def refuse(number: str, reason: ReasonOption, node: NodeOption, token: TokenOption) -> None:
    """Refuse the application, with the reason."""
    _show_application(call(node, token, "POST", _application(number, "decision"),
                           {"grant": False, "reason": reason}))


# -- the register ----------------------------------------------------------------------------

@app.command("register")
def register(
    node: NodeOption, token: TokenOption,
    status: Annotated[AeoStatus | None, typer.Option(
        help="Only the operators in this status")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 200,
) -> None:
    """The register of this country's AEOs (officers)."""
    query = f"?limit={limit}" + (f"&status={status.value}" if status is not None else "")
    page = call(node, token, "GET", f"/aeo/operators{query}")
    table = Table("name", "status", "consent", "granted on", "application",
                  title=f"{page['total']} operators", title_justify="left")
    table.columns.insert(0, Column("operator", no_wrap=True))
    for o in page["items"]:
        table.add_row(o["operator"], escape(o["name"]), o["status"],
                      "yes" if o["consent"] else "no", o["granted_on"], o["application"])
    console.print(table)


@app.command("operator")
def operator(operator_id: Annotated[str, typer.Argument(metavar="ID")], node: NodeOption,
             token: TokenOption) -> None:
    """One AEO and its history: who changed it, when and why."""
    _show_operator(call(node, token, "GET", _operator(operator_id)))


def _change(operator_id: str, change: str, reason: str, node: str, token: str) -> None:
    _show_operator(call(node, token, "POST", _operator(operator_id, "status"),
                        {"change": change, "reason": reason}))


@app.command("suspend")
def suspend(operator_id: Annotated[str, typer.Argument(metavar="ID")], reason: ReasonOption,
            node: NodeOption, token: TokenOption) -> None:
    """Suspend an authorisation: no AEO benefit until it is reinstated."""
    _change(operator_id, "suspended", reason, node, token)


@app.command("reinstate")
def reinstate(operator_id: Annotated[str, typer.Argument(metavar="ID")],
              reason: ReasonOption, node: NodeOption, token: TokenOption) -> None:
    """Reinstate a suspended authorisation."""
    _change(operator_id, "reinstated", reason, node, token)


@app.command("revoke")
def revoke(operator_id: Annotated[str, typer.Argument(metavar="ID")], reason: ReasonOption,
           node: NodeOption, token: TokenOption) -> None:
    """Revoke an authorisation (final)."""
    _change(operator_id, "revoked", reason, node, token)


@app.command("consent")
def consent(
    operator_id: Annotated[str, typer.Argument(metavar="ID")], node: NodeOption,
    token: TokenOption,
    give: Annotated[bool, typer.Option("--give/--withdraw",
                                       help="Give or withdraw the consent to share with MRA "
                                            "partners")] = True,
) -> None:
    """The operator gives or withdraws its consent to share its data with MRA partners."""
    _show_operator(call(node, token, "PUT", _operator(operator_id, "consent"),
                        {"given": give}))


# -- mutual recognition ----------------------------------------------------------------------

@app.command("mra")
def mra(file: Path, node: NodeOption, token: TokenOption) -> None:
    """Record a mutual recognition arrangement from a JSON file (an administrator)."""
    a = call(node, token, "POST", "/aeo/arrangements", read_json_object(file, "an arrangement"))
    console.print(f"[bold]{escape(a['id'])}[/] recorded: {escape(a['name'])}, "
                  f"{', '.join(a['partners'])}, from {a['starts_on']}"
                  + (f" to {a['ends_on']}" if a["ends_on"] else ""))


@app.command("arrangements")
def arrangements(node: NodeOption, token: TokenOption) -> None:
    """The mutual recognition arrangements recorded at this node."""
    table = Table("name", "partners", "from", "to", "benefits", "roles",
                  title="Arrangements", title_justify="left")
    table.columns.insert(0, Column("id", no_wrap=True))
    for a in call(node, token, "GET", "/aeo/arrangements"):
        table.add_row(escape(a["id"]), escape(a["name"]), ", ".join(a["partners"]),
                      a["starts_on"], a["ends_on"] or "", ", ".join(a["benefits"]),
                      ", ".join(a["roles"]))
    console.print(table)


@app.command("partners")
def partners(node: NodeOption, token: TokenOption) -> None:
    """Each partner administration and what it told of its operators."""
    table = Table("recognised", "suspended", "dropped", "notices", "last learnt (UTC)",
                  title="Partners", title_justify="left")
    table.columns.insert(0, Column("administration", no_wrap=True))
    for p in call(node, token, "GET", "/aeo/partners"):
        table.add_row(p["administration"], str(p["recognised"]), str(p["suspended"]),
                      str(p["dropped"]), str(p["notices"]), (p["last_learnt"] or "")[:19])
    console.print(table)


@app.command("partner")
def partner(country: str, node: NodeOption, token: TokenOption,
            limit: Annotated[int, typer.Option(min=1, max=500)] = 200) -> None:
    """A partner's operators, as it told them."""
    page = call(node, token, "GET",
                f"/aeo/partners/{quote(country, safe='')}/operators?limit={limit}")
    table = Table("name", "status", "version", "told at (UTC)",
                  title=f"{page['total']} operators of {escape(country)}",
                  title_justify="left")
    table.columns.insert(0, Column("operator", no_wrap=True))
    for o in page["items"]:
        table.add_row(o["operator"], escape(o["name"]), o["status"], str(o["version"]),
                      o["told_at"][:19])
    console.print(table)


@app.command("check")
def check(
    operator_id: Annotated[str, typer.Argument(metavar="ID")], node: NodeOption,
    token: TokenOption,
    role: Annotated[AeoRole, typer.Option(help="Its role on the consignment")] = (
        AeoRole.IMPORTER),
) -> None:
    """Whether a consignment naming the operator in the role gets an AEO benefit now."""
    r = call(node, token, "GET",
             f"{_operator(operator_id, base='/aeo/recognition')}?role={role.value}")
    if not r["recognised"]:
        console.print(f"[bold]{r['operator']}[/] as {r['role']}: [bold]not recognised[/], "
                      "no AEO benefit")
        return
    console.print(f"[bold]{r['operator']}[/] as {r['role']}: [bold]recognised[/] under "
                  f"{escape(r['programme'])}")
    for benefit in r["benefits"]:
        console.print(f"  {escape(benefit)}")


# -- helpers ---------------------------------------------------------------------------------



def _application(number: str, then: str = "") -> str:
    """The API path of an application (the number as typed, quoted: one path segment)."""
    return f"/aeo/applications/{quote(number, safe='')}" + (f"/{then}" if then else "")


def _operator(operator_id: str, then: str = "", base: str = "/aeo/operators") -> str:
    return f"{base}/{quote(operator_id, safe='')}" + (f"/{then}" if then else "")


def _show_application(a: dict[str, Any], full: bool = False) -> None:
    console.print(f"[bold]{a['number']}[/] {a['operator']} ({escape(a['name'])}): "
                  f"[bold]{a['status']}[/]; submitted {a['submitted_at'][:16]}; sites "
                  + ", ".join(escape(s["name"]) for s in a["sites"]))
    if full:
        for criterion, text in a["self_assessment"].items():
            console.print(f"  self-assessment, {criterion}: {escape(text)}")
    for criterion, f in a["findings"].items():
        console.print(f"  {criterion}: {'met' if f['met'] else 'NOT met'} "
                      f"({escape(f['by'])}): {escape(f['note'])}")
    for v in a["visits"]:
        console.print(f"  visited {escape(v['site'])} on {v['on']} ({escape(v['by'])}): "
                      f"{escape(v['note'])}")
    for missing in a["missing_for_grant"]:
        console.print(f"  before a grant: {escape(missing)}")
    if a["decision"]:
        d = a["decision"]
        console.print(f"  {d['decision']} by {escape(d['by'])}: {escape(d['reason'])}")


def _show_operator(o: dict[str, Any]) -> None:
    console.print(f"[bold]{o['operator']}[/] ({escape(o['name'])}): [bold]{o['status']}[/]; "
                  f"granted on {o['granted_on']} ({o['application']}); consent to share "
                  f"{'given' if o['consent'] else 'not given'}; version {o['version']}")
    if o["history"]:
        table = Table("at (UTC)", "change", "status", "by", "reason", title="History",
                      title_justify="left")
        for h in o["history"]:
            table.add_row(h["at"][:19], h["change"], h["status"], escape(h["by"]),
                          escape(h["reason"]))
        console.print(table)
