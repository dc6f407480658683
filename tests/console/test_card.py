"""The account card: what it shows, and readings entered by an operator with the hotline's checks."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.console.conftest import ACCOUNT, OP, log_in

DEBTOR = "002220022-0"  # demo: cold-water meter ХВ-100220 past its verification date


def _meter(client, account, service):
    meters = client.get(f"/api/v1/accounts/{account}/meters", headers=OP).json()["meters"]
    return next(m for m in meters if m["service"] == service)


def _history(client, account=ACCOUNT):
    return client.get(f"/api/v1/accounts/{account}/readings", headers=OP).json()["readings"]


def _ru(value: str) -> str:
    return value.replace(".", ",")


def _message(html: str, kind: str) -> str:
    found = re.findall(rf'class="{kind}"[^>]*>([^<]*)<', html)
    assert len(found) == 1, (kind, found, html[:400])
    return found[0]


def test_card_shows_owner_balances_payments_meters_and_history(anna):
    html = anna.client.get(f"/console/accounts/{ACCOUNT}").text
    summary = anna.client.get(f"/api/v1/accounts/{ACCOUNT}", headers=OP).json()
    assert summary["owner_name"] in html and summary["address"] in html and "+7 900 111-00-11" in html
    assert "Калтан" in html
    latest = anna.client.get(f"/api/v1/accounts/{ACCOUNT}/balance", headers=OP).json()
    assert latest["period"] == "2025-10" and "октябрь 2025" in html
    balance_table = html[html.index('id="balance"') : html.index("Начисления за")]
    assert balance_table.count("<tr>") == 1 + 12  # header + twelve months of demo data
    closing = f"{Decimal(latest['closing']):,.2f}".replace(",", "\u00a0").replace(".", ",")
    assert closing + "\u00a0₽" in balance_table
    assert "729,51" in html[html.index('id="payments"') :]  # the demo's latest payment
    for service in ("холодная вода", "горячая вода", "электроэнергия, день", "электроэнергия, ночь"):
        assert service in html
    assert "Импорт" in html[html.index('id="history"') :]
    assert "Приём показаний: с 15.11 по 25.11.2025." in html


def test_reading_entered_by_the_operator_is_stored_with_its_source_and_shown(anna):
    cold = _meter(anna.client, ACCOUNT, "cold_water")
    value = Decimal(cold["last_reading"]["value"]) + Decimal("5.5")
    r = anna.post(
        f"/console/accounts/{ACCOUNT}/meters/{cold['id']}/readings", data={"value": _ru(str(value))}
    )
    assert r.status_code == 201
    assert _message(r.text, "success") == f"Показание {_ru(str(value))} принято, расход 5,5."
    newest = _history(anna.client)[0]
    assert (newest["value"], newest["source"], newest["operator"], newest["meter_id"]) == (
        str(value),
        "operator",
        "anna",
        cold["id"],
    )
    history = r.text[r.text.index('id="history"') :]
    body = history[history.index("<tbody>") :]
    first_row = body[: body.index("</tr>")]
    assert _ru(str(value)) in first_row and "Оператор" in first_row and "anna" in first_row


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("1", "Показание меньше предыдущего (643,2). Проверьте цифры."),
        ("100000", "Слишком большой расход: после предыдущего показания 643,2 ожидается не больше 673,2"),
        ("abc", "Показание должно быть неотрицательным числом"),
        ("-5", "Показание должно быть неотрицательным числом"),
        ("1,2345", "не больше трёх знаков после запятой"),
        ("", "Показание должно быть неотрицательным числом"),
        ("9" * 40, "Показание должно быть неотрицательным числом"),
    ],
)
def test_wrong_readings_are_refused_in_russian_and_nothing_is_stored(anna, typed, expected):
    cold = _meter(anna.client, ACCOUNT, "cold_water")
    assert cold["last_reading"]["value"] == "643.2"  # the demo data the expectations above are written for
    before = _history(anna.client)
    r = anna.post(f"/console/accounts/{ACCOUNT}/meters/{cold['id']}/readings", data={"value": typed})
    assert r.status_code == 422
    assert expected in _message(r.text, "error")
    assert _history(anna.client) == before


def test_meter_past_verification_is_refused(anna):
    cold = _meter(anna.client, DEBTOR, "cold_water")
    value = Decimal(cold["last_reading"]["value"]) + 3
    r = anna.post(f"/console/accounts/{DEBTOR}/meters/{cold['id']}/readings", data={"value": str(value)})
    assert r.status_code == 422
    assert _message(r.text, "error").startswith("Срок поверки счётчика истёк 01.06.2024")


def test_outside_the_window_the_operator_is_told_the_next_window(app, clock):
    clock.advance(days=7)  # 27 November: after the 15–25 window
    anna = log_in(app, "anna")
    cold = _meter(anna.client, ACCOUNT, "cold_water")
    value = Decimal(cold["last_reading"]["value"]) + 3
    page = anna.client.get(f"/console/accounts/{ACCOUNT}").text
    assert "сегодня показания не принимаются" in page
    r = anna.post(f"/console/accounts/{ACCOUNT}/meters/{cold['id']}/readings", data={"value": str(value)})
    assert r.status_code == 422
    assert "Ближайший приём: с 15.12.2025 по 25.12.2025." in _message(r.text, "error")


def test_a_meter_of_another_account_is_not_found(anna):
    other = _meter(anna.client, DEBTOR, "electricity_day")
    r = anna.post(f"/console/accounts/{ACCOUNT}/meters/{other['id']}/readings", data={"value": "99999"})
    assert r.status_code == 404 and "нет такого счётчика" in r.text
    assert all(h["meter_id"] != other["id"] or h["source"] == "import" for h in _history(anna.client, DEBTOR))


def test_entering_a_reading_needs_the_csrf_token(anna):
    cold = _meter(anna.client, ACCOUNT, "cold_water")
    before = _history(anna.client)
    r = anna.client.post(f"/console/accounts/{ACCOUNT}/meters/{cold['id']}/readings", data={"value": "650"})
    assert r.status_code == 403
    assert _history(anna.client) == before


def test_unknown_account_card_goes_to_the_search(anna):
    r = anna.client.get("/console/accounts/999999999-9")
    assert r.status_code == 200 and "ничего не найдено" in r.text
