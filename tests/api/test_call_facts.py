"""What the API remembers about calls: only facts that cannot become untrue, bounded in number and time."""

from __future__ import annotations

from api import call_facts
from api.call_facts import CallFacts


def test_a_call_not_seen_is_not_known_and_a_seen_one_keeps_its_number():
    facts = CallFacts()
    assert facts.caller("c1") == (False, None)
    facts.registered("c1", "79001110011")
    facts.registered("c2", None)  # registered without a number: known, and known to have none
    assert facts.caller("c1") == (True, "79001110011")
    assert facts.caller("c2") == (True, None)


def test_only_what_was_allowed_or_verified_is_remembered():
    facts = CallFacts()
    assert not facts.allowed("call:c1", "subject") and not facts.verified("c1", 7)
    facts.allow("call:c1", "subject")
    facts.verify("c1", 7)
    assert facts.allowed("call:c1", "subject") and facts.verified("c1", 7)
    assert not facts.allowed("call:c2", "subject") and not facts.verified("c1", 8)


def test_facts_are_forgotten_after_an_hour_and_past_the_bound(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(call_facts.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(call_facts, "MAX_FACTS", 2)
    facts = CallFacts()
    facts.verify("c1", 1)
    clock[0] += call_facts.KEEP_SECONDS + 1
    assert not facts.verified("c1", 1)
    for n in range(3):
        facts.verify("c", n)
    assert [facts.verified("c", n) for n in range(3)] == [False, True, True]
