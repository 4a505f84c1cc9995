from singlewindow.core.errors import Conflict, Invalid, NotFound


class InvalidRule(Invalid):
    pass


class UnknownRule(NotFound):
    pass


class RuleRetired(Conflict):
    pass
