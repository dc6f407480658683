from ivr.settings import Settings, parse_operator_tokens


def test_defaults_put_sqlite_under_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HOTLINE_DATABASE_URL", raising=False)
    s = Settings.from_env()
    assert s.database_url == f"sqlite:///{tmp_path / 'hotline.db'}"
    assert s.models_dir == tmp_path / "models"


def test_database_url_from_env(monkeypatch):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", "postgresql+psycopg://u:p@h/db")
    assert Settings.from_env().database_url == "postgresql+psycopg://u:p@h/db"


def test_operator_tokens_parse_names_and_bare_tokens():
    assert parse_operator_tokens("anna:t1, bob:t2,t3") == {"t1": "anna", "t2": "bob", "t3": "operator3"}
    assert parse_operator_tokens("") == {}


def test_bad_integer_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("HOTLINE_API_PORT", "eighty")
    try:
        Settings.from_env()
    except ValueError as exc:
        assert "HOTLINE_API_PORT" in str(exc)
    else:
        raise AssertionError("expected ValueError")


def test_each_command_loads_only_its_package_part(monkeypatch):
    """`hotline api` (and every api command) never loads the AMI secret; speech commands no tokens."""
    from api.settings import ApiSettings
    from ivr.cli import settings_for
    from speech.settings import SpeechSettings
    from telephony.settings import TelephonySettings

    monkeypatch.setenv("HOTLINE_AMI_SECRET", "ami-secret")
    monkeypatch.setenv("HOTLINE_IVR_TOKEN", "ivr-secret")
    api = settings_for("api")
    assert type(api) is ApiSettings and "ami_secret" not in type(api).model_fields
    assert api.ivr_token is not None and api.ivr_token.get_secret_value() == "ivr-secret"
    speech = settings_for("speech")
    assert type(speech) is SpeechSettings and "ivr_token" not in type(speech).model_fields
    telephony = settings_for("telephony")
    assert type(telephony) is TelephonySettings and telephony.ami_secret.get_secret_value() == "ami-secret"
    assert isinstance(settings_for("ivr"), Settings)


def test_an_api_command_is_given_the_api_part(monkeypatch, tmp_path):
    from api.settings import ApiSettings
    from ivr.cli import build_parser, settings_for

    args = build_parser().parse_args(["db", "upgrade"])
    assert type(settings_for(args.func.__module__.partition(".")[0])) is ApiSettings


def test_secrets_are_never_printed(monkeypatch):
    monkeypatch.setenv("HOTLINE_AMI_SECRET", "ami-secret")
    monkeypatch.setenv("HOTLINE_OPERATOR_TOKENS", "anna:op-secret")
    monkeypatch.setenv("HOTLINE_IVR_TOKEN", "ivr-secret")
    s = Settings.from_env()
    shown = repr(s) + str(s)
    assert not any(secret in shown for secret in ("ami-secret", "op-secret", "ivr-secret"))
    assert {t.get_secret_value(): n for t, n in s.operator_tokens.items()} == {"op-secret": "anna"}


def test_the_zone_is_built_once_and_replace_checks_values(monkeypatch):
    monkeypatch.setenv("HOTLINE_TIMEZONE", "Europe/Moscow")
    s = Settings.from_env()
    assert s.zone is s.zone and s.zone.key == "Europe/Moscow"
    changed = s.replace(ivr_token="new", timezone="Asia/Novokuznetsk")
    assert changed.ivr_token.get_secret_value() == "new" and changed.zone.key == "Asia/Novokuznetsk"
    assert s.ivr_token is None  # the original is unchanged (settings are frozen)


def test_parts_derive_their_defaults_from_the_data_dir(monkeypatch, tmp_path):
    from speech.settings import SpeechSettings

    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_API_PORT", "9999")
    monkeypatch.delenv("HOTLINE_API_URL", raising=False)
    s = Settings.from_env()
    assert s.api_url == "http://127.0.0.1:9999"
    assert SpeechSettings().tts_cache_dir == tmp_path / "tts-cache"


def test_the_dialogs_options_come_from_plain_values(monkeypatch):
    monkeypatch.setenv("HOTLINE_READINGS_WINDOW_START", "10")
    monkeypatch.setenv("HOTLINE_OPERATOR_HOURS", "mon-fri 09:00-18:00")
    options = Settings.from_env().dialog_options()
    assert options.readings_window == (10, 25) and options.operator_hours == "mon-fri 09:00-18:00"
