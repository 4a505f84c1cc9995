"""Errors of the origin room, by kind (see `singlewindow.core.errors`).

    SingleWindowError
    ├── Invalid
    │   └── InvalidCertificate      a certificate (draft or received payload) that breaks a rule
    ├── NotFound
    │   └── UnknownCertificate      no such certificate at this node
    ├── Conflict
    │   ├── CertificateConflict     the certificate's state refuses the action
    │   └── DuplicateCertificate    the reference is already used by this issuing country
    └── Forbidden
        └── NotAnIssuer             only an issuing authority (or an admin) issues certificates
"""

from __future__ import annotations

from singlewindow.core.errors import Conflict, Forbidden, Invalid, NotFound


class InvalidCertificate(Invalid):
    pass


class UnknownCertificate(NotFound):
    pass


class CertificateConflict(Conflict):
    pass


class DuplicateCertificate(CertificateConflict):
    pass


class NotAnIssuer(Forbidden):
    pass
