"""publisher: one queue, many channels, an exact ledger for the annual disclosure report."""

__version__ = "0.1.0"
