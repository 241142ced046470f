"""The market's deterministic core: clock rulebook v1 (PRODUCT.md M3), fees, ledger postings.

Nothing here reads a clock, touches a file or draws a random number: time and input arrive as
events, so the same inputs always give the same outputs, live or in replay.
"""

RULE_VERSION = "v1"
