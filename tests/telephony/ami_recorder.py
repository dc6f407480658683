"""A recording proxy in front of a real AMI: writes both sides in the format `fake_ami.py` replays.

Why a proxy: the fake server must answer as Asterisk 22 really does (field names, list events,
the order of events around an action), so its scripts are what Asterisk sent, not what we think
it sends. Secrets are masked. Used by `record_conversations.py`.
"""

from __future__ import annotations

import asyncio
import contextlib


class AmiRecorder:
    """Listens on `port`; each client connection is relayed to `upstream` and written down."""

    def __init__(self, upstream_port: int, host: str = "127.0.0.1"):
        self._upstream = (host, upstream_port)
        self._server: asyncio.Server | None = None
        self._lines: list[str] = []
        self._tasks: set[asyncio.Task] = set()
        self._writers: list[asyncio.StreamWriter] = []
        self.port = 0

    async def __aenter__(self) -> AmiRecorder:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    def note(self, text: str) -> None:
        """A comment or a directive (`! drop`) at this point of the recording."""
        self._lines.append(text)

    def drop(self) -> None:
        """Cut every relayed connection now, as a network blip would (`! drop` in the recording)."""
        self._lines.append("! drop")
        for writer in self._writers:
            writer.close()
        self._writers.clear()

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"

    async def _relay(self, client_reader, client_writer) -> None:
        self._lines.append("! connection")
        up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        self._writers += [client_writer, up_writer]
        banner = await up_reader.readline()
        self._lines.append("< " + banner.decode().rstrip("\r\n"))
        client_writer.write(banner)
        await client_writer.drain()
        tasks = [
            asyncio.create_task(self._pipe(up_reader, client_writer, "<")),
            asyncio.create_task(self._pipe(client_reader, up_writer, ">")),
        ]
        self._tasks.update(tasks)
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
        client_writer.close()
        up_writer.close()

    async def _pipe(self, reader, writer, direction: str) -> None:
        while True:
            try:
                packet = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            for line in packet.decode().split("\r\n")[:-2]:
                if line.lower().startswith("secret: "):
                    line = "Secret: (masked)"
                self._lines.append(f"{direction} {line}")
            self._lines.append(direction)
            writer.write(packet)
            await writer.drain()
