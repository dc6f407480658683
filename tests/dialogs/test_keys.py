"""One DTMF rule for the phone and the text channel (dialogs.keys)."""

import pytest

from dialogs import policy
from dialogs.channel import DtmfSpec, Reply
from dialogs.keys import KeyEntry, collect
from dialogs.textchannel import keys_reply

ONE_KEY_WITH_TERMINATOR = DtmfSpec(max_digits=1)  # the default spec: terminator "#", erase "*"

CASES = [
    ("0011100117#", policy.ACCOUNT_KEYS, "0011100117"),
    ("00111*0011100117", policy.ACCOUNT_KEYS, "0011100117"),  # * starts again, ends at max_digits
    ("#", policy.ACCOUNT_KEYS, ""),  # only the terminator: an empty entry
    ("124*5#", policy.DECIMAL_KEYS, "124*5"),  # * is the decimal point where it does not erase
    ("2", policy.CHOICE_KEYS, "2"),
    ("*", policy.CHOICE_KEYS, "*"),  # the policy's "repeat"
    ("#", ONE_KEY_WITH_TERMINATOR, "#"),  # a one-key question takes the first key, whatever it is
    ("*", ONE_KEY_WITH_TERMINATOR, "*"),
]


@pytest.mark.parametrize(("typed", "spec", "digits"), CASES)
def test_an_entry_as_the_phone_and_the_text_channel_collect_it(typed, spec, digits):
    assert collect(typed, spec) == keys_reply(typed, spec) == Reply.keys(digits)
    entry = KeyEntry(spec)  # the phone: one key at a time, the answer at the key that ends it
    replies = [entry.press(key) for key in typed]
    done = [r for r in replies if r is not None]
    assert (done[0] if done else entry.timed_out()) == Reply.keys(digits)


def test_an_entry_cut_short_is_what_was_typed():
    entry = KeyEntry(policy.PHONE_KEYS)
    for key in "8900":
        assert entry.press(key) is None
    assert entry.started and not entry.full
    assert entry.timed_out() == Reply.keys("8900")


def test_full_marks_an_entry_ended_by_its_length():
    entry = KeyEntry(DtmfSpec(max_digits=2))
    entry.press("1")
    assert entry.press("2") == Reply.keys("12") and entry.full
