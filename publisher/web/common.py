"""What the route modules and the app share: the error they raise, the id type of their paths, JSON-ready values."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

ID_MAX = 2_147_483_647
ItemId = Annotated[int, Path(ge=1, le=ID_MAX)]


class ApiError(Exception):
    """An error answered as ``{"error": {"code", "message", "field"}}`` (HTML page on the console)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        self.status, self.code, self.message, self.field = status, code, message, field
        super().__init__(message)


def as_json(value: Any) -> Any:
    """Datetimes as ISO strings, recursively (FastAPI does this, but our own dicts go through here too)."""
    from datetime import datetime

    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_json(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
