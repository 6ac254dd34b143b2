"""The audit log in the API: every mutation is recorded; admins read the log."""
