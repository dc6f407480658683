"""Live calls and today's figures: what counts as today, the robot's share, reasons, the charts."""

from __future__ import annotations

import re

from api.console.figures import columns, horizontal_bars
from tests.console.conftest import IVR, escalate, log_in


def _call(client, call_id, *, step=None, outcome=None, account=None, caller="79001110011"):
    assert (
        client.post("/api/v1/calls", headers=IVR, json={"id": call_id, "caller": caller}).status_code == 201
    )
    body = {k: v for k, v in {"step": step, "account": account, "outcome": outcome}.items() if v}
    if outcome:
        body["ended"] = True
    if body:
        assert client.patch(f"/api/v1/calls/{call_id}", headers=IVR, json=body).status_code == 200


def _figure(html: str, name: str) -> str:
    match = re.search(rf'id="fig-{name}">([^<]*)<', html)
    assert match, name
    return match.group(1).replace("\xa0", " ").replace("&nbsp;", " ").strip()


def test_todays_figures(app, clock, anna):
    c = anna.client
    clock.advance(days=-1)
    _call(c, "yesterday", outcome="completed")
    escalate(c, "yesterday-esc", reason="no_input")
    clock.advance(days=1)
    _call(c, "robot-1", outcome="completed")
    _call(c, "robot-2", outcome="hangup")
    _call(c, "after-hours", outcome="operator_closed")
    escalate(c, "esc-1", reason="no_match")
    c.patch("/api/v1/calls/esc-1", headers=IVR, json={"outcome": "operator", "ended": True})
    escalate(c, "esc-2", reason="no_match")
    escalate(c, "esc-3", reason="verify_failed")
    _call(c, "going-on", step="readings", account="001110011-7")
    html = c.get("/console/calls/live", headers={"HX-Request": "true"}).text
    # today: robot-1, robot-2, after-hours, esc-1..3, going-on = 7 calls; finished: robot-1, robot-2,
    # after-hours, esc-1 = 4, of which only robot-1 resolved by the robot (issue 14: robot-2 hung up,
    # after-hours wanted an operator at night): 1 of 4 = 25 %.
    assert _figure(html, "calls") == "7"
    assert _figure(html, "robot") == "25 %" and "(1 из 4 завершённых)" in html
    assert _figure(html, "escalated") == "3"
    # esc-2, esc-3 are still going on (not ended) as is going-on
    assert _figure(html, "active") == "3"
    chart = html[html.index("Причины перевода") : html.index("Звонки по часам")]
    assert "Робот не понял ответы" in chart and "Не прошёл проверку" in chart and "Не отвечает" not in chart
    assert chart.count('<rect class="bar"') == 2
    assert chart.index("Робот не понял ответы") < chart.index("Не прошёл проверку")  # most frequent first


def test_live_calls_show_who_has_the_escalation(app, anna):
    first = escalate(anna.client, "esc-1")
    escalate(anna.client, "esc-2")
    table = anna.client.get("/console/calls/live").text.split('id="live-calls"')[1]
    assert table.count("ждёт оператора") == 2
    anna.post(f"/console/escalations/{first}/take")
    table = anna.client.get("/console/calls/live").text.split('id="live-calls"')[1]
    assert table.count("ждёт оператора") == 1 and table.count("у оператора anna") == 1


def test_live_calls_show_the_dialog_step_in_russian_and_hide_lost_ones(app, clock, anna):
    c = anna.client
    clock.advance(minutes=-30)
    _call(c, "lost", step="menu", caller="79009990099")  # never ended: the IVR lost it
    clock.advance(minutes=30)
    _call(c, "live-1", step="readings", account="001110011-7", caller="79001110011")
    c.post(
        "/api/v1/calls/live-1/transcript", headers=IVR, json={"speaker": "caller", "text": "сто двадцать три"}
    )
    _call(c, "ended", outcome="completed", caller="79008880088")
    html = c.get("/console/calls", follow_redirects=False).text
    table = html[html.index('id="live-calls"') :]
    assert 'data-call="live-1"' in table and "Показания" in table and "001110011-7" in table
    assert "+7 900 111-00-11" in table and "сто двадцать три" in table
    assert 'data-call="lost"' not in table and 'data-call="ended"' not in table
    panel = c.get("/console/calls/live-1/panel", headers={"HX-Request": "true"})
    assert panel.status_code == 200 and "сто двадцать три" in panel.text
    assert c.get("/console/calls/none/panel").status_code == 404


