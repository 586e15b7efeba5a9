"""TAXII 2.1: the server in the node's API (``/taxii2/``) and ``comity intel pull``."""
