"""Model location and the download path, against a local HTTP server serving archives built here."""

import hashlib
import http.server
import io
import json
import os
import socket
import threading
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from ivr import cli
from speech.models import (
    CATALOGUE,
    NO_MODEL_MESSAGE,
    SOURCE_FILE,
    ChecksumMismatch,
    DownloadInterrupted,
    ModelError,
    download,
    find_model,
    installed_models,
    looks_like_model,
    model_sample_rate,
    model_supports_grammars,
)

SMALL = CATALOGUE["ru-small"]


def model_archive(top: str = SMALL.name, *, extra: dict[str, bytes] | None = None) -> bytes:
    files = {
        f"{top}/am/final.mdl": os.urandom(300_000),  # incompressible, so a download takes several chunks
        f"{top}/conf/model.conf": b"--min-active=200\n",
        f"{top}/conf/mfcc.conf": b"--sample-frequency=16000\n--use-energy=false\n",
        f"{top}/graph/HCLr.fst": b"hcl",
        f"{top}/graph/Gr.fst": b"g",
        f"{top}/README": b"test model\n",
        **(extra or {}),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


class ArchiveServer:
    """Serves one file per path on 127.0.0.1, honouring Range; can drop the connection mid-body."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.drop_after: int | None = None  # bytes of body to send before closing the socket
        self.range_requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                data = server.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                rng = self.headers.get("Range")
                if rng:
                    server.range_requests.append(rng)
                    start = int(rng.removeprefix("bytes=").split("-")[0])
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.drop_after is not None:
                    self.wfile.write(body[: server.drop_after])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/models/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = ArchiveServer()
    yield s
    s.close()


def serve(server: ArchiveServer, data: bytes, spec=SMALL) -> None:
    server.files[f"/models/{spec.archive}"] = data


def pinned(data: bytes):
    return replace(SMALL, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


def leftovers(models_dir: Path) -> list[str]:
    """Anything besides installed models: partial downloads, unpack directories."""
    found = [p.name for p in models_dir.iterdir() if p.name.startswith(".unpack")]
    downloads = models_dir / ".downloads"
    if downloads.exists():
        found += [p.name for p in downloads.iterdir()]
    return found


def test_good_download_is_verified_and_installed(server, tmp_path):
    data = model_archive()
    serve(server, data)
    seen = []
    path = download(pinned(data), tmp_path, base_url=server.url,
                    progress=lambda done, _total: seen.append(done))
    assert path == tmp_path / SMALL.name
    assert looks_like_model(path)
    assert seen[-1] == len(data) and len(seen) > 1  # the progress callback saw the whole body
    [model] = installed_models(tmp_path)
    assert model.name == SMALL.name
    assert model.sample_rate == 16000 and model.grammars
    assert model.sha256 == hashlib.sha256(data).hexdigest()
    assert json.loads((path / SOURCE_FILE).read_text())["url"].startswith(server.url)
    assert leftovers(tmp_path) == []


def test_second_download_does_nothing(server, tmp_path):
    data = model_archive()
    serve(server, data)
    download(pinned(data), tmp_path, base_url=server.url)
    server.files.clear()  # a second fetch would now fail with 404
    assert download(pinned(data), tmp_path, base_url=server.url) == tmp_path / SMALL.name


def test_corrupted_archive_is_rejected_and_nothing_is_left(server, tmp_path):
    data = model_archive()
    corrupted = bytearray(data)
    corrupted[len(data) // 2] ^= 0xFF
    serve(server, bytes(corrupted))
    with pytest.raises(ChecksumMismatch, match="SHA-256 mismatch.*nothing was installed"):
        download(pinned(data), tmp_path, base_url=server.url)
    assert installed_models(tmp_path) == []
    assert not (tmp_path / SMALL.name).exists()
    assert leftovers(tmp_path) == []


def test_interrupted_download_keeps_the_part_and_resumes(server, tmp_path):
    data = model_archive()
    serve(server, data)
    server.drop_after = 100_000
    with pytest.raises(DownloadInterrupted, match="run the same command again to resume"):
        download(pinned(data), tmp_path, base_url=server.url)
    part = tmp_path / ".downloads" / f"{SMALL.archive}.part"
    assert part.stat().st_size == 100_000
    assert installed_models(tmp_path) == []

    server.drop_after = None
    path = download(pinned(data), tmp_path, base_url=server.url)
    assert server.range_requests == ["bytes=100000-"]  # continued, not restarted
    assert looks_like_model(path)
    assert (path / "am" / "final.mdl").read_bytes() == zipfile.ZipFile(io.BytesIO(data)).read(
        f"{SMALL.name}/am/final.mdl")
    assert leftovers(tmp_path) == []


def test_server_that_ignores_range_restarts_the_file(server, tmp_path):
    data = model_archive()
    serve(server, data)
    downloads = tmp_path / ".downloads"
    downloads.mkdir(parents=True)
    (downloads / f"{SMALL.archive}.part").write_bytes(b"garbage from another attempt")

    original = server.httpd.RequestHandlerClass.do_GET

    def full_body(handler):  # the server answers 200 with the full body whatever Range says
        del handler.headers["Range"]
        original(handler)

    server.httpd.RequestHandlerClass.do_GET = full_body
    assert looks_like_model(download(pinned(data), tmp_path, base_url=server.url))


def test_unpinned_model_needs_an_explicit_choice(server, tmp_path):
    data = model_archive()
    serve(server, data)
    unpinned_spec = replace(SMALL, sha256=None, size=len(data))
    with pytest.raises(ModelError, match="--sha256"):
        download(unpinned_spec, tmp_path, base_url=server.url)
    with pytest.raises(ChecksumMismatch, match="bytes, expected"):
        download(replace(unpinned_spec, size=len(data) + 1), tmp_path, base_url=server.url, unpinned=True)
    path = download(unpinned_spec, tmp_path, base_url=server.url, unpinned=True)
    assert json.loads((path / SOURCE_FILE).read_text())["pinned"] is False


def test_checksum_given_on_the_command_line_wins(server, tmp_path):
    data = model_archive()
    serve(server, data)
    wrong_table = replace(SMALL, sha256="0" * 64)
    path = download(wrong_table, tmp_path, base_url=server.url, sha256=hashlib.sha256(data).hexdigest())
    assert looks_like_model(path)


def test_archive_with_unsafe_paths_is_refused(server, tmp_path):
    data = model_archive(extra={"../escaped.txt": b"x"})
    serve(server, data)
    with pytest.raises(ModelError, match="unsafe path"):
        download(pinned(data), tmp_path / "models", base_url=server.url)
    assert not (tmp_path / "escaped.txt").exists()
    assert installed_models(tmp_path / "models") == []


def test_archive_without_a_model_is_refused(server, tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("something/else.txt", b"not a model")
    serve(server, out.getvalue())
    with pytest.raises(ModelError, match="holds no Vosk model"):
        download(pinned(out.getvalue()), tmp_path, base_url=server.url)
    assert installed_models(tmp_path) == [] and leftovers(tmp_path) == []


def test_http_error_is_clear(server, tmp_path):
    with pytest.raises(ModelError, match="HTTP 404"):
        download(pinned(b"x"), tmp_path, base_url=server.url)


def fake_model(root: Path, name: str, *, hclg: bool = False, rate: int | None = None) -> Path:
    path = root / name
    (path / "am").mkdir(parents=True)
    (path / "am" / "final.mdl").write_bytes(b"m")
    (path / "conf").mkdir()
    (path / "conf" / "model.conf").write_text("--beam=10\n")
    mfcc = f"--sample-frequency={rate}\n" if rate else "--use-energy=false\n"
    (path / "conf" / "mfcc.conf").write_text(mfcc)
    (path / "graph").mkdir()
    for f in ("HCLG.fst",) if hclg else ("HCLr.fst", "Gr.fst"):
        (path / "graph" / f).write_bytes(b"g")
    return path


def test_model_properties_from_its_files(tmp_path):
    assert model_sample_rate(fake_model(tmp_path, "a", rate=8000)) == 8000
    assert model_sample_rate(fake_model(tmp_path, "b")) == 16000  # Kaldi's default when unset
    assert model_supports_grammars(fake_model(tmp_path, "c"))
    assert not model_supports_grammars(fake_model(tmp_path, "d", hclg=True))


def test_find_model_prefers_the_small_russian_model(tmp_path):
    assert find_model(tmp_path) is None
    fake_model(tmp_path, "vosk-model-ru-0.42", hclg=True)
    fake_model(tmp_path, "aaa-other-model")
    fake_model(tmp_path, SMALL.name)
    (tmp_path / "not-a-model").mkdir()
    names = [m.name for m in installed_models(tmp_path)]
    assert names == [SMALL.name, "vosk-model-ru-0.42", "aaa-other-model"]
    assert find_model(tmp_path) == tmp_path / SMALL.name
    assert find_model(tmp_path, "aaa-other-model") == tmp_path / "aaa-other-model"
    assert find_model(tmp_path, "ru-big") == tmp_path / "vosk-model-ru-0.42"
    elsewhere = fake_model(tmp_path / "x", "mine")
    assert find_model(tmp_path, str(elsewhere)) == elsewhere
    with pytest.raises(ModelError, match="not found"):
        find_model(tmp_path, "vosk-model-missing")


def test_cli_download_and_list(server, tmp_path, monkeypatch, capsys):
    data = model_archive()
    serve(server, data)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_MODEL_BASE_URL", server.url)
    monkeypatch.delenv("HOTLINE_MODELS_DIR", raising=False)
    monkeypatch.delenv("HOTLINE_VOSK_MODEL", raising=False)

    assert cli.main(["models", "list"]) == 0
    assert NO_MODEL_MESSAGE in capsys.readouterr().out

    assert cli.main(["models", "download", "ru-small", "--sha256", "f" * 64, "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "error: SHA-256 mismatch" in err and "Traceback" not in err

    sha = hashlib.sha256(data).hexdigest()
    assert cli.main(["models", "download", "ru-small", "--sha256", sha]) == 0
    assert f"installed {SMALL.name}" in capsys.readouterr().out

    assert cli.main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert SMALL.name in out and "16000 Hz" in out and sha[:16] in out
    assert NO_MODEL_MESSAGE not in out
