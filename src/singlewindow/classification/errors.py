"""Errors of the classification room, by kind (see `singlewindow.core.errors`).

    SingleWindowError
    ├── Invalid
    │   ├── DescriptionRefused   a goods description the assistant cannot rank (empty, too long)
    │   └── InvalidLabel         a label whose code is not an HS 2022 subheading
    └── Forbidden
        └── NotAClassifier       only officers (and admins) teach the assistant
"""

from __future__ import annotations

from singlewindow.core.errors import Forbidden, Invalid


class DescriptionRefused(Invalid):
    pass


class InvalidLabel(Invalid):
    pass


class NotAClassifier(Forbidden):
    pass
