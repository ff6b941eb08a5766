"""The voice model on a real vault and the real bundled SmolLM2 (tiny budgets: a few steps of short sequences).

Covers: the training set (quotes, "On ... wrote:" and signatures gone), the too-little-text refusal, loss falling on
a repeated text, resume continuing from the saved step, artifacts encrypted in the vault (no adapter bytes in any
plain file under KNOWME_HOME), the export loading in stock transformers + peft with the same logits as the in-vault
adapter, SISA (forget marks exactly the shard that saw the record stale, the manifest loses its hash, the retrain
touches only that shard), and the CLI.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import knowme
from knowme.errors import LearnError
from knowme.interfaces.cli import main
from knowme.learn.artifacts import ADAPTER, load_state
from knowme.learn.corpus import clean_mail, training_texts
from knowme.learn.model import AdapterState, base_model_dir, load_base
from knowme.learn.sisa import Manifest, checkpoint_name, progress_name
from knowme.learn.trainer import TrainSettings, train_adapter
from knowme.learn.voice import adapted_model, load_manifest
from tests.conftest import PASSPHRASE
from tests.learn.life import write_life

TINY = TrainSettings(batch_size=2, seq_tokens=24)
FAST = {"settings": TINY, "epochs": 0.25, "nice": False, "slices": 2}


def test_clean_mail_keeps_only_the_users_words() -> None:
    text = "Sure, Friday works.\n\n> Can you do Friday?\n\nOn Mon, 3 Mar 2025, Ivo wrote:\n> old text\n-- \nNora"
    assert clean_mail(text) == "Sure, Friday works."
    assert clean_mail("Line one\n> quoted\nLine two\n-- \nsig") == "Line one\nLine two"


def test_shards_are_disjoint_balanced_by_work_and_records_never_move() -> None:
    hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(41)]
    weights = {h: 1 + (i % 7) * 3 for i, h in enumerate(hashes)}  # short chats and long emails
    manifest = Manifest.new("lora", 4, 2, {}, "average")
    assert manifest.place(hashes[:30], weights) == 30
    before = {h: s.index for s in manifest.shards for h in s.records}
    assert manifest.place(hashes, weights) == 11
    placed = [h for s in manifest.shards for h in s.records]
    assert sorted(placed) == sorted(hashes) and len(placed) == len(set(placed))  # disjoint, every record once
    assert all(h in manifest.shards[k].records for h, k in before.items())  # placed records stay where they were
    work = [sum(weights[h] for h in s.records) for s in manifest.shards]
    assert max(work) - min(work) <= max(weights.values())  # no shard carries much more than 1/K of the work
    assert abs(max(work) / sum(work) - 0.25) < 0.05


def test_manifest_forget_rolls_back_only_the_shard_and_slice_that_saw_it() -> None:
    hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(40)]
    manifest = Manifest.new("lora", 4, 2, {}, "average")
    assert manifest.place(hashes) == 40
    assert sorted(h for s in manifest.shards for h in s.records) == sorted(hashes)
    for shard in manifest.shards:
        assert len(shard.records) == 10  # equal work without weights: equal counts
        shard.trained = len(shard.slices)
    victim = manifest.shards[1].slices[1][0]
    assert manifest.forget([victim]) == [1]
    assert [s.stale for s in manifest.shards] == [False, True, False, False]
    assert manifest.shards[1].trained == 1  # resumes from the checkpoint of slice 0
    assert victim not in manifest.shards[1].records
    assert victim not in manifest.trained_hashes()
    early = manifest.shards[2].slices[0][0]
    manifest.forget([early])
    assert manifest.shards[2].trained == 0  # seen in slice 0: retrain the shard from scratch


def test_too_little_text_is_refused_with_the_amounts(
    vault: knowme.Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = tmp_path / "life"
    write_life(box)
    (box / "mail.mbox").unlink()
    vault.ingest(box)
    with pytest.raises(LearnError, match=r"0 words in 0 .* at least 400 needed"):
        vault.learn_voice(**FAST)
    vault.close()
    with pytest.raises(SystemExit) as exit_:
        main(["learn", "voice", "--max-steps", "1", "--max-minutes", "1", "--method", "lora", "--fresh"])
    assert exit_.value.code == 9 and "at least 400 needed" in capsys.readouterr().err


def test_loss_falls_on_a_repeated_text() -> None:
    text = ["Thanks Ivo, I'll bring the budget charts on Thursday and we can go through them over coffee."]
    state = train_adapter(text * 2, base=load_base(), settings=TINY, max_steps=6)
    assert state.step == 6 and len(state.losses) == 6
    assert state.losses[-1] < state.losses[0] * 0.8
    again = AdapterState.from_bytes(state.to_bytes())
    assert again.step == 6 and again.optimizer is not None and set(again.weights) == set(state.weights)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A vault with Nora's mail and a fully trained 2-shard voice adapter (module-wide: training is the slow part)."""
    root = tmp_path_factory.mktemp("learn")
    home, life = root / "home", write_life(root / "life")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KNOWME_HOME", str(home))
        patch.setenv("KNOWME_PASSPHRASE", PASSPHRASE)
        with knowme.open(home, PASSPHRASE) as v:
            v.ingest(life)
            report = v.learn_voice(shards=2, **FAST)
            assert report.complete and report.steps > 0 and set(report.trained_shards) == {0, 1}
        yield home, life


def _open(home: Path) -> knowme.Vault:
    return knowme.open(home, PASSPHRASE)


