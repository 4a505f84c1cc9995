from singlewindow.core.errors import Conflict, Invalid, NotFound


class InvalidAlert(Invalid):
    """An alert, a joint operation or a seizure with bad data."""


class AlertConflict(Conflict):
    """A change the alert's state table refuses (withdrawing a withdrawn alert)."""


class UnknownAlert(NotFound):
    pass


class UnknownOperation(NotFound):
    pass


class UnknownSeizure(NotFound):
    pass


class NotAMember(Conflict):
    """This node is not a member of the joint operation an alert or a request names."""


class UnreadableEnforcementMessage(ValueError):
    """An enforcement message from a partner that cannot be read or may not be taken."""
