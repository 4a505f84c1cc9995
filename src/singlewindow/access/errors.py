from singlewindow.core.errors import Conflict, Invalid, NotFound, Unauthenticated


class UnknownToken(Unauthenticated):
    pass


class TokenExpired(UnknownToken):
    """A token past its expiry: refused like an unknown one, but saying so."""


class UnknownUser(NotFound):
    pass


class UsernameTaken(Conflict):
    pass


class InvalidUser(Invalid):
    pass


class UnknownTokenId(NotFound):
    pass


class AccountConflict(Conflict):
    """The account or token is in a state that refuses the change (already disabled, the
    last admin, already revoked)."""
