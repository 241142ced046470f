"""Sealed-bid auctions (PRODUCT.md M11) on the market's ledger."""
