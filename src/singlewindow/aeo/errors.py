from singlewindow.core.errors import Conflict, Invalid, NotFound


class InvalidApplication(Invalid):
    """An application, a finding, a decision or an arrangement with bad data."""


class StatusConflict(Conflict):
    """A change of status the state table refuses (revoking what was never granted)."""


class UnknownOperator(NotFound):
    pass


class UnreadableNotice(ValueError):
    """An AEO message from a partner that cannot be read or may not be taken."""
