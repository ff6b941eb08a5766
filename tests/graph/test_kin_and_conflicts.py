"""Facts stated about the author's relations, conflicting claims, forgetting what decided validity, and re-folding.

Written with phrasings unlike the demo generator's and unlike tests/graph/life.py: "Mum is allergic to ...", "my
sister Julia lives in ...", a birthday stated in a note that disagrees with the contact card.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import knowme
from knowme.extract.build import DELIVERIES_META, PENDING_META, update_graph
from knowme.models.graph import USER_ID

ME = """BEGIN:VCARD\r
VERSION:3.0\r
UID:me\r
FN:Clara Sousa\r
EMAIL:clara@home.example\r
item1.X-ABRELATEDNAMES:Helena Sousa\r
item1.X-ABLabel:_$!<Mother>!$_\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:3.0\r
UID:helena\r
FN:Helena Sousa\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:3.0\r
UID:tomas\r
FN:Tomás Reis\r
BDAY:1991-03-04\r
END:VCARD\r
"""

NOTES = {
    "Journal/2025-01-12.md": "# Sunday\n\nMum is allergic to penicillin, the pharmacist double-checked.\n",
    "Journal/2025-02-02.md": "# Family\n\nMy sister Julia lives in Berlin now. My mother's birthday is on 9 June.\n",
    "Journal/2025-02-20.md": "# Tomás\n\nTomás's birthday is on 5 March, we should plan something.\n",
    "Journal/2025-03-01.md": "# Home\n\nI live in Lisbon, near the river.\n",
    "Journal/2025-06-15.md": "# Moving\n\nWe moved to Porto on 14 June. Julia has moved to Hamburg.\n",
}


@pytest.fixture
def vault(home: Path) -> Iterator[knowme.Vault]:
    """Clara's vault: she says who she is in the configuration (there is no sent mail to learn it from)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('[user]\nname = "Clara Sousa"\nemails = ["clara@home.example"]\n')
    v = knowme.open(home)
    try:
        yield v
    finally:
        v.close()


def _write(root: Path) -> Path:
    for name, text in NOTES.items():
        path = root / "notes" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "people.vcf").write_text(ME, encoding="utf-8")
    return root


def _ids(vault: knowme.Vault) -> dict[str, str]:
    return {e.name: e.id for e in vault.store.graph().entities()}


def _values(vault: knowme.Vault, subject: str, predicate: str) -> list[str | None]:
    return [f.object_value for f in vault.store.graph().facts(subject_id=subject, predicate=predicate)]


def test_claims_about_my_mother_wait_until_the_graph_knows_her(vault: knowme.Vault, tmp_path: Path) -> None:
    root = _write(tmp_path / "life")
    vault.ingest([root / "notes"])  # nobody is known as "mother" yet
    pending = json.loads(vault.store.get_meta(PENDING_META) or "[]")
    assert {p["claim"]["predicate"] for p in pending} >= {"allergy", "birthday"}
    assert not [f for f in vault.store.graph().facts(predicate="allergy")]  # not pinned on anybody by a guess
    vault.ingest([root / "people.vcf"])  # the card says Helena is the mother
    helena = _ids(vault)["Helena Sousa"]
    assert _values(vault, helena, "allergy") == ["penicillin"]
    assert _values(vault, helena, "birthday") == ["--06-09"]
    allergy = vault.store.graph().facts(subject_id=helena, predicate="allergy")[0]
    assert allergy.attributes["via"] == "mother"
    assert [s.ref for s in vault.store.graph().sources("fact", allergy.id)] == ["note:Journal/2025-01-12.md"]
    assert json.loads(vault.store.get_meta(PENDING_META) or "[]") == []
    answer = vault.ask("Is my mum allergic to anything?", as_of="2025-07-01")
    assert answer.backend == "graph" and "penicillin" in answer.text
    assert "note:Journal/2025-01-12.md" in answer.citations
    birthday = vault.ask("When is Mum's birthday?", as_of="2025-07-01")
    assert birthday.backend == "graph" and "June" in birthday.text


def test_where_someone_else_lives_changes_over_time(vault: knowme.Vault, tmp_path: Path) -> None:
    root = _write(tmp_path / "life")
    vault.ingest([root / "people.vcf", root / "notes"])
    julia = _ids(vault)["Julia"]
    assert {f.object_id for f in vault.store.graph().facts(subject_id=USER_ID, predicate="sister")} == {julia}
    names = {e.id: e.name for e in vault.store.graph().entities()}
    lives = {names[f.object_id or ""]: f for f in vault.store.graph().facts(subject_id=julia, predicate="lives_in")}
    assert lives["Berlin"].valid_from == "2025-02-02" and lives["Berlin"].valid_to == "2025-06-15"
    assert lives["Hamburg"].valid_from == "2025-06-15" and lives["Hamburg"].valid_to is None
    then = vault.ask("Where did Julia live in March 2025?", as_of="2025-12-01")
    now = vault.ask("Where does Julia live?", as_of="2025-12-01")
    assert "Berlin" in then.text and "Hamburg" in now.text


