"""``knowme demo``: a sample life, written in real formats, ingested into a fresh encrypted vault and questioned.

Everything runs offline on the embedded default. The demo vault lives in its own folder (``<data folder>/demo``)
and uses the passphrase in ``KNOWME_PASSPHRASE``, or the fixed demo passphrase below: it holds sample data only.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from knowme.config import environment, user_dir
from knowme.errors import BackendError
from knowme.interfaces.console import print_answer, print_report, progress
from knowme.store.keys import KEY_FILE
from knowme.store.sqlcipher import BACKUP_DIR, VAULT_FILE

DEMO_PASSPHRASE = "knowme-demo"  # noqa: S105 - sample data only, printed to the user
LIFE_DIR = "sample-life"


def _wipe(home: Path) -> None:
    for name in (VAULT_FILE, f"{VAULT_FILE}-wal", f"{VAULT_FILE}-shm", KEY_FILE):
        (home / name).unlink(missing_ok=True)
    for folder in (home / LIFE_DIR, home / BACKUP_DIR):
        if folder.exists():
            shutil.rmtree(folder)


def run_demo(*, home: Path | None, backend: str, fresh: bool, console: Console) -> int:
    import knowme
    from knowme.demo.generator import generate_life, ingest_targets

    demo_home = Path(home) if home else user_dir() / "demo"
    demo_home.mkdir(parents=True, exist_ok=True)
    if fresh:
        _wipe(demo_home)
    own = environment().passphrase
    passphrase = own or DEMO_PASSPHRASE
    # the user's own passphrase is never shown (it may open a real vault); only the sample one is
    which = "the one in KNOWME_PASSPHRASE" if own else f"{DEMO_PASSPHRASE!r} (sample data only; set KNOWME_PASSPHRASE)"
    life = demo_home / LIFE_DIR
    manifest = generate_life(life)
    console.print(
        f"[bold]knowme demo[/bold]: a year in the life of {manifest.owner_name} written to {life}\n"
        f"Vault: {demo_home / VAULT_FILE} (encrypted; passphrase: {which})",
        highlight=False,
    )
    with knowme.open(demo_home, passphrase) as vault:
        with progress(True) as hook:
            report = vault.ingest(ingest_targets(life, list(manifest.files)), progress=hook)
        print_report(report, console)

        console.rule("What knowme learned")
        people: Counter[str] = Counter()
        stamps = []
        owner = {manifest.owner_name.lower(), manifest.owner_email.lower()}
        owner.update(alias.lower() for alias in manifest.owner_aliases)
        for record in vault.store.iter_records():
            if record.timestamp:
                stamps.append(record.timestamp)
            for person in {record.author, *record.participants} - {None, "me", "ChatGPT"}:
                if not any(mark in str(person).lower() for mark in owner):
                    people[str(person)] += 1
        stats = vault.stats()
        console.print(
            f"{sum(stats['records'].values())} items, {stats['chunks']} passages, "  # type: ignore[attr-defined]
            f"from {min(stamps):%d %b %Y} to {max(stamps):%d %b %Y}"
            if stamps
            else ""
        )
        table = Table(title="People you hear from most", show_edge=False)
        table.add_column("person")
        table.add_column("items", justify="right")
        for person, n in people.most_common(8):
            table.add_row(person, str(n))
        console.print(table)

        console.rule("Questions")
        if backend:
            vault.choose_backend(backend)
        found = 0
        for q in manifest.questions:
            console.print(f"\n[bold cyan]Q: {q.question}[/bold cyan]")
            try:
                result = vault.ask(q.question)
            except BackendError as exc:
                console.print(f"[yellow]the {backend} model failed ({exc}); answering extractively[/yellow]")
                vault.choose_backend("extractive")
                result = vault.ask(q.question)
            print_answer(result, console)
            shown = set(result.citations) | {h.ref for h in result.evidence[:5]}
            ok = bool(set(q.expected_refs) & shown)
            found += ok
            mark = "[green]✓ the right source is cited[/green]" if ok else "[red]✗ expected source not shown[/red]"
            console.print(f"{mark} (expected {', '.join(q.expected_refs)})", highlight=False)
        console.rule()
        console.print(f"{found}/{len(manifest.questions)} questions answered from the right source.")
    return found
