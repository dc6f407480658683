"""Who is calling about which account: the phone on file first, then the account number.

Why this order: most residents call from the phone on their account, and a
"да" is far easier for them than nine digits. Otherwise the number is taken by
voice or keypad, the territory asked for if only nine digits were heard, read
back in groups and confirmed; an unknown number is said plainly.
"""

from __future__ import annotations

from dialogs import answers, policy, prompts, spoken
from dialogs.backend import BackendError, Rejected, known_down
from dialogs.channel import DtmfSpec, Reply
from dialogs.context import Call, Escalate

TERRITORY_KEYS = DtmfSpec(max_digits=1, terminator=None, erase=None)
MAX_LISTED = len(prompts.ORDINALS)


def ending(account: str) -> str:
    """The last four digits of the number, digit by digit: enough to recognise, little to leak."""
    return spoken.say_digits(account[5:9])


async def identify(call: Call) -> str:
    """The caller's account, confirmed; raises Escalate after too many unknown numbers."""
    if call.account:
        return call.account
    if known_down(call.backend):  # no use asking for a number nobody can look up
        raise BackendError("account service known to be down")
    account = await _from_phone(call)
    if account is None:
        account = await _from_number(call)
    await call.set_account(account)
    return account


async def _from_phone(call: Call) -> str | None:
    if not call.channel.caller:
        return None
    if call.phone_accounts is None:
        call.phone_accounts = await call.backend.accounts_for_phone(call.channel.caller)
    accounts = call.phone_accounts[:MAX_LISTED]
    if not accounts:
        return None
    if len(accounts) == 1:
        return (
            accounts[0]
            if await policy.confirm(call, prompts.phone_one_account(ending(accounts[0])))
            else None
        )
    await call.say(prompts.PHONE_SEVERAL)
    picked = await policy.choose(call, prompts.pick_account([ending(a) for a in accounts]))
    return None if picked == prompts.OTHER_ACCOUNT.name else accounts[int(picked)]


DONT_KNOW = "dont_know"


def _account_or_dont_know(reply: Reply) -> str | None:
    return DONT_KNOW if answers.dont_know(reply) else answers.account(reply)


def _whole_account(text: str) -> bool:
    """Nine digits and the suffix said: nothing more is coming (nine alone may go on «тире семь»)."""
    account = answers.account(Reply.speech(text))
    return account is not None and "-" in account


async def _from_number(call: Call) -> str:
    told_where = False
    # «мой счёт ноль ноль один … тире семь, сколько я должна»: the number said with the request
    said = answers.account(Reply.speech(call.last_heard))
    for _ in range(call.options.account_tries):
        if said is not None and "-" in said:
            account, said = said, None
        else:
            account = await policy.ask(
                call, prompts.ACCOUNT, _account_or_dont_know,
                dtmf=policy.ACCOUNT_KEYS, complete=_whole_account,
            )
        if account == DONT_KNOW:  # where to find it first; the operator when still unknown
            if told_where:
                raise Escalate("dont_know_account")
            told_where = True
            await call.say(prompts.ACCOUNT_WHERE)
            continue
        if "-" not in account:
            suffix = await policy.ask(
                call, prompts.TERRITORY, answers.territory, dtmf=TERRITORY_KEYS,
                complete=policy.answered_by(answers.territory),
            )
            account = f"{account}-{suffix}"
        said = spoken.say_account(account)
        if not await policy.confirm(call, prompts.account_readback(said)):
            await call.say(prompts.ACCOUNT_AGAIN)
            continue
        try:
            found = await call.backend.account(account, call_id=call.call_id)
        except Rejected as refusal:  # the API's enumeration guard: too many unknown numbers
            if refusal.status != 429:
                raise
            break
        if found is not None:
            return account
        await call.say(prompts.account_unknown(said))
    await call.say(prompts.ACCOUNT_GIVE_UP)
    raise Escalate("unknown_account")
