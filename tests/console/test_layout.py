"""The favicon is served and linked; the top menu is built to fit 800 px (checked in a browser too)."""

from __future__ import annotations


def test_favicon_is_served_at_the_root_and_linked_from_the_pages(app, anna):
    r = anna.client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith("<svg")
    for path in ("/console/escalations", "/console/callbacks", "/console/calls", "/console/login"):
        assert '<link rel="icon" href="/console/static/favicon.svg"' in anna.client.get(path).text
    assert anna.client.get("/console/static/favicon.svg").status_code == 200


def test_the_menu_has_a_short_brand_and_narrow_screen_rules(app, anna):
    html = anna.client.get("/console/escalations").text
    assert '<span class="long"> · консоль оператора</span>' in html
    css = anna.client.get("/console/static/console.css").text
    assert "@media (max-width: 980px)" in css and "white-space: nowrap" in css
