from singlewindow.core.errors import Conflict, Invalid, NotFound, Unauthenticated


class UnknownToken(Unauthenticated):
    pass


class UnknownUser(NotFound):
    pass


class UsernameTaken(Conflict):
    pass


class InvalidUser(Invalid):
    pass
