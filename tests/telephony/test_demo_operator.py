"""`hotline demo` leaves a console login a newcomer can use at once."""


from fastapi.testclient import TestClient

from api.app import create_app
from ivr.commands import _demo_settings, demo_console_password, ensure_demo_operator
from ivr.settings import Settings


def _settings(tmp_path) -> Settings:
    base = Settings.from_env()
    return base.replace(
        data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'demo.db'}", operator_tokens={}
    )


def _login(app, password: str) -> int:
    with TestClient(app, base_url="http://127.0.0.1:8080") as client:
        page = client.get("/console/login")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        reply = client.post(
            "/console/login",
            data={"name": "demo", "password": password, "csrf_token": token},
            headers={"Origin": "http://127.0.0.1:8080"},
            follow_redirects=False,
        )
        return reply.status_code


def test_demo_operator_logs_in_with_the_kept_password(tmp_path):
    settings = _demo_settings(_settings(tmp_path))
    password = demo_console_password(settings)
    assert password
    ensure_demo_operator(settings)
    ensure_demo_operator(_demo_settings(settings))  # a second demo run keeps the same login
    assert demo_console_password(settings) == password
    app = create_app(settings=settings)
    assert _login(app, password) == 303
    assert _login(app, password + "x") != 303


def test_unreadable_kept_secrets_are_replaced_not_fatal(tmp_path):
    for junk in ("not json", "[1, 2]"):
        (tmp_path / "demo-secrets.json").write_text(junk)
        settings = _demo_settings(_settings(tmp_path))
        assert settings.ivr_token and settings.operator_tokens
        assert demo_console_password(settings)  # written anew, readable again
