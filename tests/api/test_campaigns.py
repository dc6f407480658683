"""Debt reminders (seed 002): who is called today by band, and the legal limits with a frozen clock."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from api import campaigns
from api.campaigns import DEFAULT_BANDS, Limits, band_of, parse_bands

# The demo's accounts (tests/dialogs/demo_api.py, imported lazily: importing it at collection time
# changes how other API tests' apps are built).
ACCOUNT, DEBTOR, PHONE = "001110011-7", "002220022-0", "79001110011"

ZONE = ZoneInfo("Asia/Novokuznetsk")
THURSDAY = datetime(2025, 11, 20, 12, 0, tzinfo=ZONE)  # the demo's day


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    from tests.dialogs.demo_api import build_template

    return build_template(tmp_path_factory.mktemp("campaign-demo"))


@pytest.fixture
def session(template, tmp_path):
    path = tmp_path / "demo.db"
    shutil.copy(template, path)
    engine = create_engine(f"sqlite:///{path}")
    with Session(engine) as s:
        yield s
    engine.dispose()


# --- the law's hours (230-ФЗ art. 7), in the debtor's local time -------------------------------------

@pytest.mark.parametrize(("moment", "allowed"), [
    (datetime(2025, 11, 20, 7, 59), False),  # Thursday, before 8:00
    (datetime(2025, 11, 20, 8, 0), True),
    (datetime(2025, 11, 20, 21, 59), True),
    (datetime(2025, 11, 20, 22, 0), False),
    (datetime(2025, 11, 22, 8, 30), False),  # Saturday: from 9:00
    (datetime(2025, 11, 22, 9, 0), True),
    (datetime(2025, 11, 23, 19, 59), True),  # Sunday: until 20:00
    (datetime(2025, 11, 23, 20, 0), False),
    (datetime(2025, 11, 4, 8, 30), False),  # Tuesday, but Unity Day: a holiday
    (datetime(2026, 1, 5, 21, 0), False),  # New Year holidays
    (datetime(2025, 11, 3, 8, 30), True),  # an ordinary Monday
])
def test_calls_only_inside_the_hours_the_law_allows(moment, allowed):
    assert Limits().may_call_at(moment.replace(tzinfo=ZONE)) is allowed


def test_a_moved_day_off_set_by_the_utility_counts_as_a_holiday():
    monday = datetime(2025, 11, 3, 8, 30, tzinfo=ZONE)
    assert not Limits(holidays=frozenset({monday.date()})).may_call_at(monday)


def test_at_most_one_successful_contact_a_day_two_a_week_eight_a_month():
    limits = Limits()
    thursday = THURSDAY
    assert limits.exceeded([], thursday) is None
    assert limits.exceeded([thursday - timedelta(hours=2)], thursday) == "day"
    monday = datetime(2025, 11, 17, 12, 0, tzinfo=ZONE)
    assert limits.exceeded([monday], thursday) is None
    assert limits.exceeded([monday, monday + timedelta(days=1)], thursday) == "week"
    last_week = datetime(2025, 11, 13, 12, 0, tzinfo=ZONE)
    assert limits.exceeded([last_week, last_week - timedelta(days=1)], thursday) is None
    month = [datetime(2025, 11, d, 12, 0, tzinfo=ZONE) for d in (1, 2, 3, 4, 5, 6, 8, 10)]
    assert limits.exceeded(month, thursday) == "month"
    assert limits.exceeded(month[:7], thursday) is None
    # a contact late in the evening UTC is the next morning in Novokuznetsk: counted on the local day
    utc_evening = datetime(2025, 11, 19, 20, 0, tzinfo=UTC)  # 2025-11-20 03:00 local
    assert limits.exceeded([utc_evening], thursday) == "day"


# --- bands ---------------------------------------------------------------------------------------------

def test_the_seeds_bands_highest_first():
    assert [band_of(Decimal(d), DEFAULT_BANDS) for d in ("150000", "100000", "99999.99", "50000", "10000",
                                                          "9999", "5000", "4999.99", "-100")] == [
        0, 0, 1, 1, 2, 3, 3, None, None]


def test_bands_from_the_command_line():
    expected = ((Decimal("100000"), None), (Decimal("5000"), Decimal("10000")))
    assert parse_bands("5000-10000,100000-") == expected
    for bad in ("abc", "100-50", "5000"):
        with pytest.raises(ValueError):
            parse_bands(bad)


# --- the plan over the demo data -----------------------------------------------------------------------

def test_the_plan_takes_debtors_of_the_latest_closed_month_by_band(session):
    plan = campaigns.plan(session, THURSDAY)
    assert plan.period == "2025-10"
    accounts = [d.account for d in plan.debtors]
    assert DEBTOR in accounts  # 29,591.57 ₽ at the end of October: band 10,000–50,000
    assert [d.band for d in plan.debtors] == sorted(d.band for d in plan.debtors)
    for debtor in plan.debtors:
        assert debtor.debt >= Decimal("5000") and debtor.phones
    # the demo owner's October debt is under 5,000 ₽: not a debtor to call
    assert ACCOUNT not in accounts


def test_opted_out_numbers_and_contact_limits_are_left_out(session):
    debtor = next(d for d in campaigns.plan(session, THURSDAY).debtors if d.account == DEBTOR)
    for phone in debtor.phones:
        campaigns.record_contact(session, DEBTOR, phone, "refused", THURSDAY - timedelta(days=3))
    session.flush()
    plan = campaigns.plan(session, THURSDAY)
    assert DEBTOR not in [d.account for d in plan.debtors]
    assert plan.skipped.get("opted_out", 0) >= 1


def test_a_debtor_reached_today_is_not_planned_again_today(session):
    debtor = campaigns.plan(session, THURSDAY).debtors[0]
    an_hour_ago = THURSDAY - timedelta(hours=1)
    campaigns.record_contact(session, debtor.account, debtor.phones[0], "confirmed", an_hour_ago)
    session.flush()
    plan = campaigns.plan(session, THURSDAY)
    assert debtor.account not in [d.account for d in plan.debtors]
    assert plan.skipped["limit_day"] == 1
    tomorrow = THURSDAY + timedelta(days=1)
    assert debtor.account in [d.account for d in campaigns.plan(session, tomorrow).debtors]


def test_the_daily_total_caps_the_plan(session):
    plan = campaigns.plan(session, THURSDAY, daily_total=1)
    assert len(plan.debtors) == 1
    assert plan.skipped.get("over_daily_total", 0) >= 0


def test_no_answer_is_no_successful_contact(session):
    debtor = campaigns.plan(session, THURSDAY).debtors[0]
    an_hour_ago = THURSDAY - timedelta(hours=1)
    campaigns.record_contact(session, debtor.account, debtor.phones[0], "no_answer", an_hour_ago)
    session.flush()
    assert debtor.account in [d.account for d in campaigns.plan(session, THURSDAY).debtors]


# --- SMS (no gateway here: a CSV for the utility's provider) -------------------------------------------

def test_sms_list_over_thirty_thousand_with_opt_outs_and_formula_safe_cells(session, tmp_path):
    over = Decimal("20000")
    rows = campaigns.sms_rows(session, THURSDAY.date(), "=Долг {debt} руб. по счёту {account}", over=over)
    assert rows and all(debt > Decimal("20000") for _, _, debt, _ in rows)
    out = tmp_path / "sms.csv"
    assert campaigns.write_sms_csv(out, rows) == len(rows)
    with out.open(encoding="utf-8") as f:
        written = list(csv.reader(f, delimiter=";"))
    assert written[0] == ["phone", "account", "debt", "text"]
    assert all(row[3].startswith("'=") for row in written[1:])  # a formula is never run by a spreadsheet
    campaigns.opt_out(session, rows[0][0], "refused", datetime.now(UTC))
    session.flush()
    again = campaigns.sms_rows(session, THURSDAY.date(), "x", over=over)
    assert rows[0][0] not in [r[0] for r in again]


def test_campaign_commands_work_end_to_end(template, tmp_path):
    db = tmp_path / "cli.db"
    shutil.copy(template, db)
    env = {"HOTLINE_DATABASE_URL": f"sqlite:///{db}", "HOTLINE_DATA_DIR": str(tmp_path),
           "PATH": "/usr/bin:/bin"}

    def hotline(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "ivr.cli", *args], capture_output=True, text=True, env=env, timeout=120
        )

    plan = hotline("campaign", "plan", "--at", "2025-11-20T12:00", "--csv", str(tmp_path / "plan.csv"))
    assert plan.returncode == 0, plan.stderr
    assert "calls allowed today 08:00–22:00" in plan.stdout and "planned:" in plan.stdout
    rows = list(csv.reader((tmp_path / "plan.csv").open(encoding="utf-8"), delimiter=";"))
    assert rows[0] == ["band", "account", "debt", "phones"] and any(r[1] == DEBTOR for r in rows[1:])
    assert hotline("campaign", "plan", "--at", "2025-11-22T12:00").stdout.count("09:00–20:00") == 1
    opted = hotline("campaign", "opt-out", "+7 900 111-00-11")
    assert opted.returncode == 0 and PHONE in opted.stdout
    assert hotline("campaign", "record", DEBTOR, PHONE, "confirmed").returncode == 0
    assert hotline("campaign", "record", "garbage", PHONE, "confirmed").returncode == 1
    assert hotline("campaign", "plan", "--bands", "100-50").returncode == 2
    sms = hotline("campaign", "sms", "--text", "Долг {debt}", "--out", str(tmp_path / "sms.csv"),
                  "--over", "20000")
    assert sms.returncode == 0 and "SMS to debtors over" in sms.stdout


def test_the_window_of_a_day(session):
    assert Limits().window(date(2025, 11, 20)) == (time(8, 0), time(22, 0))
    assert Limits().window(date(2025, 11, 22)) == (time(9, 0), time(20, 0))
