"""API shapes of the exchange room: entries of the non-repudiation log."""

from __future__ import annotations

import base64
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from singlewindow.exchange.repository import MessageLogRow


class MessageLogRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    message_id: str
    direction: str
    from_party: str
    to_party: str
    service: str
    action: str
    conversation_id: str
    ref_to_message_id: str | None
    status: str
    message_timestamp: datetime | None
    payload_digest: str
    encrypted: bool | None
    signal_id: str | None
    error_code: str | None
    error_detail: str | None
    created_at: datetime
    updated_at: datetime


class MessageEvidenceRead(MessageLogRead):
    """One entry with its evidence: the signed envelope and the signal, base64."""

    envelope: str | None
    signal: str | None

    @classmethod
    def from_row(cls, row: MessageLogRow) -> MessageEvidenceRead:
        data = MessageLogRead.model_validate(row).model_dump()
        return cls(
            **data,
            envelope=base64.b64encode(row.envelope).decode() if row.envelope else None,
            signal=base64.b64encode(row.signal).decode() if row.signal else None,
        )
