from singlewindow.core.errors import Conflict, Forbidden, Invalid, NotFound


class InvalidManifest(Invalid):
    """A manifest that cannot be read at all (no parcel is valid, an unknown format, a CSV
    without its columns), a de minimis rule or a decision with bad data."""


class UnknownParcel(NotFound):
    """No such parcel or manifest, or not one the caller may see."""


class DecisionConflict(Conflict):
    """A decision on a parcel that is not held (released already, or held for another
    reason than the decision answers)."""


class NotForPlatform(Forbidden):
    """The caller may not submit for this platform or courier."""
