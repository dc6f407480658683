"""One IVR process for tests/telephony/test_failover.py: a real process the test can kill with -9.

It serves `HotlineService` (the same AudioSocket server, AMI link and CallSession as `hotline
serve`) with a short dialog: it asks for keys, then says goodbye and ends the call itself. What
happens goes to stdout as JSON lines, one per event, for the test to follow.

    python -m tests.telephony.failover_ivr --port P --ami-port A   (AMI secret in HOTLINE_AMI_SECRET)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from typing import Any

from dialogs.channel import DtmfSpec
from ivr.service import HotlineService
from ivr.session import CallSession
from telephony.ami import AmiClient
from tests.telephony.fakes import RecordingBackend, ToneSynthesizer


def report(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


async def dialog(ch: CallSession, backend: Any) -> None:
    said = [text for _, text in ch.transcript]  # before the dialog: the apology of a resumed call
    report(event="call", id=ch.call_id, resumes=ch.resumes, caller=ch.caller, said=said)
    reply = await ch.ask("Введите номер лицевого счёта", dtmf=DtmfSpec(max_digits=12), timeout=30)
    report(event="keys", id=ch.call_id, kind=reply.kind, digits=reply.digits)
    await ch.say("До свидания!", barge_in=False)
    report(event="goodbye", id=ch.call_id)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ami-port", type=int, required=True)
    args = parser.parse_args()
    ami = AmiClient("127.0.0.1", args.ami_port, "hotline", os.environ["HOTLINE_AMI_SECRET"])
    await ami.start()
    await ami.wait_connected(15)
    service = HotlineService(
        dialog=dialog, backend=RecordingBackend(), synthesizer=ToneSynthesizer(), ami=ami, port=args.port
    )
    await service.start()
    report(event="ready", pid=os.getpid())
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
