"""Billing files as they arrive broken (issue 12): mixed encodings, KOI8-R, cut files, stray quotes,
duplicate payments; the export's formula cells and unencodable characters; the import's batches."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from api.export import ExportError, export_readings, export_to_file
from api.models import Account, Charge, Meter, Payment, Reading
from api.registry import RegistryError, decode, import_file
from tests.api.test_registry import GOOD, HEADER, write

TZ = ZoneInfo("Asia/Novokuznetsk")
GOOD_BYTES = "\r\n".join(GOOD).encode("utf-8")  # ends with a line break (GOOD's last item is "")


def count(app, model) -> int:
    with app.state.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def refused(app, tmp_path, data: bytes, **kwargs) -> RegistryError:
    path = tmp_path / "registry.csv"
    path.write_bytes(data)
    with app.state.sessions() as s, pytest.raises(RegistryError) as exc:
        import_file(s, path, TZ, **kwargs)
    assert count(app, Account) == count(app, Payment) == count(app, Charge) == 0, "something was written"
    return exc.value


# ------------------------------------------------------------------ encodings


def test_one_stray_ff_byte_in_a_utf8_file_is_an_error_naming_its_line(app, tmp_path):
    lines = GOOD_BYTES.split(b"\r\n")
    lines[5] = lines[5].replace("касса".encode(), b"\xff" + "касса".encode())  # line 6: the payment
    err = refused(app, tmp_path, b"\r\n".join(lines))
    assert err.line == 6 and "0xFF is not UTF-8" in str(err)


def test_koi8r_is_refused_not_imported_as_garbage(app, tmp_path):
    data = "\r\n".join(GOOD).encode("koi8_r")
    err = refused(app, tmp_path, data)
    assert "KOI8-R" in str(err) and "iconv" in str(err)
    err = refused(app, tmp_path, data, encoding="cp1251")  # chosen explicitly: still not Russian in cp1251
    assert "KOI8-R" in str(err)


def test_a_file_cut_inside_a_utf8_character_names_the_line(app, tmp_path):
    data = GOOD_BYTES[: GOOD_BYTES.index("ХВ-1".encode()) + 1]  # half of "Х"
    err = refused(app, tmp_path, data)
    assert err.line == 8 and "ends inside a UTF-8 character" in str(err)


def test_encodings_chosen_explicitly(app, tmp_path):
    cp = "\r\n".join(GOOD).encode("cp1251")
    err = refused(app, tmp_path, cp, encoding="utf-8")
    assert err.line == 2 and "not UTF-8" in str(err)
    err = refused(app, tmp_path, b"\xef\xbb\xbf" + GOOD_BYTES, encoding="cp1251")
    assert "byte order mark" in str(err)
    assert decode(cp)[1] == "cp1251" and decode(GOOD_BYTES)[1] == "utf-8"
    assert decode(cp, "cp1251")[0] == decode(GOOD_BYTES, "utf-8")[0]


# ------------------------------------------------------------------ cut files, quotes, short rows


def test_every_truncated_file_is_refused_or_complete(app, tmp_path):
    """40 cuts across the data rows: none imports a row cut short (7 of 40 did)."""
    start = GOOD_BYTES.index(b"\r\n") + 2
    cuts = [start + (len(GOOD_BYTES) - start) * i // 40 for i in range(1, 40)] + [len(GOOD_BYTES) - 1]
    imported_cut_rows = 0
    for n, cut in enumerate(cuts):
        data = GOOD_BYTES[:cut]
        path = tmp_path / f"cut{n}.csv"
        path.write_bytes(data)
        with app.state.sessions() as s:
            try:
                import_file(s, path, TZ)
            except RegistryError as exc:
                assert "truncated" in str(exc) or "UTF-8" in str(exc), str(exc)
                continue
        # Imported: then the file ended with a line break and every row in it was whole.
        assert data.endswith((b"\n", b"\r")), cut
        with app.state.sessions() as s:
            for payment in s.scalars(select(Payment)):
                imported_cut_rows += payment.amount not in (Decimal("500.00"), Decimal("123.45"))
    assert imported_cut_rows == 0


def test_a_stray_quote_no_longer_swallows_the_following_rows(app, tmp_path):
    lines = list(GOOD)
    lines[1] = lines[1].replace("пгт Краснобродский", '"пгт Краснобродский')
    err = refused(app, tmp_path, "\r\n".join(lines).encode())
    assert err.line == 2 and "stray" in str(err)
    lines = list(GOOD)
    lines[3] = lines[3].replace("cold_water", '"cold_water')
    lines[6] = lines[6].replace("Сбербанк Онлайн", 'Сбербанк Онлайн"')  # closed three lines later
    err = refused(app, tmp_path, "\r\n".join(lines).encode())
    assert err.line == 4 and "runs on to line 7" in str(err)


def test_a_short_row_names_its_line(app, tmp_path):
    lines = list(GOOD)
    lines[5] = "payment;005550055-3;;;;;;;;;;;;;;15.10.2025;500,00"
    err = refused(app, tmp_path, "\r\n".join(lines).encode())
    assert err.line == 6 and "17 fields, the header has 22" in str(err)


# ------------------------------------------------------------------ duplicates


def test_identical_payments_without_ref_are_two_payments_and_reported(app, tmp_path):
    twice = "payment;005550055-3;;;;;;;;;;;;;;2025-11-03;123,45;Сбербанк Онлайн;;;;"
    lines = GOOD[:7] + [twice] + GOOD[7:]
    with app.state.sessions() as s:
        report = import_file(s, write(tmp_path, lines), TZ)
    assert report.created["payment"] == 3
    assert any("line 8" in w and "line 7" in w and "not merged" in w for w in report.warnings)
    with app.state.sessions() as s:  # the same file again: matched one to one, nothing new
        again = import_file(s, write(tmp_path, lines, name="again.csv"), TZ)
    assert again.created.get("payment", 0) == 0 and again.updated["payment"] == 3
    assert count(app, Payment) == 3


def test_repeated_rows_are_reported_and_conflicting_ones_refused(app, tmp_path):
    lines = GOOD[:3] + [GOOD[2]] + GOOD[3:]
    with app.state.sessions() as s:
        report = import_file(s, write(tmp_path, lines), TZ)
    assert report.created["charge"] == 2
    assert report.warnings == ["line 4: repeats line 3 (charge 005550055-3 2025-10 waste); imported once"]
    conflicting = GOOD[2].replace("270,96", "999,00")
    with app.state.sessions() as s, pytest.raises(RegistryError) as exc:
        import_file(s, write(tmp_path, GOOD[:3] + [conflicting] + GOOD[3:], name="c.csv"), TZ)
    assert exc.value.line == 4 and "already on line 3 with other values" in str(exc.value)


# ------------------------------------------------------------------ batches


def test_a_big_import_is_committed_in_batches(app, client, tmp_path):
    rows = [HEADER]
    for i in range(300):
        account = f"{500000000 + i:09d}-3"
        rows.append(f"account;{account};Абонент {i};ул. Новая, {i};;;;;;;;;;;;;;;;;;")
        rows.append(f"charge;{account};;;;;;;;2025-10;waste;{100 + i},00;;;;;;;;;;")
    rows.append("")
    seen_mid_import = []

    def between_batches(done: int, total: int) -> None:
        # Another connection sees the rows so far, and the API writes at once: no lock is held.
        seen_mid_import.append(count(app, Account))
        r = client.post(
            "/api/v1/calls", headers={"Authorization": "Bearer ivr-secret"}, json={"id": f"c{done}"}
        )
        assert r.status_code == 201

    with app.state.sessions() as s:
        report = import_file(s, write(tmp_path, rows), TZ, batch_size=100, on_batch=between_batches)
    assert report.batches == 6 and report.created == {"account": 300, "charge": 300}
    assert seen_mid_import[0] == 50 and seen_mid_import == sorted(seen_mid_import)
    assert seen_mid_import[-1] == 300


# ------------------------------------------------------------------ export


@pytest.fixture
def risky_readings(app, world):
    """Readings whose meter serials and call ids would be formulas in Excel, or cannot be cp1251."""
    with app.state.sessions() as s, s.begin():
        account = s.scalar(select(Account).where(Account.number == "001110011"))
        at = datetime(2025, 11, 20, 5, tzinfo=UTC)
        for i, (serial, call_id) in enumerate(
            [
                ('=HYPERLINK("http://x";"y")', "+79001110011"),
                ("-2+3", "@SUM(A1)"),
                ("ХВ-№1", "\tcall"),
                ("ГВ ✓", "call-4"),
            ]
        ):
            meter = Meter(account_id=account.id, service_code="gas", serial=serial)
            s.add(meter)
            s.flush()
            s.add(
                Reading(meter_id=meter.id, value=Decimal(10 + i), source="ivr", call_id=call_id, taken_at=at)
            )


def test_export_cells_cannot_be_formulas(app, risky_readings):
    out = io.StringIO()
    with app.state.sessions() as s:
        assert export_readings(s, date(2025, 11, 1), TZ, out) == 4
    rows = list(csv.reader(io.StringIO(out.getvalue()), delimiter=";"))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t")]
    assert rows[1][2] == '\'=HYPERLINK("http://x";"y")' and rows[1][6] == "'+79001110011"
    assert rows[2][2] == "'-2+3" and rows[2][6] == "'@SUM(A1)" and rows[1][3] == "10"


def test_export_to_cp1251_names_the_row_and_leaves_no_partial_file(app, risky_readings, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "readings.csv"
    target.write_text("the previous export\n")
    with app.state.sessions() as s, pytest.raises(ExportError) as exc:
        export_to_file(s, date(2025, 11, 1), TZ, target, "cp1251")
    assert "row 4 (line 5)" in str(exc.value) and "U+2713" in str(exc.value) and "utf-8" in str(exc.value)
    assert target.read_text() == "the previous export\n"
    assert [p.name for p in folder.iterdir()] == ["readings.csv"]  # no temporary file left behind
    with app.state.sessions() as s:
        assert export_to_file(s, date(2025, 11, 1), TZ, target, "utf-8-sig") == 4
    assert "ГВ ✓" in target.read_text(encoding="utf-8-sig")


def test_a_failing_write_leaves_the_previous_export_whole(app, risky_readings, tmp_path, monkeypatch):
    import api.export

    target = tmp_path / "readings.csv"
    target.write_text("the previous export\n")

    def disk_full(_src, _dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(api.export.os, "replace", disk_full)
    with app.state.sessions() as s, pytest.raises(OSError):
        export_to_file(s, date(2025, 11, 1), TZ, target, "utf-8")
    assert target.read_text() == "the previous export\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".readings.csv.")]


def test_export_cli_refuses_cleanly(app, risky_readings, tmp_path, monkeypatch, capsys):
    from ivr.cli import main

    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(
        "HOTLINE_DATABASE_URL", str(app.state.engine.url.render_as_string(hide_password=False))
    )
    out = tmp_path / "x.csv"
    assert main(["export-readings", "--since", "2025-11-01", "--out", str(out), "--encoding", "cp1251"]) == 1
    assert "cannot be written in cp1251" in capsys.readouterr().err and not out.exists()
