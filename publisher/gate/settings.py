"""The ``gate:`` section of config.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class GateLimits(BaseModel):
    """Bounds on the work spent on one attachment; past them it is listed as unchecked (partly checked)."""

    model_config = ConfigDict(extra="forbid")

    max_bytes: int = Field(50_000_000, gt=0, description="larger files are not opened")
    max_chars: int = Field(2_000_000, gt=0, description="text read from one attachment")
    max_cells: int = Field(200_000, gt=0, description="spreadsheet cells read from one attachment")
    max_pages: int = Field(500, gt=0, description="PDF pages read from one attachment")


class ExternalCheck(BaseModel):
    """An office's external checking service, one more gate step: the text is POSTed, its verdict recorded."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="where the text is POSTed (JSON); the answer lists the service's findings")
    name: str = Field("外部检查服务", max_length=40, description="how findings and the audit name the service")
    timeout: float = Field(10.0, gt=0, le=120, description="seconds; past them the check is a named finding")
    token_env: str | None = Field(None, description="environment variable holding a Bearer token, if any")

    @field_validator("url")
    @classmethod
    def _web_url(cls, value: str) -> str:
        from publisher.foundation.urls import web_url_problem

        problem = web_url_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class GateConfig(BaseModel):
    """The pre-publication gate: the office's own term list beside the shipped one, and work limits."""

    model_config = ConfigDict(extra="forbid")

    terms_file: Path | None = None  # the office's 错敏词 list (YAML or CSV), beside the shipped one
    use_starter_terms: bool = True  # false: the office's list alone
    limits: GateLimits = Field(default_factory=GateLimits)
    accessibility: Literal["warn", "block", "off"] = "warn"  # 无障碍 findings: warnings, or held at 终审 like the rest
    external: ExternalCheck | None = None  # the office's checking service (HTTP), after the built-in checks

    def blocking(self, kind: str) -> bool:
        """Whether a finding of ``kind`` holds 终审 until it is fixed or overridden."""
        from publisher.gate.findings import WARNING_KINDS

        return kind not in WARNING_KINDS or self.accessibility == "block"

    def load_terms(self, base_dir: Path | None = None):
        """The term list this configuration asks for (``terms_file`` relative to ``base_dir`` if given)."""
        from publisher.gate.terms import load_terms

        path = self.terms_file
        if path is not None and base_dir is not None and not path.is_absolute():
            path = base_dir / path
        return load_terms(path, starter=self.use_starter_terms)
