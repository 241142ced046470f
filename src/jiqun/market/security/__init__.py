"""Security by default (PRODUCT.md M7): passwords, sessions, CSRF, rate limits, audit chain."""
