"""Evidence: the encrypted blob store, streaming ingest, the custody ledger, packages, CASE/UCO
descriptions and court certificates."""
