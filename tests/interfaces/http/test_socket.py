"""The server over a real socket (uvicorn on 127.0.0.1, a random port) and the ``serve``/``token`` commands."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import knowme
from knowme.errors import ConfigError
from knowme.interfaces.cli import main
from knowme.interfaces.http.full import build_app
from knowme.interfaces.http.run import check_bind, is_loopback
from tests.interfaces.http.conftest import auth


def test_over_a_real_socket(server_vault: knowme.Vault, token: str, serve_on_socket: object) -> None:
    running = serve_on_socket(build_app(server_vault))  # type: ignore[operator]
    with httpx.Client(base_url=running.url, timeout=30) as http:
        assert http.get("/api/search", params={"q": "Porto"}).status_code == 401
        hits = http.get("/api/search", params={"q": "Rua das Flores"}, headers=auth(token)).json()["hits"]
        assert hits[0]["ref"] == "mail:porto-7@example.org"
        with http.stream(
            "POST", "/api/ask/stream", json={"question": "rent of the Porto flat?"}, headers=auth(token)
        ) as r:
            body = "".join(r.iter_text())
        assert body.startswith("event: evidence") and "event: done" in body and "950" in body


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_tls(host: str) -> None:
    assert is_loopback(host) and check_bind(host, None, None) is False


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.org", "::"])
def test_other_addresses_need_tls(host: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="without TLS"):
        check_bind(host, None, None)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("x")
    key.write_text("y")
    assert check_bind(host, cert, key) is True
    with pytest.raises(ConfigError, match="both"):
        check_bind(host, cert, None)
    with pytest.raises(ConfigError, match="not found"):
        check_bind(host, cert, tmp_path / "missing.pem")


def test_serve_refuses_a_public_address_in_one_line(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--host", "0.0.0.0", "--port", "9"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "refusing to listen on 0.0.0.0 without TLS" in err and "Traceback" not in err


def test_token_command_prints_a_working_token(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["init"])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["token"])
    captured = capsys.readouterr()
    printed = captured.out.strip()
    assert exit_info.value.code == 0 and printed.startswith("km_") and "Bearer" in captured.err
    with knowme.open(home) as vault:
        assert vault.store.get_meta("server.token_sha256") not in (None, printed)
        from knowme.interfaces.http.auth import LocalTokenAuthorizer

        assert LocalTokenAuthorizer(vault.store).authenticate(printed).client == "owner"
