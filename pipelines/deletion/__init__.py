"""Deletion requests (right to be forgotten): tombstones, forgetting everywhere, the audit trail."""
