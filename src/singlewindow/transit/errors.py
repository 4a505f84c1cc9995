from singlewindow.core.errors import Conflict, Invalid


class InvalidMovement(Invalid):
    pass


class MovementConflict(Conflict):
    pass


class GuaranteeRefused(Conflict):
    pass