def test_conflicting_birthdays_are_kept_and_the_card_stands(vault: knowme.Vault, tmp_path: Path) -> None:
    root = _write(tmp_path / "life")
    vault.ingest([root / "notes", root / "people.vcf"])
    tomas = _ids(vault)["Tomás Reis"]
    facts = {f.object_value: f for f in vault.store.graph().facts(subject_id=tomas, predicate="birthday")}
    assert set(facts) == {"1991-03-04", "--03-05"}  # both claims kept, with their sources
    card, note = facts["1991-03-04"], facts["--03-05"]
    assert card.invalidated_at is None
    assert note.invalidated_at is not None and note.attributes["superseded_by"] == card.id
    answer = vault.ask("When is Tomás's birthday?", as_of="2025-07-01")
    assert "4 March" in answer.text or "March 4" in answer.text
    shown = {f.value: f for f in vault.facts(about="Tomás Reis") if f.predicate == "birthday"}
    assert shown["--03-05"].superseded_by == "1991-03-04" and shown["1991-03-04"].invalidated_at is None
    assert "--03-05" not in {f.value for f in vault.facts(as_of="2025-07-01", about="Tomás Reis")}
    # forget the card: the note's claim is all that is left, and it stands again
    vault.forget(ref="vcf:tomas")
    left = vault.store.graph().facts(subject_id=tomas, predicate="birthday")
    assert [(f.object_value, f.invalidated_at) for f in left] == [("--03-05", None)]
    assert "superseded_by" not in left[0].attributes


def test_forgetting_the_move_reopens_where_i_lived(vault: knowme.Vault, tmp_path: Path) -> None:
    root = _write(tmp_path / "life")
    vault.ingest([root / "people.vcf", root / "notes"])
    names = {e.id: e.name for e in vault.store.graph().entities()}
    lived = {names[f.object_id or ""]: f for f in vault.store.graph().facts(subject_id=USER_ID, predicate="lives_in")}
    assert lived["Lisbon"].valid_to == "2025-06-14"
    vault.forget(ref="note:Journal/2025-06-15.md")
    lived = {names[f.object_id or ""]: f for f in vault.store.graph().facts(subject_id=USER_ID, predicate="lives_in")}
    assert set(lived) == {"Lisbon"} and lived["Lisbon"].valid_to is None
    assert "Lisbon" in vault.ask("Where do I live?", as_of="2025-12-01").text


def test_folding_the_same_records_again_changes_nothing(home: Path, tmp_path: Path) -> None:
    from tests.graph.life import write_life

    root = _write(tmp_path / "life")
    marta = write_life(tmp_path / "marta")  # mail with promises made and delivered
    vault = knowme.open(home)
    vault.ingest([marta / "contacts.vcf", marta / "mail.mbox", marta / "notes", root / "notes"])
    graph = vault.store.graph()

    def snapshot() -> tuple[object, ...]:
        facts = sorted(
            (f.id, f.subject_id, f.predicate, f.object_id, f.object_value, f.valid_from, f.valid_to,
             f.invalidated_at, f.attributes.get("superseded_by"), f.recorded_at)
            for f in graph.facts()
        )  # fmt: skip
        commitments = sorted((c.id, c.status, c.done_at, c.due) for c in graph.commitments())
        entities = sorted((e.id, e.name, e.type) for e in graph.entities())
        aliases = sorted((a.entity_id, a.alias) for a in graph.aliases())
        deliveries = json.loads(vault.store.get_meta(DELIVERIES_META) or "[]")
        return facts, commitments, entities, aliases, sorted(d["record_id"] for d in deliveries)

    before = snapshot()
    assert any(c[1] == "done" for c in before[1])  # a delivered promise is part of what must survive
    time.sleep(1.1)  # timestamps are to the second: one made afresh would differ
    update_graph(vault.store, list(vault.store.iter_records()), vault.settings)
    after = snapshot()
    vault.close()
    for part, (old, new) in enumerate(zip(before, after, strict=True)):
        assert new == old, (part, set(map(str, old)) ^ set(map(str, new)))


def test_mail_between_two_people_only_does_not_guess_the_owner(home: Path, tmp_path: Path) -> None:
    import mailbox
    from email.message import EmailMessage

    box = mailbox.mbox(str(tmp_path / "sent.mbox"))
    for i in range(6):
        msg = EmailMessage()
        msg["From"] = "Ana Lima <ana@home.example>"
        msg["To"] = "Tom Becker <tom@work.example>"
        msg["Subject"] = f"Note {i}"
        msg["Message-ID"] = f"<n{i}@home.example>"
        msg["Date"] = f"Mon, {i + 1:02d} Sep 2025 10:00:00 +0000"
        msg.set_content(f"Thanks for the chat number {i}.")
        box.add(msg)
    box.close()
    vault = knowme.open(home)
    try:
        vault.ingest([tmp_path / "sent.mbox"])
        aliases = {a.alias for a in vault.store.graph().aliases(USER_ID)}
        assert "tom@work.example" not in aliases and "ana@home.example" not in aliases  # a tie decides nothing
    finally:
        vault.close()
