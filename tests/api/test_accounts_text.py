"""Account numbers, phones, masking and decimals: the spellings every part of the API accepts."""

import logging
from decimal import Decimal

import pytest

from api.accounts import mask_account, mask_phone, money, normalize_phone, parse_account, parse_decimal, plain
from api.logmask import MaskAccounts, mask_accounts_in


@pytest.mark.parametrize(
    "text,expected",
    [
        ("001110011-7", ("001110011", 7)),
        ("000000000-0", ("000000000", 0)),
        ("001110011-", None),
        ("001110011-7\n", None),
        (" 001110011-7", None),
        ("", None),
    ],
)
def test_parse_account(text, expected):
    assert parse_account(text) == expected


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("+7 900 111-00-11", "79001110011"),
        ("89001110011", "79001110011"),
        ("9001110011", "79001110011"),
        ("8 (900) 111-00-11", "79001110011"),
        ("79001110011", "79001110011"),
        ("+8 900 111 00 11", None),
        ("12345", None),
        ("anonymous", None),
        ("", None),
        (None, None),
        ("+44 20 7946 0958", None),
    ],
)
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


def test_masks():
    assert mask_account("001110011-7") == "******011-7"
    assert mask_account(None) == "-"
    assert mask_phone("79001110011") == "7900***0011"
    assert mask_accounts_in("GET /api/v1/accounts/001110011-7/balance 200") == (
        "GET /api/v1/accounts/******011-7/balance 200"
    )
    # What is not an account or a phone stays as it is: short numbers, dates, times, addresses.
    for text in ("call 123-45", "2025-11-20 10:30:00", "20.11.2025", "127.0.0.1:8080", "took 231.5 ms"):
        assert mask_accounts_in(text) == text


@pytest.mark.parametrize(
    "raw,places,expected",
    [
        ("729.51", 2, Decimal("729.51")),
        ("729,51", 2, Decimal("729.51")),
        ("1 200,5", 2, Decimal("1200.50")),
        (729.51, 2, Decimal("729.51")),
        (12, 2, Decimal("12.00")),
        ("1.2345", 3, None),
        ("1.2300", 2, Decimal("1.23")),
        ("abc", 2, None),
        ("1e3", 2, None),
        ("NaN", 2, None),
        (True, 2, None),
        ("", 2, None),
        (".5", 2, Decimal("0.50")),
    ],
)
def test_parse_decimal(raw, places, expected):
    assert parse_decimal(raw, places=places) == expected


def test_money_and_plain_strings():
    assert money(Decimal("-0.00")) == "0.00" and money(Decimal("5")) == "5.00"
    assert plain(Decimal("124.500")) == "124.5" and plain(Decimal("100.000")) == "100" and plain(None) is None


def test_log_filter_keeps_the_shape_of_arguments():
    # uvicorn's access formatter unpacks record.args itself: they must stay a 5-tuple.
    args = ("127.0.0.1:5", "GET", "/api/v1/accounts/001110011-7/balance", "1.1", 200)
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', args, None
    )
    assert MaskAccounts().filter(record) is True
    assert len(record.args) == 5 and record.args[4] == 200
    assert record.getMessage() == '127.0.0.1:5 - "GET /api/v1/accounts/******011-7/balance HTTP/1.1" 200'
