"""Hybrid search through the public API on real files."""

from __future__ import annotations

from pathlib import Path

import pytest

import knowme
from knowme.retrieve.query import count_tokens, query_terms
from knowme.retrieve.search import rrf
from tests.samples import write_life


@pytest.fixture
def filled(vault: knowme.Vault, tmp_path: Path) -> knowme.Vault:
    vault.ingest(list(write_life(tmp_path / "life").values()))
    return vault


def test_hits_carry_source_native_refs_and_fields(filled: knowme.Vault) -> None:
    hits = filled.search("offsite slides before Friday", k=3)
    top = hits[0]
    assert top.ref == "mail:offsite-1@example.org"
    assert top.kind == "email" and top.source.startswith("mbox:")
    assert top.timestamp is not None and top.timestamp.year == 2025
    assert "slides" in top.text and top.score > 0
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_meaning_finds_what_words_miss(filled: knowme.Vault) -> None:
    # no word in common with "Dentist appointment with Dr. Okafor"
    hits = filled.search("teeth check-up", k=2, preset="dense")
    assert hits[0].ref == "cal:dentist-42@example.org"
    assert filled.search("teeth check-up", k=3)[0].ref == "cal:dentist-42@example.org"


def test_words_find_rare_names(filled: knowme.Vault) -> None:
    assert filled.search("Matosinhos", k=1, preset="bm25")[0].ref == "chat:c1"
    assert filled.search("Núñez flat", k=1)[0].ref == "mail:porto-7@example.org"


def test_as_of_ignores_later_items_but_keeps_undated(filled: knowme.Vault) -> None:
    refs = {h.ref for h in filled.search("Porto flat dentist contact", k=50, as_of="2025-02-28")}
    assert "mail:porto-7@example.org" in refs  # 10 February
    assert "cal:dentist-42@example.org" not in refs  # 12 March
    assert "mail:offsite-1@example.org" not in refs  # 3 March
    assert "vcf:lena-1" in refs  # contacts have no date
    assert all(
        h.timestamp is None or h.timestamp.date().isoformat() <= "2025-02-28"
        for h in filled.search("anything at all", k=50, as_of="2025-02-28")
    )


def test_kind_source_and_range_filters(filled: knowme.Vault) -> None:
    assert {h.kind for h in filled.search("Porto", k=20, kinds=["note", "event"])} <= {"note", "event"}
    assert {h.source.split(":")[0] for h in filled.search("Porto", k=20, sources=["notes:"])} == {"notes"}
    since = filled.search("Porto move flat", k=20, since="2025-04-01")
    assert since and all(h.timestamp and h.timestamp.isoformat() >= "2025-04-01" for h in since)


def test_bad_inputs(filled: knowme.Vault) -> None:
    assert filled.search("   ", k=5) == []
    assert filled.search("Porto", k=0) == []
    with pytest.raises(knowme.ConfigError, match="preset"):
        filled.search("Porto", preset="magic")
    with pytest.raises(knowme.ConfigError, match="not a date"):
        filled.search("Porto", as_of="last Tuesday")
    # FTS syntax in a query is text, not an operator
    assert isinstance(filled.search('"unbalanced AND (NEAR OR * ^', k=3), list)


def test_query_terms_and_token_counts() -> None:
    assert query_terms("When is Lena's birthday?") == ["lena", "birthday"]
    assert query_terms("What is it?") == ["what", "is", "it"]  # only stop words: keep them
    assert query_terms("José Núñez") == ["josé", "núñez"]
    assert count_tokens("Hello, world!") == 4


def test_rrf_rewards_agreement() -> None:
    fused = rrf([[1, 2, 3], [3, 2, 9]], rrf_k=60)
    assert max(fused, key=fused.__getitem__) in (2, 3)
    assert fused[2] > fused[1] and fused[3] > fused[9]


def test_one_hit_per_item(vault: knowme.Vault, tmp_path: Path) -> None:
    """A recurring event's occurrences and a note's sections are one item each: its best passage stands for it, so
    the other hits are other items."""
    (tmp_path / "cal.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:swim@t\r\nDTSTAMP:20250101T000000Z\r\n"
        "DTSTART:20250106T070000Z\r\nDTEND:20250106T080000Z\r\nRRULE:FREQ=WEEKLY;COUNT=6\r\n"
        "SUMMARY:Swimming lessons at the municipal pool\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        encoding="utf-8",
    )
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "Pool.md").write_text(
        "# Pool\n\n## Swimming\nThe municipal pool swimming lessons need a cap.\n\n"
        "## Swimming again\nSwimming lessons at the pool: goggles too.\n",
        encoding="utf-8",
    )
    (notes / "Other.md").write_text("# Other\n\nThe pool in the park is closed for swimming.\n", encoding="utf-8")
    vault.ingest([tmp_path / "cal.ics", notes])
    assert vault.store.counts()["event"] == 6  # six occurrences, one ref
    hits = vault.search("swimming lessons pool", k=3)
    refs = [h.ref for h in hits]
    assert len(refs) == len(set(refs)) == 3
    assert set(refs) == {"cal:swim@t", "note:Pool.md", "note:Other.md"}


def test_a_search_for_ten_is_the_first_ten_of_a_search_for_fifty(
    filled: knowme.Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both read the same candidates, so asking for more hits never reorders the first ones (the evaluation's
    figures, taken from a search for 50, hold for `search(q, k=10)` and for the pack `ask` builds from 40)."""
    asked: list[tuple[str, int]] = []
    for name in ("fts_search", "vector_search"):
        read = getattr(filled.store, name)

        def spy(what: object, depth: int, *args: object, _read=read, _name=name) -> object:  # noqa: ANN001
            asked.append((_name, depth))
            return _read(what, depth, *args)

        monkeypatch.setattr(filled.store, name, spy)
    for query in ("pottery class with Anna", "When is the dentist appointment?", "budget spreadsheet"):
        asked.clear()
        top10 = [h.ref for h in filled.search(query, k=10)]
        depths_for_ten = sorted(asked)
        asked.clear()
        top50 = [h.ref for h in filled.search(query, k=50)]
        assert sorted(asked) == depths_for_ten and depths_for_ten  # the same candidates were read
        assert top10 == top50[:10]