def test_training_set_is_the_users_own_words(trained: tuple[Path, Path]) -> None:
    with _open(trained[0]) as v:
        texts = training_texts(v.store)
    assert len(texts) == 12 and all(t.kind == "email" for t in texts)
    assert all("Thanks for asking" in t.text for t in texts)
    assert not any(">" in t.text or "wrote:" in t.text or "Nora Vidal" in t.text for t in texts)


def test_status_lists_shards_and_proves_nothing_forgotten_in_use(trained: tuple[Path, Path]) -> None:
    with _open(trained[0]) as v:
        status = v.learn_status()
        manifest = load_manifest(v.store)
    assert status.method == "lora" and len(status.shards) == 2
    assert set(status.in_use) == {0, 1} and status.clean and status.adapter_parameters > 0
    assert manifest is not None and status.checked_hashes == len(manifest.trained_hashes()) == 12


def test_adapter_bytes_are_only_inside_the_encrypted_vault(trained: tuple[Path, Path]) -> None:
    with _open(trained[0]) as v:
        state = load_state(v.store, ADAPTER)
    assert state is not None
    probe = next(t for k, t in state.weights.items() if "lora_B" in k).flatten()[:16].numpy().tobytes()
    assert probe.strip(b"\0"), "the probe must be real weights, not zeros"
    plain = [p for p in trained[0].rglob("*") if p.is_file() and probe in p.read_bytes()]
    assert plain == []


def test_export_loads_in_stock_peft_with_the_same_logits(trained: tuple[Path, Path], tmp_path: Path) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path / "adapter"
    assert main_ok(["learn", "export-adapter", str(out), "--home", str(trained[0])])
    assert sorted(p.name for p in out.iterdir()) == ["adapter_config.json", "adapter_model.safetensors"]
    # stock libraries only: the base is the GGUF's weights as transformers dequantised them (same tensors)
    folder = str(base_model_dir())
    stock = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(folder), str(out)).eval()
    ids = AutoTokenizer.from_pretrained(folder)("Hi Ivo, thanks for asking", return_tensors="pt")
    with _open(trained[0]) as v:
        ours = adapted_model(v.store)
    assert ours is not None
    plain = AutoModelForCausalLM.from_pretrained(folder).eval()
    with torch.no_grad():
        theirs, mine, base = stock(**ids).logits, ours[0](**ids).logits, plain(**ids).logits
    assert torch.allclose(theirs, mine, atol=1e-4)
    assert not torch.allclose(theirs, base, atol=1e-3)  # the adapter changes something


def main_ok(argv: list[str]) -> bool:
    try:
        main(argv)
    except SystemExit as exc:
        return exc.code == 0
    return True


def test_resume_continues_from_the_saved_step(home: Path, tmp_path: Path) -> None:
    with knowme.open(home, PASSPHRASE) as v:
        v.ingest(write_life(tmp_path / "life"))
        first = v.learn_voice(shards=1, max_steps=2, **FAST)
        assert first.steps == 2 and not first.complete and first.stale == (0,)
        saved = load_state(v.store, progress_name(0))
        assert saved is not None and saved.step == 2
        assert v.learn_status().in_use == ()  # nothing half-trained is used
        second = v.learn_voice(shards=1, max_steps=1, **FAST)
        assert second.steps == 1
        resumed = load_state(v.store, progress_name(0)) or load_state(v.store, checkpoint_name(0, 0))
    assert resumed is not None and resumed.step == 3 and resumed.losses[:2] == saved.losses


def test_draft_is_phrased_by_the_adapted_model(trained: tuple[Path, Path]) -> None:
    from knowme.learn.generate import AdaptedBackend
    from knowme.llm.base import CompletionOptions, Message

    with _open(trained[0]) as v:
        backend = v.phrasing_backend()
        assert isinstance(backend, AdaptedBackend) and "voice adapter" in backend.describe()
        ask = [Message("user", "Write a short note to Ivo.")]
        reply = backend.complete(ask, CompletionOptions(max_tokens=8))
        assert reply and reply == backend.complete(ask, CompletionOptions(max_tokens=8))  # greedy: repeatable
        v.choose_backend("extractive")
        assert not isinstance(v.phrasing_backend(), AdaptedBackend)  # only the embedded default is replaced


def test_forget_stales_exactly_the_shard_that_saw_it_and_retrain_clears_it(
    trained: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    home = trained[0]
    with _open(home) as v:
        manifest = load_manifest(v.store)
        assert manifest is not None
        texts = {t.content_hash: t for t in training_texts(v.store)}
        victim_hash = manifest.shards[1].slices[-1][0]
        victim = texts[victim_hash]
        v.forget(ref=victim.ref)
        after = load_manifest(v.store)
        assert after is not None
        assert [s.stale for s in after.shards] == [False, True]
        assert victim_hash not in {h for s in after.shards for h in s.records}
        status = v.learn_status()
        assert status.in_use == (0,) and status.clean
        state = load_state(v.store, ADAPTER)
        assert state is not None and victim_hash not in state.data
        again = v.learn_voice(shards=2, **FAST)
        assert again.trained_shards == (1,) and again.complete
        final = v.learn_status()
        assert set(final.in_use) == {0, 1} and final.clean
        assert v.store.forgotten([victim_hash]) == {victim_hash}
        assert victim_hash not in load_manifest(v.store).trained_hashes()  # type: ignore[union-attr]
    capsys.readouterr()
    assert main_ok(["learn", "status", "--json", "--home", str(home)])
    shown = json.loads(capsys.readouterr().out)
    assert shown["clean"] is True and shown["method"] == "lora" and len(shown["shards"]) == 2
