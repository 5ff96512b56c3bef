"""Placeholder: replaced when series are wired in."""


class SeriesRunner:
    """Creates due series occurrences (no-op until series are wired in)."""

    def __init__(self, app):
        self.app = app

    def tick(self) -> None:
        """Create due occurrences."""

    def next_due(self):
        """When the next occurrence is due (None: no series)."""
        return None
