"""Debt reminder calls: the IVR writes what came of a call the dialer placed.

Why a route of its own: the reminder dialog (dialogs.reminder, in the IVR process) learns the
outcome — confirmed, not the holder, wrong number, «не звоните мне», a promise with its date,
«я уже оплатил» — and the contact limits of the law are counted on that row
(`api.campaigns.finish_contact`, the one home of those rules). IVR token only.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from api import campaigns, schemas
from api.deps import IvrDep, SessionDep, now
from api.errors import ApiError

router = APIRouter(tags=["campaigns"])

ContactId = Annotated[int, Path(ge=1, le=2**31 - 1)]
DialogOutcome = Literal[
    "answered", "confirmed", "not_holder", "voicemail", "refused", "wrong_number", "promised", "paid"
]


class ContactOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: DialogOutcome = Field(description="what came of the reminder call")
    promised_on: date | None = Field(None, description="«оплачу до …»: the day promised (outcome promised)")


@router.post("/debt-contacts/{contact_id}/outcome", summary="What came of a debt reminder call (IVR)")
def record_outcome(
    request: Request, contact_id: ContactId, body: ContactOutcome, session: SessionDep, _who: IvrDep
) -> schemas.ContactOut:
    if body.outcome == "promised" and body.promised_on is None:
        raise ApiError(422, "promise_without_date", "A promise to pay needs the day (promised_on).")
    try:
        contact = campaigns.finish_contact(
            session, contact_id, body.outcome, now(request), promised_on=body.promised_on
        )
    except ValueError:
        raise ApiError(404, "unknown_contact", "No debt reminder call with this id.") from None
    session.commit()
    return schemas.ContactOut(
        id=contact.id,
        phone=contact.phone,
        outcome=contact.outcome,
        promised_on=contact.promised_on,
        opted_out=body.outcome in campaigns.OPT_OUT_REASONS,
    )
