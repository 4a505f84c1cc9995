from singlewindow.core.errors import Conflict, Forbidden, Invalid, NotFound


class InvalidDeclaration(Invalid):
    pass


class UnknownDeclaration(NotFound):
    pass


class UnknownGuarantee(NotFound):
    pass


class DeclarationConflict(Conflict):
    pass


class DuplicateLrn(DeclarationConflict):
    pass


class StaleVersion(DeclarationConflict):
    pass


class NotYours(Forbidden):
    pass


class UnknownPreArrival(NotFound):
    pass
