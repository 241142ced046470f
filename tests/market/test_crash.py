"""kill -9 at random moments (PRODUCT.md M6): a restart recovers exactly what was
acknowledged. The harness itself is :mod:`jiqun.market.crashtest`; ``bench/crash_harness.py``
runs it with many more kills."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiqun.market.crashtest import run_harness, trading_day


def test_the_trading_day_is_deterministic() -> None:
    first, second = trading_day(5, 300), trading_day(5, 300)
    assert first.steps == second.steps and first.final == second.final
    assert sum(type(s.event).__name__ == "Press" for s in first.steps) == 300
    assert first.steps != trading_day(6, 300).steps


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_no_acknowledged_sale(tmp_path: Path) -> None:
    result = run_harness(tmp_path, seed=20260601, presses=3000, kills=5, snapshot_every=400)
    assert result.ok, "\n".join(result.problems)
    assert result.kills == 5 and result.runs == 6
    assert len(result.acked) > 100
    assert result.sales_in_ledger >= len(result.acked)  # committed, maybe killed before the ack
    assert len(set(result.resumed_at)) >= 3  # it really was killed in the middle of the day
