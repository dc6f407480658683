"""A tiny AMI server that replays recorded AMI conversations, so the adapter is tested without
root or Asterisk (the idea of panoramisk's `testing.py`: the server's side comes from a file).

A recording (`ami_recordings/*.ami`, written by `ami_recorder.py` through a proxy in front of
the sandbox's Asterisk) has one line per AMI line: `< ` what Asterisk sent, `> ` what the
client sent; a bare `<` or `>` ends a packet. Lines starting with `!` are directives:
`! connection` starts the script of the next TCP connection, `! drop` closes the connection
there, `! wait SECONDS` pauses. `#` lines are comments.

Replaying, the server sends Asterisk's packets in order; at a client packet it waits for the
client's next action and checks its name; ActionIDs of the recording are rewritten to the
client's own. A `Ping` the script does not expect is answered (keep-alive is the client's
business, not the recording's).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

RECORDINGS = Path(__file__).parent / "ami_recordings"
MAPPED = ("ActionID", "Id")  # fields whose recorded values are rewritten to the client's own


@dataclass
class Step:
    kind: str  # "send" (Asterisk → client), "expect" (client → Asterisk), "drop", "wait"
    fields: list[tuple[str, str]] = field(default_factory=list)
    banner: str | None = None
    seconds: float = 0.0

    def get(self, key: str) -> str | None:
        return next((v for k, v in self.fields if k.lower() == key.lower()), None)


def parse(text: str) -> list[list[Step]]:
    """A recording → the steps of each connection."""
    connections: list[list[Step]] = []
    current: list[Step] | None = None
    packet: list[tuple[str, str]] = []
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if not line or line.startswith("#"):
            continue
        if line.startswith("!"):
            words = line[1:].split()
            if words[0] == "connection":
                current = []
                connections.append(current)
            elif words[0] == "drop":
                assert current is not None
                current.append(Step("drop"))
            elif words[0] == "wait":
                assert current is not None
                current.append(Step("wait", seconds=float(words[1])))
            continue
        assert current is not None, "a recording starts with '! connection'"
        direction, _, content = line.partition(" ")
        if direction not in ("<", ">"):
            raise ValueError(f"not a recording line: {line!r}")
        if not content:
            current.append(Step("send" if direction == "<" else "expect", packet))
            packet = []
        elif direction == "<" and content.startswith("Asterisk Call Manager/"):
            current.append(Step("send", banner=content))
        else:
            key, _, value = content.partition(": ")
            packet.append((key, value))
    return connections


def load(name: str) -> list[list[Step]]:
    return parse((RECORDINGS / name).read_text())


class FakeAmi:
    """Replays a recording to each connection in turn; `port` is where it listens."""

    def __init__(self, connections: list[list[Step]]):
        self._scripts = list(connections)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0
        self.actions: list[dict[str, str]] = []  # every action the clients sent, in order
        self._variables: list[list[str]] = []  # the `Variable:` lines of the last action read
        self.connections = 0
        self.finished = asyncio.Event()  # the last script has run to its end

    async def __aenter__(self) -> FakeAmi:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        self.connections += 1
        script = self._scripts.pop(0) if self._scripts else []
        ids: dict[str, str] = {}
        try:
            for step in script:
                if step.kind == "drop":
                    return
                if step.kind == "wait":
                    await asyncio.sleep(step.seconds)
                elif step.kind == "send":
                    if step.banner:
                        writer.write(f"{step.banner}\r\n".encode())
                    else:
                        lines = [f"{k}: {ids.get(v, v) if k in MAPPED else v}" for k, v in step.fields]
                        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
                    await writer.drain()
                    if step.get("Response") == "Goodbye":  # Asterisk closes after a Logoff
                        break
                else:
                    await self._expect(reader, writer, step, ids)
            else:
                # The script is over: stay connected, answering pings, until the client leaves.
                if not self._scripts:
                    self.finished.set()
                while (action := await self._read_action(reader)) is not None:
                    if await self._answer_unscripted(writer, action) == "goodbye":
                        break
            if not self._scripts:
                self.finished.set()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:  # the server closes under a script still running: quietly
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _expect(self, reader, writer, step: Step, ids: dict[str, str]) -> None:
        wanted = (step.get("Action") or "").lower()
        while True:
            action = await self._read_action(reader)
            if action is None:
                raise ConnectionError("the client left")
            name = action.get("Action", "").lower()
            if name == wanted:
                recorded, actual = step.get("ActionID"), action.get("ActionID")
                if recorded and actual:
                    ids[recorded] = actual
                # The action's channel variables (HOTLINE_CALLBACK_ID…) come back in events' Id.
                sent = dict(v.split("=", 1) for v in self._variables.pop() if "=" in v)
                for key, value in step.fields:
                    if key == "Variable" and "=" in value:
                        var, was = value.split("=", 1)
                        if var in sent:
                            ids[was] = sent[var]
                return
            if name == "ping":
                await self._answer_unscripted(writer, action)
                continue
            raise AssertionError(f"the recording expects {wanted!r}, the client sent {name!r}")

    async def _read_action(self, reader: asyncio.StreamReader) -> dict[str, str] | None:
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        action, variables = {}, []
        for line in raw.decode().split("\r\n"):
            if ": " in line:
                key, value = line.split(": ", 1)
                action[key] = value
                if key == "Variable":
                    variables.append(value)
        self.actions.append(action)
        self._variables.append(variables)
        return action

    async def _answer_unscripted(self, writer: asyncio.StreamWriter, action: dict[str, str]) -> str | None:
        """Pings and a Logoff past the script's end are answered as Asterisk does."""
        name, action_id = action.get("Action", "").lower(), action.get("ActionID", "")
        if name == "ping":
            reply = f"Response: Success\r\nActionID: {action_id}\r\nPing: Pong\r\n\r\n"
        elif name == "logoff":
            reply = f"Response: Goodbye\r\nActionID: {action_id}\r\nMessage: Thanks for all the fish.\r\n\r\n"
        else:
            return None
        writer.write(reply.encode())
        await writer.drain()
        return "goodbye" if name == "logoff" else None


class ThreadedFakeAmi:
    """A FakeAmi on its own thread and event loop, for code whose loop is not the test's
    (the API app under TestClient)."""

    def __init__(self, connections: list[list[Step]]):
        self.fake = FakeAmi(connections)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> FakeAmi:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.fake.__aenter__(), self._loop).result(5)
        return self.fake

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.__aexit__(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
