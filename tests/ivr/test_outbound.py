"""An outbound debt reminder call is answered by the reminder dialog, every other call by the
inbound conversation: the dialplan's HotlineCall event says which (extensions.conf, debt-reminder)."""

from __future__ import annotations

import uuid

from dialogs.options import DialogOptions
from dialogs.reminder import DebtCall
from ivr.outbound import debt_call, outbound_router
from telephony.ami import AmiEvent, CallJoiner


def event(call_id: str, **more: str) -> AmiEvent:
    fields = {"UserEvent": "HotlineCall", "Id": call_id, "Caller": "79002220022", "Channel": "PJSIP/p-1"}
    return AmiEvent("UserEvent", {**fields, **more})


async def test_the_dialers_call_carries_its_contact_and_account_through_the_joiner():
    joiner = CallJoiner()
    call_id = str(uuid.uuid4())
    joiner.on_event(event(call_id, DebtContact="17", DebtAccount="002220022-0"))
    info = await joiner.wait(call_id, timeout=0.1)
    assert info is not None and debt_call(info) == DebtCall(17, "002220022-0")
    assert outbound_router(DialogOptions())(info) is not None


async def test_an_inbound_call_keeps_the_conversation():
    joiner = CallJoiner()
    call_id = str(uuid.uuid4())
    joiner.on_event(event(call_id))
    info = await joiner.wait(call_id, timeout=0.1)
    assert info is not None and debt_call(info) is None
    assert outbound_router(DialogOptions())(info) is None


async def test_an_outbound_event_with_empty_variables_is_answered_as_inbound():
    joiner = CallJoiner()
    call_id = str(uuid.uuid4())
    joiner.on_event(event(call_id, DebtContact="", DebtAccount=""))  # dialled by hand into the context
    info = await joiner.wait(call_id, timeout=0.1)
    assert info is not None and debt_call(info) is None