def test_no_calls_yet_says_so(app, anna):
    html = anna.client.get("/console/calls").text
    assert _figure(html, "calls") == "0" and _figure(html, "robot") == "—"
    assert "Сегодня переводов не было" in html and "Сейчас звонков нет" in html


def test_calls_after_local_midnight_count_for_the_new_day(app, clock):
    # 2025-11-20 23:30 local = 16:30 UTC; then 00:20 local on the 21st (the login lasts an hour).
    clock.now = clock.now.replace(hour=16, minute=30)
    anna = log_in(app, "anna")
    _call(anna.client, "late", outcome="completed")
    clock.advance(minutes=50)
    _call(anna.client, "early", outcome="completed")
    html = anna.client.get("/console/calls/live").text
    assert _figure(html, "calls") == "1"


def test_bar_geometry_is_proportional():
    chart = horizontal_bars([("a", 4), ("b", 2), ("c", 1)], width=500, label_width=100)
    widths = [b.width for b in chart.bars]
    assert widths[0] == 500 - 100 - 40 and widths[1] == widths[0] / 2 and widths[2] == widths[0] / 4
    assert chart.bars[0].y < chart.bars[1].y < chart.bars[2].y and chart.height > chart.bars[2].y
    cols = columns([0, 3, 6], ["0", "1", "2"], width=300, height=100)
    assert cols.bars[0].height == 0 and cols.bars[2].height == 2 * cols.bars[1].height
    assert cols.bars[2].y + cols.bars[2].height == cols.bars[0].y  # all stand on one baseline


def test_outcomes_are_split_and_only_completed_counts_as_resolved(app, anna):
    c = anna.client
    for call_id, outcome in (
        ("done-1", "completed"),
        ("done-2", "completed"),
        ("hung-up", "hangup"),
        ("night", "operator_closed"),
        ("failed", "operator_failed"),
        ("transferred", "operator"),
        ("cb", "callback"),
        ("broken", "service_error"),
        ("too-long", "time_limit"),
        ("no-outcome", None),
    ):
        _call(c, call_id, outcome=outcome)
    c.patch("/api/v1/calls/no-outcome", headers=IVR, json={"ended": True})
    escalate(c, "cb-esc", reason="callback_request")
    html = c.get("/console/calls/live", headers={"HX-Request": "true"}).text
    # 11 calls, 10 finished (cb-esc still on the line), 2 resolved by the robot
    assert _figure(html, "robot") == "20 %" and "(2 из 10 завершённых)" in html
    assert _figure(html, "callbacks") == "1" and _figure(html, "escalated") == "0"
    chart = html[html.index("Чем закончились") : html.index("Причины перевода")]
    bars = re.findall(r'<rect class="bar (\w+)"[^>]*><title>([^<]*)</title>', chart)
    assert bars == [
        ("robot", "Решено роботом: 2"),
        ("operator", "Переведено на оператора: 1"),
        ("callback", "Заявка на обратный звонок: 1"),
        ("hangup", "Положил трубку, не закончив: 1"),
        ("operators_closed", "Операторы не работали: 1"),
        ("operator_failed", "Перевод не удался: 1"),
        ("failure", "Сбой, занято или превышено время: 2"),
        ("other", "Без итога: 1"),
    ]


def test_a_live_call_with_a_callback_request_is_not_shown_waiting_for_an_operator(app, anna):
    escalate(anna.client, "live-cb", reason="callback_request")
    html = anna.client.get("/console/calls/live", headers={"HX-Request": "true"}).text
    row = html[html.index('data-call="live-cb"') :]
    row = row[: row.index("</tr>")]
    assert "ждёт оператора" not in row
