"""Differentially private voice training (DP-SGD with opacus) on a real vault and the real bundled model.

Covers: the delta default (1/N^1.1) and the refusals (delta at or above 1/N, too few records, shards too small, a
non-positive epsilon, --dp without --epsilon), the noise plan spending exactly the target epsilon over the planned
steps, the accountant state travelling with an interrupted run so the resumed run ends at the target epsilon, the
spent budget shown by `learn status` (and its JSON), and per-example gradients on the adapter's tensors only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import knowme
from knowme.errors import LearnError
from knowme.interfaces.cli import main
from knowme.learn.artifacts import ADAPTER, load_state
from knowme.learn.dp import DPSettings, plan, resolve_delta, spent, train_private
from knowme.learn.model import load_base
from knowme.learn.sisa import progress_name
from knowme.learn.trainer import TrainSettings, fresh_state
from tests.learn.life import write_life

TINY = TrainSettings(batch_size=2, seq_tokens=24)
PRIVATE = DPSettings(epsilon=8.0, record_tokens=32)


def test_delta_defaults_to_one_over_n_to_the_1_1_and_large_deltas_are_refused() -> None:
    assert resolve_delta(PRIVATE, 100) == pytest.approx(100**-1.1)
    assert resolve_delta(DPSettings(4.0, delta=1e-5), 100) == 1e-5
    with pytest.raises(LearnError, match=r"must be below 1/N = 0.01"):
        resolve_delta(DPSettings(4.0, delta=0.01), 100)
    with pytest.raises(LearnError, match=r"too few records .* 5 of your own"):
        resolve_delta(PRIVATE, 5)
    with pytest.raises(LearnError, match="epsilon must be a positive number"):
        plan(DPSettings(0.0), records=100, batch_size=8, steps=10, delta=1e-3)


def test_the_plan_spends_exactly_the_target_epsilon_over_the_planned_steps() -> None:
    for epsilon in (1.0, 4.0, 8.0):
        found = plan(DPSettings(epsilon), records=200, batch_size=8, steps=50, delta=200**-1.1)
        assert found.sample_rate == 8 / 200 and found.noise_multiplier > 0
        history = [[found.noise_multiplier, found.sample_rate, found.steps]]
        assert spent({"history": history, "delta": found.delta}) == pytest.approx(epsilon, rel=0.02)
    stricter = plan(DPSettings(1.0), records=200, batch_size=8, steps=50, delta=1e-3)
    looser = plan(DPSettings(8.0), records=200, batch_size=8, steps=50, delta=1e-3)
    assert stricter.noise_multiplier > looser.noise_multiplier  # a smaller budget needs more noise


def test_per_example_gradients_touch_only_the_adapter_and_the_noise_is_real() -> None:
    texts = [f"Hi Ivo, thanks for asking about item {i}; I'll send my notes on Friday." for i in range(12)]
    dp_plan = plan(PRIVATE, records=12, batch_size=2, steps=2, delta=12**-1.1)
    runs = []
    for _ in range(2):  # same seed, same batches: only the DP noise differs
        state = train_private(texts, base=load_base(), start=fresh_state(TINY), settings=TINY, dp_plan=dp_plan,
                              max_steps=2)  # fmt: skip
        runs.append(state)
    assert all(".lora_" in key for key in runs[0].weights)
    assert runs[0].privacy is not None and runs[0].privacy["steps"] == 2
    assert runs[0].privacy["epsilon"] == pytest.approx(8.0, rel=0.02)
    b = next(k for k in runs[0].weights if "lora_B" in k)
    assert not runs[0].weights[b].equal(runs[1].weights[b])  # Gaussian noise, not a deterministic step


def test_dp_training_resumes_with_its_accountant_and_status_shows_the_spent_budget(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = {"shards": 1, "settings": TINY, "epochs": 0.5, "nice": False, "dp": PRIVATE}
    with knowme.open(home) as v:
        v.ingest(write_life(tmp_path / "life", extra=1))
        with pytest.raises(LearnError, match="too small for differential privacy"):
            v.learn_voice(**{**common, "shards": 4})
        first = v.learn_voice(max_steps=2, **common)
        assert first.steps == 2 and not first.complete
        halfway = load_state(v.store, progress_name(0))
        assert halfway is not None and halfway.privacy is not None
        assert halfway.privacy["steps"] == 2 and 0 < halfway.privacy["epsilon"] < 8.0
        assert v.learn_status().privacy is None  # nothing half-trained is in use
        second = v.learn_voice(**common)
        assert second.complete and second.steps == halfway.privacy["planned_steps"] - 2
        status = v.learn_status()
        state = load_state(v.store, ADAPTER)
    assert state is not None and state.privacy is not None
    assert status.privacy is not None and status.privacy["steps"] == status.privacy["planned_steps"] == 6
    assert halfway.privacy["epsilon"] < status.privacy["epsilon"] <= 8.0 * 1.01
    assert status.privacy["delta"] == pytest.approx(24**-1.1) and status.privacy["records"] == 24
    capsys.readouterr()
    assert _exit(["learn", "status", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["privacy"]["epsilon"] == status.privacy["epsilon"]
    assert _exit(["learn", "status"]) == 0
    assert "Differential privacy: epsilon" in capsys.readouterr().out


def test_cli_needs_epsilon_with_dp(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    knowme.open(home).close()
    assert _exit(["learn", "voice", "--dp"]) == 9
    assert "needs both --dp and --epsilon" in capsys.readouterr().err
    assert _exit(["learn", "voice", "--epsilon", "4"]) == 9


def _exit(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
