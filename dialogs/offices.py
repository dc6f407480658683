"""Where to go in person: the office and its hours for the caller's territory or one they name.

Why the territory first: the account's suffix already says which office serves
the caller; a caller who has not given an account (or asks about another town)
names the town, or presses the suffix digit.
"""

from __future__ import annotations

from typing import Any

from dialogs import answers, hours, policy, prompts, spoken
from dialogs.channel import Reply
from dialogs.context import Call
from dialogs.identify import TERRITORY_KEYS


async def offices(call: Call, said: str = "", *, offer_another: bool = True) -> None:
    """`said`: the caller's words that led here ("офис в Калтане" names the territory at once).
    `offer_another`: offer the office of another territory afterwards."""
    territories = {t["suffix"]: t for t in await call.backend.territories()}
    suffix = answers.territory(Reply.speech(said)) if said else None
    if suffix is None:
        suffix = call.territory
    if suffix is None:
        suffix = await _caller_territory(call)
    if suffix is None:
        suffix = await _ask_territory(call)
    while True:
        await _tell(call, territories.get(suffix))
        if not offer_another or not await policy.confirm(call, prompts.OFFICE_ANOTHER):
            return
        suffix = await _ask_territory(call)


async def _caller_territory(call: Call) -> int | None:
    """The territory of the accounts on file for the caller's number, when they all share one:
    the office is no secret, and "где ваш офис" needs no town named then."""
    if not call.channel.caller:
        return None
    if call.phone_accounts is None:
        call.phone_accounts = await call.backend.accounts_for_phone(call.channel.caller)
    suffixes = {int(account[-1]) for account in call.phone_accounts}
    return suffixes.pop() if len(suffixes) == 1 else None


async def _ask_territory(call: Call) -> int:
    return await policy.ask(call, prompts.OFFICE_TERRITORY, answers.territory, dtmf=TERRITORY_KEYS)


async def _tell(call: Call, territory: dict[str, Any] | None) -> None:
    office = (territory or {}).get("office")
    if not territory or not office:
        await call.say(prompts.OFFICE_UNKNOWN)
        return
    where = spoken.address(office.get("address") or office.get("city", ""))
    await call.say(prompts.office(territory["name"], where))
    if office.get("hours"):
        await call.say(prompts.office_today(hours.say_today(office["hours"], call.options.now())))
        await call.say(prompts.office_hours(hours.say_hours(office["hours"])))
