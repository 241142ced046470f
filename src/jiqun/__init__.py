"""jiqun (集群): the open platform of an industrial cluster.

Two halves share this package: :mod:`jiqun.observatory` (cluster statistics, indicators and the
survey report) and :mod:`jiqun.market` (the wholesale market's Dutch clock and ledger).
"""

__version__ = "0.1.0"
