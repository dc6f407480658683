"""The one reader and writer of secrets a dev tool keeps (the sandbox's passwords, the demo's tokens)."""

from __future__ import annotations

import stat

import pytest

from telephony.kept_secrets import keep, read_kept


def test_what_was_kept_is_read_back(tmp_path):
    path = tmp_path / "sub" / "secrets.json"
    keep(path, {"ami_secret": "s3cret", "sip_demo_password": "pw"})
    assert read_kept(path) == {"ami_secret": "s3cret", "sip_demo_password": "pw"}


def test_the_file_is_owner_only_even_when_it_was_not(tmp_path):
    path = tmp_path / "secrets.json"
    path.write_text("{}")
    path.chmod(0o644)
    keep(path, {"ivr_token": "t"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_kept(path) == {"ivr_token": "t"}


@pytest.mark.parametrize("junk", ["", "{", "[1, 2]", "null", '"text"', "\x00\xff"])
def test_a_damaged_file_reads_as_nothing_kept(tmp_path, junk):
    path = tmp_path / "secrets.json"
    path.write_text(junk)
    assert read_kept(path) == {}


def test_a_missing_file_and_values_that_are_not_text(tmp_path):
    assert read_kept(tmp_path / "none.json") == {}
    path = tmp_path / "secrets.json"
    path.write_text('{"ivr_token": "t", "port": 5038, "nested": {"a": "b"}}')
    assert read_kept(path) == {"ivr_token": "t"}
