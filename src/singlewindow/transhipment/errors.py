from singlewindow.core.errors import Conflict, Invalid, NotFound


class InvalidLeg(Invalid):
    """An arrival, a departure or a laundering-hub listing with bad data, or one the
    consignment's earlier leg does not allow (another origin, more than arrived)."""


class UnknownConsignment(NotFound):
    """No arrival or departure on that transport document at this node's hubs."""


class UnknownListing(NotFound):
    pass


class LegConflict(Conflict):
    """The same transport document recorded twice at a port."""
