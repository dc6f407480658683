"""Finding an account from what an operator types: account spellings and phone spellings."""

from __future__ import annotations

import pytest

from api.console.search import AccountKey, account_keys

KALTAN = AccountKey("001110011", 7)
SPELLINGS = [
    "001110011-7",
    "0011100117",
    "001110011 7",
    "1110011-7",
    "1110011 7",
    " 001 110 011-7 ",
    "001-110-011-7",
    "001110011 – 7",  # en dash, as word processors turn a dash
    "001110011—7",
    "001110011/7",
    "001.110.011-7",
    "001110011_7",
]
PHONE_SPELLINGS = ["+7 900 111-00-11", "8 (900) 111-00-11", "89001110011", "9001110011", "79001110011"]


@pytest.mark.parametrize("typed", SPELLINGS)
def test_account_spellings(typed):
    assert KALTAN in account_keys(typed)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("001110011", [AccountKey("001110011", None)]),  # no territory typed: every territory
        ("1110011", [AccountKey("001110011", None)]),
        ("123-4", [AccountKey("000000123", 4)]),
        ("12345678901", []),  # eleven digits: a phone, never an account
        ("1234567890-1", []),  # ten digits before the suffix
        ("", []),
        ("   ", []),
        ("-", []),
        ("abc", []),
        ("+7 900 111-00-11", []),
        ("001110011-7; drop table", []),
        ("٠٠١١١٠٠١١-٧", []),  # Arabic-Indic digits are not ASCII digits
        ("1" * 500, []),
    ],
)
def test_odd_and_partial_spellings(typed, expected):
    assert account_keys(typed) == expected


@pytest.mark.parametrize("typed", [*SPELLINGS, "001110011", *PHONE_SPELLINGS])
def test_search_box_opens_the_card_for_any_spelling(anna, typed):
    r = anna.post("/console/accounts/search", data={"q": typed}, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    assert r.headers["location"] == "/console/accounts/001110011-7"


def test_one_phone_with_two_accounts_lists_both(anna):
    r = anna.post("/console/accounts/search", data={"q": "+7 (900) 333-00-33"})
    assert r.status_code == 200
    assert "003330033-1" in r.text and "003330034-1" in r.text and "телефону" in r.text


def test_ten_digits_that_may_be_a_phone_or_an_account_list_both(app, anna):
    from api.models import Account, Phone

    with app.state.sessions() as s, s.begin():  # account 900222002-2 and phone 79002220022 (demo)
        s.add(Account(number="900222002", suffix=2, owner_name="Тестова Тамара", address="г. Киселевск"))
        assert s.query(Phone).filter_by(number="79002220022").one()
    r = anna.post("/console/accounts/search", data={"q": "9002220022"})
    assert r.status_code == 200
    assert "900222002-2" in r.text and "002220022-0" in r.text


@pytest.mark.parametrize(
    "typed", ["999999999-9", "абв", "+7 999 000-00-00", "1" * 70, "<script>alert(1)</script>"]
)
def test_nothing_found_says_so_without_failing(anna, typed):
    r = anna.post("/console/accounts/search", data={"q": typed})
    assert r.status_code == 200 and "ничего не найдено" in r.text
    assert "<script>alert(1)" not in r.text


def test_a_card_address_in_another_spelling_goes_through_the_search(anna):
    r = anna.client.get("/console/accounts/0011100117", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/accounts/001110011-7"
    r = anna.client.get("/console/accounts/79003330033")
    assert r.status_code == 200 and "003330033-1" in r.text and "003330034-1" in r.text


def test_search_link_with_the_query_in_the_address_still_works(anna):
    r = anna.client.get("/console/accounts", params={"q": "1110011-7"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/accounts/001110011-7"


def test_search_box_needs_the_csrf_token(anna):
    r = anna.client.post("/console/accounts/search", data={"q": "001110011-7"}, follow_redirects=False)
    assert r.status_code == 403
