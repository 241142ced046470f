"""The wholesale market (交易市场): the Dutch clock, the one-card ledger, prices.

:mod:`jiqun.market.core` is the deterministic heart (no I/O, no clock reads, no randomness);
the journal and ledger stores persist what it decides; the live service drives it.
"""
