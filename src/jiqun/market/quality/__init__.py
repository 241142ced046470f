"""The quality testing centre (PRODUCT.md M8): certificates, sampling, tests, MRLs, trace."""
