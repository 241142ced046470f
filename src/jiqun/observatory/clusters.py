"""Cluster definitions (PRODUCT.md O2): named sets of GB/T 4754 industry-code prefixes.

A firm belongs to the cluster with the longest prefix of its industry code, so a narrow
cluster (3531, food machinery) can sit inside a broad one (35, special equipment). Firms that
match no prefix count in the city's totals only.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import polars as pl

from jiqun.observatory.errors import FileProblem

_CODE = re.compile(r"^\d{2,4}$")


@dataclass(frozen=True)
class Cluster:
    name: str
    industry_codes: tuple[str, ...]


@dataclass(frozen=True)
class ClusterDefinitions:
    """Clusters in their definitions' order (the order of the report's （一）（二）…)."""

    clusters: tuple[Cluster, ...]
    source: str

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.clusters]

    def assign(self, industry_code: pl.Expr) -> pl.Expr:
        """The cluster of each industry code: longest matching prefix, else null."""
        by_length: dict[int, dict[str, str]] = {}
        for cluster in self.clusters:
            for code in cluster.industry_codes:
                by_length.setdefault(len(code), {})[code] = cluster.name
        return pl.coalesce(
            industry_code.str.slice(0, n).replace_strict(
                by_length[n], default=None, return_dtype=pl.String
            )
            for n in sorted(by_length, reverse=True)
        )


def parse_definitions(text: str, source: str) -> ClusterDefinitions:
    """Parse and check TOML ``[[cluster]]`` tables with ``name`` and ``industry_codes``."""

    def fail(detail: str) -> FileProblem:
        return FileProblem(source, "clusters_file", detail=detail)

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise fail(str(e)) from None
    entries = data.get("cluster")
    if not isinstance(entries, list) or not entries:
        raise fail("no [[cluster]] tables")
    clusters: list[Cluster] = []
    owner: dict[str, str] = {}
    for n, entry in enumerate(entries, start=1):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise fail(f"cluster {n}: name missing")
        codes = entry.get("industry_codes")
        if not isinstance(codes, list) or not codes:
            raise fail(f"cluster {name}: industry_codes missing or empty")
        for code in codes:
            if not isinstance(code, str) or not _CODE.match(code):
                raise fail(f"cluster {name}: industry code {code!r} is not 2 to 4 digits in quotes")
            if code in owner:
                raise fail(f"industry code {code} is in both {owner[code]} and {name}")
            owner[code] = name
        if any(c.name == name for c in clusters):
            raise fail(f"cluster {name} is defined twice")
        clusters.append(Cluster(name.strip(), tuple(codes)))
    return ClusterDefinitions(tuple(clusters), source)


def load_definitions(path: Path) -> ClusterDefinitions:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise FileProblem(
            path, "clusters_file", detail=getattr(e, "strerror", None) or str(e)
        ) from None
    return parse_definitions(text, str(path))


def default_definitions() -> ClusterDefinitions:
    """The nine Zhucheng clusters of the seed's survey."""
    text = (
        resources.files("jiqun.observatory")
        .joinpath("data/zhucheng_clusters.toml")
        .read_text("utf-8")
    )
    return parse_definitions(text, "zhucheng_clusters.toml")
