"""TLS end to end: ``knowme serve --host 0.0.0.0 --tls-cert --tls-key`` in its own process, with a self-signed
certificate made here, called with httpx verifying against exactly that certificate."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from knowme.interfaces.http.auth import issue_token
from tests.conftest import PASSPHRASE
from tests.interfaces.http.conftest import auth, free_port, make_vault

ROOT = Path(__file__).resolve().parents[2]


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1, valid for a day, and its private key (PEM files)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "knowme test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """(https url on 127.0.0.1, token, certificate) of a real ``knowme serve`` listening on 0.0.0.0 with TLS."""
    root = tmp_path_factory.mktemp("tls")
    vault = make_vault(root)
    token = issue_token(vault.store)
    home = vault.home
    vault.close()
    cert, key = self_signed(root)
    port = free_port()
    env = {**os.environ, "KNOWME_PASSPHRASE": PASSPHRASE, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "knowme.interfaces.cli", "serve", "--home", str(home)]
    command += ["--host", "0.0.0.0", "--port", str(port), "--tls-cert", str(cert), "--tls-key", str(key)]
    log = root / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"https://127.0.0.1:{port}"
    verify = ssl.create_default_context(cafile=str(cert))
    try:
        deadline = time.monotonic() + 240
        while True:
            assert server.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/healthz", verify=verify, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"knowme serve did not start:\n{log.read_text()}"
            time.sleep(0.3)
        yield url, token, cert
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert f"https://0.0.0.0:{port}" in log.read_text()  # it told the user where it listens, with https


def test_https_verified_against_the_certificate(tls_server: tuple[str, str, Path]) -> None:
    url, token, cert = tls_server
    verify = ssl.create_default_context(cafile=str(cert))
    with httpx.Client(base_url=url, verify=verify, timeout=60) as http:
        assert http.get("/api/search", params={"q": "Porto"}).status_code == 401
        hits = http.get("/api/search", params={"q": "Rua das Flores"}, headers=auth(token)).json()["hits"]
        assert hits[0]["ref"] == "mail:porto-7@example.org"
        people = http.get("/api/people", headers=auth(token)).json()["people"]
        assert people[0]["id"] == "user"


def test_no_clear_text_and_no_unknown_certificate(tls_server: tuple[str, str, Path]) -> None:
    url, token, _ = tls_server
    with pytest.raises(httpx.TransportError):  # plain HTTP on the TLS port gets no answer
        httpx.get(url.replace("https://", "http://") + "/healthz", timeout=10)
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):  # the system's CAs do not know it
        httpx.get(f"{url}/healthz", timeout=10)
