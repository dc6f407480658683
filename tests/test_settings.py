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
