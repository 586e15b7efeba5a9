"""The node, agencies, users, roles, API tokens and the audit log."""
