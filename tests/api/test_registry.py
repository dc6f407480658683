"""Billing registry import (good and bad files, both encodings, re-import) and readings export."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from api.export import export_readings
from api.models import Account, Charge, Meter, Payment, Penalty, Reading
from api.registry import RegistryError, import_file
from tests.api.conftest import IVR, OP, A, auth, verify_by_phone

TZ = ZoneInfo("Asia/Novokuznetsk")
HEADER = (
    "kind;account;owner_name;address;area;phones;web_registered_on;e_receipt;opening_balance;period;service;"
    "charged;recalculation;tariff;quantity;date;amount;channel;ref;serial;verification_due;value"
)
GOOD = [
    HEADER,
    "account;005550055-3;Орлова Нина Ивановна;пгт Краснобродский, ул. Новая, 3;44,5;"
    "+7 900 555-00-55, 89005550056;01.10.2025;да;1 200,00;;;;;;;;;;;;;",
    "charge;005550055-3;;;;;;;;2025-10;waste;270,96;-10,00;135,48;2;;;;;;;",
    "charge;005550055-3;;;;;;;;10.2025;cold_water;228,00;;45,60;5;;;;;;;",
    "penalty;005550055-3;;;;;;;;2025-10;;;;;;;12,30;;;;;",
    "payment;005550055-3;;;;;;;;;;;;;;15.10.2025;500,00;касса;P-1;;;",
    "payment;005550055-3;;;;;;;;;;;;;;2025-11-03;123,45;Сбербанк Онлайн;;;;",
    "meter;005550055-3;;;;;;;;;cold_water;;;;;20.10.2025;;;;ХВ-1;2029-12-31;345,5",
    "",
]


def write(tmp_path, lines, encoding="utf-8", name="registry.csv"):
    path = tmp_path / name
    path.write_bytes("\r\n".join(lines).encode(encoding))
    return path


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251"])
def test_good_file_in_each_encoding(app, client, tmp_path, encoding):
    with app.state.sessions() as s:
        report = import_file(s, write(tmp_path, GOOD, encoding), TZ)
    assert report.created == {"account": 1, "charge": 2, "penalty": 1, "payment": 2, "meter": 1}
    acc = client.get("/api/v1/accounts/005550055-3", headers=OP).json()
    assert acc["owner_name"] == "Орлова Нина Ивановна" and acc["phones"] == ["79005550055", "79005550056"]
    assert acc["territory"]["name"] == "Краснобродский и район" and acc["web_registered_on"] == "2025-10-01"
    body = client.get("/api/v1/accounts/005550055-3/balance", headers=OP).json()
    # By hand: 1200.00 + 270.96 - 10.00 + 228.00 + 12.30 - 500.00 = 1201.26
    assert (body["opening"], body["charged"], body["penalties"], body["paid"], body["closing"]) == (
        "1200.00",
        "498.96",
        "12.30",
        "500.00",
        "1201.26",
    )
    assert body["last_payment"] == {"date": "2025-11-03", "amount": "123.45", "channel": "Сбербанк Онлайн"}
    meters = client.get("/api/v1/accounts/005550055-3/meters", headers=OP).json()["meters"]
    assert meters[0]["last_reading"]["value"] == "345.5" and meters[0]["last_reading"]["source"] == "import"


def test_reimport_updates_and_never_duplicates(app, client, tmp_path):
    with app.state.sessions() as s:
        import_file(s, write(tmp_path, GOOD), TZ)
    changed = [
        line.replace("270,96", "300,00").replace("Орлова Нина Ивановна", "Орлова Нина Петровна")
        for line in GOOD
    ]
    with app.state.sessions() as s:
        report = import_file(s, write(tmp_path, changed, name="again.csv"), TZ)
        assert report.created == {} and report.updated["charge"] == 2 and report.updated["payment"] == 2
        assert (
            count(s, Account),
            count(s, Charge),
            count(s, Penalty),
            count(s, Payment),
            count(s, Meter),
            count(s, Reading),
        ) == (1, 2, 1, 2, 1, 1)
        assert s.scalar(select(Charge.charged).where(Charge.service_code == "waste")) == Decimal("300.00")
    assert (
        client.get("/api/v1/accounts/005550055-3", headers=OP).json()["owner_name"] == "Орлова Нина Петровна"
    )


BAD_ROWS = [
    ("charge;005550055-3;;;;;;;;2025-10;waste;abc;;;;;;;;;;", "charged"),
    ("charge;005550055-3;;;;;;;;2025-13;waste;1;;;;;;;;;;", "period"),
    ("charge;005550055-3;;;;;;;;2025-10;water;1;;;;;;;;;;", "service"),
    ("payment;005550055-3;;;;;;;;;;;;;;31.02.2025;1;;;;;", "date"),
    ("payment;005550055-3;;;;;;;;;;;;;;01.02.2025;-5;;;;;", "positive"),
    ("payment;999999999-3;;;;;;;;;;;;;;01.02.2025;5;;;;;", "999999999-3"),
    ("penalty;05550055-3;;;;;;;;2025-10;;;;;;;1;;;;;", "account"),
    ("meter;005550055-3;;;;;;;;;waste;;;;;;;;;S-1;;", "service"),
    ("meter;005550055-3;;;;;;;;;gas;;;;;;;;;S-1;;12", "value and date"),
    ("bill;005550055-3;;;;;;;;;;;;;;;;;;;;", "kind"),
    ("account;005550056-3;;адрес;;;;;;;;;;;;;;;;;;", "owner_name"),
    ("account;005550056-3;Имя;адрес;;12345;;;;;;;;;;;;;;;;", "phones"),
    ("account;005550056-3;Имя;адрес;;;;может быть;;;;;;;;;;;;;;", "e_receipt"),
    ("charge;005550055-3;;;;;;;;2025-10;waste;1;;;;;;;;;;;;;", "more fields"),
]


@pytest.mark.parametrize("row,why", BAD_ROWS)
def test_bad_row_stops_everything_with_line_and_reason(app, tmp_path, row, why):
    lines = GOOD[:4] + [row] + GOOD[4:]
    with app.state.sessions() as s:
        with pytest.raises(RegistryError) as exc:
            import_file(s, write(tmp_path, lines), TZ)
        assert exc.value.line == 5 and why in str(exc.value)
        assert str(exc.value).startswith("line 5:")
    with app.state.sessions() as s:  # nothing half-written: not even the good rows before it
        assert count(s, Account) == count(s, Charge) == count(s, Payment) == 0


@pytest.mark.parametrize(
    "lines,why",
    [
        ([], "empty"),
        (["kind;account;colour"], "unknown: colour"),
        (["account;owner_name"], "kind;account"),
    ],
)
def test_bad_header(app, tmp_path, lines, why):
    with app.state.sessions() as s, pytest.raises(RegistryError) as exc:
        import_file(s, write(tmp_path, lines), TZ)
    assert exc.value.line == 1 and why in str(exc.value)


def test_missing_file(app, tmp_path):
    with app.state.sessions() as s, pytest.raises(RegistryError, match="cannot read"):
        import_file(s, tmp_path / "nope.csv", TZ)


def test_export_has_hotline_readings_only(app, client, world, clock, tmp_path):
    import io

    verify_by_phone(client, call_id="call-1")
    client.post(
        f"/api/v1/accounts/{A}/meters/{world.cold_meter}/readings",
        headers=auth("ivr-secret", "call-1"),
        json={"value": "104.25"},
    )
    clock.advance(days=1)
    client.post(f"/api/v1/accounts/{A}/meters/{world.cold_meter}/readings", headers=OP, json={"value": "105"})
    out = io.StringIO()
    with app.state.sessions() as s:
        assert export_readings(s, date(2025, 11, 1), TZ, out) == 2
        later = io.StringIO()
        assert export_readings(s, date(2025, 11, 21), TZ, later) == 1
    rows = out.getvalue().splitlines()
    assert rows[0] == "account;service;serial;value;taken_at;source;call_id"
    assert rows[1] == f"{A};cold_water;CW-1;104.25;2025-11-20 17:00:00;ivr;call-1"
    assert rows[2] == f"{A};cold_water;CW-1;105;2025-11-21 17:00:00;operator;"
    assert IVR  # the IVR token was used for the first reading
    assert datetime(2025, 11, 20, 10, tzinfo=UTC).astimezone(TZ).hour == 17
