"""HTTP routes of origin: issue an e-Form D, list and read certificates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from singlewindow.access.model import Principal, Role
from singlewindow.api.deps import PrincipalDep, require_role
from singlewindow.api.pages import Page
from singlewindow.core.fields import Limit, Offset
from singlewindow.origin.errors import UnknownCertificate
from singlewindow.origin.model import CertificateStatus, Provenance
from singlewindow.origin.schemas import CertificateCreate, CertificateRead, CertificateSummary
from singlewindow.origin.services import CertificateView, Origin

router = APIRouter(prefix="/origin", tags=["origin"])

IssuerDep = Annotated[Principal, Depends(require_role(Role.ISSUER, Role.ADMIN))]


async def origin(request: Request) -> Origin:
    """The node's `Origin`, built with the node (`Node.origin`) and handed to the app as its
    database is; the router is served only by a node on a network, which has one."""
    service: Origin = request.app.state.origin
    return service


OriginDep = Annotated[Origin, Depends(origin)]


def _party_of(who: Principal) -> str | None:
    """Traders see the certificates naming them; authorities and officers see all."""
    return (who.party_id or "") if who.role is Role.TRADER else None


@router.post("/certificates", response_model=CertificateRead, status_code=201)
def issue(body: CertificateCreate, service: OriginDep, who: IssuerDep) -> CertificateRead:
    """Issue an e-Form D and send it to the importing country's node."""
    return CertificateRead.of(service.issue(body.to_domain(service.country), who))


@router.get("/certificates", response_model=Page[CertificateSummary])
def list_certificates(
    service: OriginDep,
    who: PrincipalDep,
    provenance: Provenance | None = None,
    status: CertificateStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[CertificateSummary]:
    """e-Forms D issued here or received from other nodes, a page at a time; a trader
    sees only those naming it as exporter or consignee."""
    views, total = service.list(
        provenance=provenance, status=status, party_id=_party_of(who), limit=limit, offset=offset
    )
    return Page[CertificateSummary](
        items=[CertificateSummary.of(v) for v in views], total=total, limit=limit, offset=offset
    )


@router.get("/certificates/{issuing_country}/{reference}", response_model=CertificateRead)
def read(
    issuing_country: str,
    reference: str,
    service: OriginDep,
    who: PrincipalDep,
    provenance: Provenance | None = None,
) -> CertificateRead:
    """One e-Form D by its issuing country and reference, with its status and the
    verdict of its last verification; a trader only one naming it. `provenance` tells an
    issued one from a received one of the same reference."""
    view = service.get(issuing_country, reference, provenance)
    if not _may_see(who, view):
        raise UnknownCertificate(f"no e-Form D {reference} of {issuing_country} at this node")
    return CertificateRead.of(view)


def _may_see(who: Principal, view: CertificateView) -> bool:
    party = _party_of(who)
    if party is None:
        return True
    certificate = view.certificate
    return certificate is not None and party in (certificate.exporter.id, certificate.consignee.id)
