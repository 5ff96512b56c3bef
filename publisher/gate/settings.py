"""The ``gate:`` section of config.yaml."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class GateLimits(BaseModel):
    """Bounds on the work spent on one attachment; past them it is listed as unchecked (partly checked)."""

    model_config = ConfigDict(extra="forbid")

    max_bytes: int = Field(50_000_000, gt=0, description="larger files are not opened")
    max_chars: int = Field(2_000_000, gt=0, description="text read from one attachment")
    max_cells: int = Field(200_000, gt=0, description="spreadsheet cells read from one attachment")
    max_pages: int = Field(500, gt=0, description="PDF pages read from one attachment")


class GateConfig(BaseModel):
    """The pre-publication gate: the office's own term list beside the shipped one, and work limits."""

    model_config = ConfigDict(extra="forbid")

    terms_file: Path | None = None
    use_starter_terms: bool = True
    limits: GateLimits = Field(default_factory=GateLimits)
