"""The price information centre (PRODUCT.md M9): daily price records and the price index."""
