"""The steps a queued ingest is made of, run twice: the second run must leave the vault as the first left it."""

from __future__ import annotations

from pathlib import Path

import knowme
from knowme.ingest.jobs import steps
from tests.samples import write_life


def graph_state(vault: knowme.Vault) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[object]]:
    graph = vault.store.graph()
    facts = sorted(
        (f.id, f.subject_id, f.predicate, f.object_id, f.object_value, f.valid_from, f.valid_to, f.invalidated_at)
        for f in graph.facts()
    )
    entities = sorted((e.id, e.type, e.name) for e in graph.entities())
    return facts, entities, sorted(c.id for c in graph.commitments())


def test_each_step_run_again_changes_nothing(vault: knowme.Vault, tmp_path: Path) -> None:
    paths = [str(p) for p in write_life(tmp_path / "life").values()]
    ctx = steps.Context(vault.store, vault.embedder, vault.settings)
    batches, problems, skipped = steps.plan(ctx, paths)
    assert len(batches) >= 5 and len(problems) == 1 and not skipped  # the sample mailbox's one broken message
    saved: dict[int, dict[str, object]] = {}
    for n, (ci, b) in enumerate(batches):
        records = steps.batch_records(ctx, paths, ci, b)
        first = steps.store_batch(ctx, records, include_forgotten=False, save=lambda o, n=n: saved.setdefault(n, o))
        assert first["graph"] == [r.id for r in records]  # all new
        # the store step again (a retry after its commit): nothing is new, but the first outcome is kept
        again = steps.store_batch(ctx, records, include_forgotten=False, save=lambda o, n=n: saved.setdefault(n, o))
        assert again == first
    stored = sorted((r.id, r.content_hash) for r in vault.store.iter_records())
    assert len(stored) == sum(len(o["graph"]) for o in saved.values())  # type: ignore[arg-type]
    for n, (ci, b) in enumerate(batches):
        wanted = set(saved[n]["graph"])  # type: ignore[arg-type]
        records = [r for r in steps.batch_records(ctx, paths, ci, b) if r.id in wanted]
        steps.graph_batch(ctx, records, f"job1:{n}")
    once = graph_state(vault)
    assert once[0] and once[1]
    for n, (ci, b) in enumerate(batches):  # every graph step again, as after a crash following each commit
        wanted = set(saved[n]["graph"])  # type: ignore[arg-type]
        steps.graph_batch(ctx, [r for r in steps.batch_records(ctx, paths, ci, b) if r.id in wanted], f"job1:{n}")
    assert graph_state(vault) == once
    assert sorted((r.id, r.content_hash) for r in vault.store.iter_records()) == stored
