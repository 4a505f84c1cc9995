"""The ebMS errors with which this node refuses a received user message, besides those the
`as4` library defines (which `reader` raises): each is answered to the sender as an ebMS
error signal, never raised to the rest of the product (see `errors` for the room's own).
"""

from __future__ import annotations

from as4.errors import BaseAS4ReceiptableError, BaseValueInconsistentException


class ProcessingModeMismatch(BaseAS4ReceiptableError):
    """No P-Mode lets this partner send this service and action (ebMS 3.0 §6.7.1)."""

    error_code = "EBMS:0010"
    short_description = "ProcessingModeMismatch"
    description = "The ebMS header does not match any P-Mode of the receiving MSH."
    severity = "failure"
    category = "Processing"


class NotAddressedHere(BaseValueInconsistentException):
    detail = "eb:To names another party than this access point"


class MessageExpired(BaseValueInconsistentException):
    detail = "eb:Timestamp lies outside the replay window of the P-Mode"


class DuplicateMessage(BaseAS4ReceiptableError):
    """The message id was received before: not delivered again (duplicate elimination)."""

    error_code = "EBMS:0004"
    short_description = "Other"
    description = "DuplicateMessage: a message with this eb:MessageId was already received."
    severity = "failure"
    category = "Processing"


class EncryptionRequired(BaseAS4ReceiptableError):
    error_code = "EBMS:0103"
    short_description = "PolicyNoncompliance"
    description = "The processor determined that the message's security methods do not comply."
    severity = "failure"
    category = "Processing"
    detail = "the P-Mode of this partner requires an encrypted payload"


class IssuerNotSender(BaseAS4ReceiptableError):
    """The business document names an issuing party that is not the party which signed the
    message (nor one the trust list says it speaks for): a partner forging another's
    document. Refused before any handler runs, so nothing of it is stored."""

    error_code = "EBMS:0004"
    short_description = "Other"
    description = (
        "IssuerNotSender: the document's issuing party is not the party that signed the message."
    )
    severity = "failure"
    category = "Processing"


class NotAdmitted(BaseAS4ReceiptableError):
    """The receiving capability's business check refuses the document as it stands now (an
    arrival advice for a movement this node never released): answered at once, so that the
    sender learns it, and kept in the message log as evidence; nothing else is stored."""

    error_code = "EBMS:0004"
    short_description = "Other"
    description = "NotAdmitted: the receiving capability refuses the document in its state."
    severity = "failure"
    category = "Processing"


DUPLICATE_MARK = "DuplicateMessage"
