from __future__ import annotations

from pathlib import Path

import pytest

# The repository's sibling folder shared/ holds the seed and its figures (as in CI).
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    assert (SHARED / "data" / "zhucheng_clusters_2024.csv").exists(), (
        f"shared/ not found at {SHARED}"
    )
    return SHARED


@pytest.fixture(autouse=True)
def chinese_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts in the default language; what a test (or `--lang`) sets is undone."""
    monkeypatch.setenv("JIQUN_LANG", "zh")
