"""kill -9 of a live ``jiqun serve`` during a load test: the buyers reconnect, and nothing
they saw acknowledged is lost (``jiqun market reconcile`` and the ledger agree)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiqun.market.crashtest import run_live_crash


@pytest.mark.slow
def test_kill_9_during_a_load_test_loses_nothing_acknowledged(tmp_path: Path) -> None:
    result = run_live_crash(
        tmp_path, buyers=12, duration_s=7.5, kills=1, first_kill_s=4.0, after_restart_s=5.0
    )
    assert result.ok, result.problems
    assert result.kills == 1
    assert result.loadtest["connected"] == 12
    assert result.loadtest["reconnects"] >= 12  # every buyer came back to the new server
    assert len(result.acked) > result.acked_before_last_kill > 0  # sales before and after
    assert result.ledger_sales >= len(result.acked)  # (a sale whose ack was lost may be more)
    assert result.reconcile["ok"] is True
