from singlewindow.core.errors import Conflict, Invalid, NotFound


class InvalidConsent(Invalid):
    """A consent an authority records with bad data."""


class InvalidRule(Invalid):
    """A country rule with bad data."""


class ConsentConflict(Conflict):
    """A use of a consent its quantity or state refuses (over the quantity, revoked)."""


class UnknownConsent(NotFound):
    pass


class UnknownRule(NotFound):
    pass
