"""`singlewindow pki …`: the network CA, node keys and certificates, the trust list."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from singlewindow.exchange import pki
from singlewindow.exchange.errors import TrustError

app = typer.Typer(help="Network certificate authority, node identities and trust lists.")
trust_app = typer.Typer(help="The partners this node trusts (party id, endpoint, certificate).")
app.add_typer(trust_app, name="trust-list")
console = Console()


def _fail(exc: Exception) -> None:
    console.print(f"[red]{exc}[/red]")
    raise typer.Exit(1)


@app.command("init-ca")
def init_ca(
    directory: Path = typer.Option(..., "--dir", help="Where the CA key (0600) and cert go"),
    name: str = typer.Option("Single Window Network CA", help="Subject CN of the CA"),
) -> None:
    """Create the network certificate authority."""
    try:
        ca = pki.init_ca(directory, name)
    except TrustError as exc:
        _fail(exc)
        return
    console.print(f"CA created in {directory}: {pki.fingerprint(ca.certificate)}")


@app.command("issue-node")
def issue_node(
    ca_dir: Path = typer.Option(..., "--ca-dir"),
    party_id: str = typer.Option(..., "--party-id"),
    country: str = typer.Option(..., "--country"),
    directory: Path = typer.Option(..., "--dir", help="The node's own directory (0700)"),
) -> None:
    """Generate a node key in its directory and certify it with the CA."""
    try:
        ca = pki.CertificateAuthority.load(ca_dir)
        identity = pki.issue_node(ca, party_id, country, directory)
    except TrustError as exc:
        _fail(exc)
        return
    console.print(
        f"node {identity.party_id} ({identity.country}) issued in {directory}: "
        f"{pki.fingerprint(identity.certificate)}"
    )


@trust_app.command("add")
def trust_add(
    trust_list: Path = typer.Option(..., "--list", help="The trust list file (JSON)"),
    certificate: Path = typer.Option(..., "--cert", help="The partner's node.crt"),
    endpoint: str = typer.Option(..., "--endpoint", help="The partner's AS4 endpoint URL"),
    ca_cert: Path | None = typer.Option(None, "--ca-cert", help="Check it is issued by this CA"),
) -> None:
    """Trust a partner: its party id and country are read from the certificate."""
    try:
        partners = pki.TrustList.load(trust_list)
        partner = pki.partner_from_certificate(pki.load_certificate(certificate), endpoint)
        partners.add(partner, pki.load_certificate(ca_cert) if ca_cert else None)
        partners.save(trust_list)
    except TrustError as exc:
        _fail(exc)
        return
    console.print(f"{partner.party_id} ({partner.country}) trusted at {endpoint}")


@trust_app.command("remove")
def trust_remove(
    trust_list: Path = typer.Option(..., "--list"),
    party_id: str = typer.Option(..., "--party-id"),
) -> None:
    """Stop trusting a partner."""
    try:
        partners = pki.TrustList.load(trust_list)
        partners.remove(party_id)
        partners.save(trust_list)
    except TrustError as exc:
        _fail(exc)
        return
    console.print(f"{party_id} removed")


@trust_app.command("show")
def trust_show(trust_list: Path = typer.Option(..., "--list")) -> None:
    """List the trusted partners."""
    table = Table("party id", "country", "endpoint", "certificate (SHA-256)", "valid until")
    for partner in pki.TrustList.load(trust_list):
        table.add_row(
            partner.party_id, partner.country, partner.endpoint, partner.fingerprint[:32] + "…",
            partner.certificate.not_valid_after_utc.date().isoformat(),
        )
    console.print(table)
