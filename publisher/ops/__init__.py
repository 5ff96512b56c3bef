"""Operator tools: backups and restores."""
