"""Real servers on 127.0.0.1 for the live source tests: Dovecot (IMAP) and Radicale (CalDAV/CardDAV).

Each is started as a subprocess with its own configuration in a temporary folder, waited for until it accepts
connections, and stopped (terminate, then kill) when the test ends. Dovecot's mail lives in a Maildir the test can
fill directly; when the tests run as root, Dovecot's login and mail processes run as its own unprivileged users.
"""

from __future__ import annotations

import getpass
import grp
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port} within {timeout} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


class Dovecot:
    """Dovecot serving IMAP on 127.0.0.1 for one user whose mail is the Maildir :attr:`maildir`."""

    def __init__(
        self, root: Path, *, user: str = "sam", password: str = "s3cret-pass", tls: tuple[Path, Path] | None = None
    ) -> None:
        """``tls`` (certificate, key): offer STARTTLS and refuse any login before it."""
        self.root = root
        self.user = user
        self.password = password
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        root.mkdir(parents=True, exist_ok=True)
        (root / "state").mkdir(exist_ok=True)
        # Unix socket paths are limited to 107 bytes: the run folder lives under a short name in /tmp
        self.run_dir = Path(tempfile.mkdtemp(prefix="km-dv-", dir="/tmp"))
        # as root, the mail processes run as Dovecot's user, who cannot enter pytest's private (0700) folders
        self.mail_root = Path(tempfile.mkdtemp(prefix="knowme-dovecot-")) if os.geteuid() == 0 else root / "mail"
        self.maildir = self.mail_root / user
        for sub in ("cur", "new", "tmp"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        me = getpass.getuser()
        if os.geteuid() == 0:
            login, internal, group, mail_user = "dovenull", "dovecot", "dovecot", "dovecot"
        else:
            login = internal = mail_user = me
            group = grp.getgrgid(os.getegid()).gr_name
        self.mail_uid = pwd.getpwnam(mail_user).pw_uid
        self.mail_gid = pwd.getpwnam(mail_user).pw_gid
        self.mail_root.mkdir(parents=True, exist_ok=True)
        (root / "passwd").write_text(f"{user}:{{PLAIN}}{password}\n", encoding="utf-8")
        ssl = "ssl = no\ndisable_plaintext_auth = no"
        if tls is not None:
            ssl = f"ssl = yes\nssl_cert = <{tls[0]}\nssl_key = <{tls[1]}\ndisable_plaintext_auth = yes"
        (root / "dovecot.conf").write_text(
            f"""
base_dir = {self.run_dir}
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{self.mail_root}/%u
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service auth {{
  user = {me}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={self.mail_uid} gid={self.mail_gid} home={self.mail_root}/%u
}}
""",
            encoding="utf-8",
        )

    def fix_owner(self) -> None:
        """Give the files a test wrote into the Maildir to the mail user (when running as root)."""
        if os.geteuid() == 0:
            for folder, _, files in os.walk(self.mail_root):
                os.chown(folder, self.mail_uid, self.mail_gid)
                for name in files:
                    os.chown(os.path.join(folder, name), self.mail_uid, self.mail_gid)

    def start(self) -> Dovecot:
        self.fix_owner()
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        self.proc = subprocess.Popen([binary, "-F", "-c", str(self.root / "dovecot.conf")])
        wait_for_port(self.port, self.proc)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None
        if self.mail_root.parent != self.root:
            shutil.rmtree(self.mail_root, ignore_errors=True)
        shutil.rmtree(self.run_dir, ignore_errors=True)

    @property
    def uri(self) -> str:
        return f"imap://127.0.0.1:{self.port}/INBOX"


class Radicale:
    """Radicale serving CalDAV and CardDAV on 127.0.0.1 with one htpasswd user."""

    def __init__(self, root: Path, *, user: str = "sam", password: str = "dav-pass") -> None:
        self.root = root
        self.user = user
        self.password = password
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        root.mkdir(parents=True, exist_ok=True)
        (root / "users").write_text(f"{user}:{password}\n", encoding="utf-8")
        (root / "config").write_text(
            f"""
[server]
hosts = 127.0.0.1:{self.port}
[auth]
type = htpasswd
htpasswd_filename = {root}/users
htpasswd_encryption = plain
[storage]
filesystem_folder = {root}/collections
[logging]
level = warning
""",
            encoding="utf-8",
        )

    def start(self) -> Radicale:
        self.proc = subprocess.Popen([sys.executable, "-m", "radicale", "--config", str(self.root / "config")])
        wait_for_port(self.port, self.proc)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def self_signed(folder: Path, name: str = "knowme-test") -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key (so it is its own CA), and the key, as PEM files."""
    from datetime import UTC, datetime, timedelta
    from ipaddress import ip_address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    key_path.chmod(0o644)  # Dovecot's master reads it before it drops privileges; a test key
    return cert_path, key_path
