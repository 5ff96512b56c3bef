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

    terms_file: Path | None = None  # the office's 错敏词 list (YAML or CSV), beside the shipped one
    use_starter_terms: bool = True  # false: the office's list alone
    limits: GateLimits = Field(default_factory=GateLimits)

    def load_terms(self, base_dir: Path | None = None):
        """The term list this configuration asks for (``terms_file`` relative to ``base_dir`` if given)."""
        from publisher.gate.terms import load_terms

        path = self.terms_file
        if path is not None and base_dir is not None and not path.is_absolute():
            path = base_dir / path
        return load_terms(path, starter=self.use_starter_terms)
