"""Sovereignty and security: forgetting, keys, export and import, grants and the audit log."""
