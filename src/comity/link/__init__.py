"""Cross-border linkage: complaints from both countries, linked into fraud networks.

Complaints are ingested from files (:mod:`comity.link.ingest`), their identifiers normalized
with the one normalizer per type (:mod:`comity.intel.observables`), and linked into networks.
"""
