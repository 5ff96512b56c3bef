"""Foundations every package may use: clocks, messages in the office's language, durations, redaction, text width, safe YAML, HTML content."""
