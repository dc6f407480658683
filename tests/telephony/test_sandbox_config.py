"""Rendering our Asterisk configuration (no Asterisk needed: a fake chroot layout)."""

import configparser
import stat

import pytest

from telephony import testcall
from telephony.sandbox import EMPTY_CONFIGS, TEMPLATES, AsteriskSandbox, SandboxError


@pytest.fixture
def fake_root(tmp_path):
    (tmp_path / "usr/sbin").mkdir(parents=True)
    (tmp_path / "usr/sbin/asterisk").touch()
    (tmp_path / "usr/lib/x86_64-linux-gnu/asterisk/modules").mkdir(parents=True)
    return tmp_path


def _sections(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, delimiters=("=", "=>"), comment_prefixes=(";",))
    parser.read_string(text)
    return parser


def test_render_writes_every_config_with_our_values(fake_root):
    box = AsteriskSandbox(
        fake_root, "t1", ami_port=15038, sip_port=15060, ivr_port=19092, ami_secret="s3cret"
    )
    etc = box.render() / "etc"
    for name in TEMPLATES + EMPTY_CONFIGS:
        text = (etc / name).read_text()
        assert "{{" not in text and "{%" not in text
        assert stat.S_IMODE((etc / name).stat().st_mode) == 0o600  # secrets inside
    manager = _sections((etc / "manager.conf").read_text())
    assert manager["general"]["bindaddr"] == "127.0.0.1"
    assert manager["general"]["port"] == "15038"
    user = manager["hotline"]
    assert user["secret"] == "s3cret"
    assert user["deny"] == "0.0.0.0/0.0.0.0" and user["permit"] == "127.0.0.1/255.255.255.255"
    # CoreShowChannels (reporting) recovers calls whose event was missed during a reconnect.
    assert user["read"] == "user" and user["write"] == "call,originate,reporting"
    assert manager["general"]["channelvars"] == "HOTLINE_ID"
    console = manager["console"]  # the operator console's own user: callbacks and the queue
    assert console["secret"] == box.console_ami_secret and console["secret"] != "s3cret"
    assert console["permit"] == "127.0.0.1/255.255.255.255"
    assert console["read"] == "user,agent,call" and console["write"] == "originate"
    extensions = (etc / "extensions.conf").read_text()
    assert "HOTLINE_IVR_HOSTS = 127.0.0.1:19092" in extensions
    assert "Dial(AudioSocket/${host}/${HOTLINE_ID},,g)" in extensions
    assert "bind = 127.0.0.1:15060" in (etc / "pjsip.conf").read_text()
    assert "astmoddir => /usr/lib/x86_64-linux-gnu/asterisk/modules" in (etc / "asterisk.conf").read_text()
    modules = (etc / "modules.conf").read_text()
    assert "autoload = no" in modules
    for needed in (
        "res_audiosocket.so",
        "chan_audiosocket.so",
        "func_global.so",
        "app_userevent.so",
        "func_uuid.so",
        "app_queue.so",
    ):
        assert f"load => {needed}" in modules
    assert (box.host_dir / "moh" / "chime.wav").stat().st_size > 1000


def test_generated_secrets_are_kept_between_runs(fake_root):
    first = AsteriskSandbox(fake_root, "t2")
    first.render()
    again = AsteriskSandbox(fake_root, "t2")
    assert again.ami_secret == first.ami_secret and len(first.ami_secret) >= 20
    assert again.sip_demo_password == first.sip_demo_password
    other = AsteriskSandbox(fake_root, "t3")
    assert other.ami_secret != first.ami_secret
    assert AsteriskSandbox(fake_root, "t2", ami_secret="from-env").ami_secret == "from-env"


def test_an_unbuilt_sandbox_says_how_to_build_it(tmp_path):
    with pytest.raises(SandboxError, match="hotline asterisk build"):
        AsteriskSandbox(tmp_path, "t4").render()


def test_test_caller_scripts_are_checked():
    assert (
        testcall.script(testcall.wait(1.5), testcall.keys("0011100117#"), testcall.HANG_UP)
        == "w1.5^d0011100117#^h"
    )
    with pytest.raises(ValueError):
        testcall.keys("12;3")
    with pytest.raises(ValueError):
        testcall.script("x1")


def test_free_ports_are_below_the_range_outgoing_connections_take():
    """A port from the kernel's ephemeral range could be taken by any outgoing connection between
    the pick and the listener's bind (a failover test's IVR once found its port in use)."""
    import socket

    from telephony.sandbox import _ephemeral_low, free_port

    low = _ephemeral_low()
    for _ in range(20):
        port = free_port()
        assert 1024 <= port < low
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))  # and really free
