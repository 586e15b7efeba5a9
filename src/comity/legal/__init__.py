"""Legal cooperation: the knowledge base, the route advisor, drafting and request tracking."""
