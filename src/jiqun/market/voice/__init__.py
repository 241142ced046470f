"""Voice price query (PRODUCT.md M10): parse a spoken-style query, answer, synthesise speech."""
