"""Which dialog answers a call the dialplan marks as outbound: the debt reminder.

Why apart from the service: the service only knows that a call's `HotlineCall` event may carry
more fields; what `DebtContact` and `DebtAccount` mean (the dialer's contact row and account,
extensions.conf's `debt-reminder` context) is the campaign's business, composed here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from dialogs.options import DialogOptions
from dialogs.reminder import DebtCall, run_reminder
from ivr.session import Dialog
from telephony.ami import CallInfo

log = logging.getLogger(__name__)


def debt_call(info: CallInfo) -> DebtCall | None:
    """The dialer's contact id and account from the call's event; None for an inbound call."""
    contact, account = info.extra.get("DebtContact", "").strip(), info.extra.get("DebtAccount", "").strip()
    if not contact:
        return None
    if not contact.isdigit() or not account:
        log.warning("call %s: outbound event without contact/account; answered as inbound", info.call_id)
        return None
    return DebtCall(int(contact), account)


def outbound_router(options: DialogOptions) -> Callable[[CallInfo], Dialog | None]:
    """`HotlineService(route=…)`: the reminder dialog for the dialer's calls, None for the rest."""

    def route(info: CallInfo) -> Dialog | None:
        debt = debt_call(info)
        if debt is None:
            return None
        return partial(run_reminder, options=options, debt=debt)

    return route
