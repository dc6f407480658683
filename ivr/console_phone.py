"""The operator console's telephone over AMI: composed here because the API knows no Asterisk.

Why in ivr: `api.console.phone` defines what the console needs (a `Dialer`, and entry points
for the queue's and the callbacks' news); `telephony.operators` knows Asterisk's events and
contexts. Only the composition root may know both, so the wiring lives here, with the
console's own AMI user (never the IVR's secret).
"""

from __future__ import annotations

from fastapi import FastAPI

from api.console.phone import ConsolePhone, PhoneError, PhoneSettings, attach_phone
from telephony.ami import AmiClient, AmiError, AmiEvent
from telephony.operators import callback_progress, place_callback, queue_abandon


class AmiDialer:
    """`Dialer` over the console's AMI link; passes Asterisk's news on to the console's phone."""

    def __init__(self, ami: AmiClient):
        self.ami = ami
        self.phone: ConsolePhone | None = None
        self._remove = ami.add_listener(self._on_event)

    async def start(self) -> None:
        await self.ami.start()

    async def close(self) -> None:
        self._remove()
        await self.ami.close()

    async def place_callback(
        self, *, tag: str, operator_endpoint: str, number: str, caller_id: str, operator_ring_seconds: int
    ) -> None:
        try:
            await place_callback(
                self.ami,
                tag=tag,
                operator_endpoint=operator_endpoint,
                number=number,
                caller_id=caller_id,
                operator_ring_seconds=operator_ring_seconds,
            )
        except AmiError as exc:
            raise PhoneError(str(exc)) from exc

    def _on_event(self, event: AmiEvent) -> None:
        if self.phone is None:
            return
        left = queue_abandon(event)
        if left is not None:
            self.phone.caller_left_queue(left.call_id, left.waited_seconds)
            return
        progress = callback_progress(event)
        if progress is not None:
            self.phone.callback_progress(progress.tag, progress.stage, progress.detail)


def attach_console_phone(
    app: FastAPI, settings: PhoneSettings | None = None, ami: AmiClient | None = None
) -> ConsolePhone | None:
    """Give the API app its console phone from `settings` (default: HOTLINE_CONSOLE_AMI_* from the
    environment); None, and a console without «Позвонить», when no console AMI secret is set."""
    settings = settings if settings is not None else PhoneSettings.from_env()
    if settings is None:
        return None
    dialer = AmiDialer(ami or AmiClient(settings.host, settings.port, settings.user, settings.secret))
    phone = attach_phone(app, settings, dialer)
    dialer.phone = phone
    return phone


def create_app() -> FastAPI:
    """The account API with the console's phone, for `uvicorn ivr.console_phone:create_app --factory`
    (`hotline api` serves the console without it: the API package knows no Asterisk)."""
    from api.app import create_app as create_api

    app = create_api()
    attach_console_phone(app)
    return app
