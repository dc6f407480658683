import asyncio
import uuid

from telephony.ami import AmiEvent, CallInfo, CallJoiner


def hotline_event(
    call_id: str, caller: str = "79001110011", channel: str = "PJSIP/demo-00000001"
) -> AmiEvent:
    return AmiEvent(
        "UserEvent",
        {"UserEvent": "HotlineCall", "Id": call_id, "Caller": caller, "Channel": channel, "Linkedid": "x"},
    )


async def test_event_before_the_socket():
    joiner = CallJoiner()
    call_id = str(uuid.uuid4())
    joiner.on_event(hotline_event(call_id.upper()))  # ids compare as UUIDs, not as text
    assert await joiner.wait(call_id, timeout=0.1) == CallInfo(call_id, "79001110011", "PJSIP/demo-00000001")
    assert joiner.pending == 0


async def test_socket_before_the_event():
    joiner = CallJoiner()
    call_id = str(uuid.uuid4())
    waiting = asyncio.create_task(joiner.wait(call_id, timeout=2))
    await asyncio.sleep(0.05)
    joiner.on_event(hotline_event(str(uuid.uuid4()), caller="1"))  # another call's event
    joiner.on_event(hotline_event(call_id, caller=""))
    info = await waiting
    assert info == CallInfo(call_id, None, "PJSIP/demo-00000001")  # anonymous caller: None


async def test_no_event_means_none_after_the_timeout():
    joiner = CallJoiner()
    assert await joiner.wait(str(uuid.uuid4()), timeout=0.05) is None
    assert joiner.pending == 0


async def test_other_events_are_ignored_and_unclaimed_ones_expire():
    joiner = CallJoiner(ttl=0.05)
    joiner.on_event(AmiEvent("Hangup", {"Channel": "x"}))
    joiner.on_event(AmiEvent("UserEvent", {"UserEvent": "Other", "Id": "1", "Channel": "x"}))
    joiner.on_event(AmiEvent("UserEvent", {"UserEvent": "HotlineCall", "Caller": "1"}))  # no id
    assert joiner.pending == 0
    old = str(uuid.uuid4())
    joiner.on_event(hotline_event(old))
    await asyncio.sleep(0.1)
    joiner.on_event(hotline_event(str(uuid.uuid4())))  # pruning happens as events arrive
    assert joiner.pending == 1
    assert await joiner.wait(old, timeout=0.01) is None
