"""The ``catalogue:`` section: how 索引号 are made, the office's subject and genre lists, the required fields."""

from __future__ import annotations

import string
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from publisher.foundation.i18n import _

# 国务院公文主题分类 (the portal's 主题分类 when an office gives no list of its own)
DEFAULT_SUBJECTS = [
    "综合政务", "国民经济管理、国有资产监管", "财政、金融、审计", "国土资源、能源", "农业、林业、水利", "工业、交通",
    "商贸、海关、旅游", "市场监管、安全生产监管", "城乡建设、环境保护", "科技、教育", "文化、广电、新闻出版", "卫生、体育",
    "人口与计划生育、妇女儿童工作", "劳动、人事、监察", "公安、安全、司法", "民政、扶贫、救灾", "民族、宗教", "对外事务",
    "港澳台侨工作", "国防", "其他",
]
# the 15 kinds of 党政机关公文, and what a disclosure catalogue lists besides them
DEFAULT_GENRES = [
    "决议", "决定", "命令", "公报", "公告", "通告", "意见", "通知", "通报", "报告", "请示", "批复", "议案", "函", "纪要",
    "规章", "规范性文件", "解读", "公示", "计划", "总结", "其他",
]
CATALOGUE_FIELDS = ("doc_no", "written_on", "issuer", "subject", "genre", "disclosure", "validity")
PATTERN_FIELDS = {"org_code", "year", "seq"}


class CatalogueConfig(BaseModel):
    """The disclosure catalogue (政府信息公开目录) of the office."""

    model_config = ConfigDict(extra="forbid")

    org_code: str = Field(default="", max_length=40, description="the organisation's code in every 索引号")
    index_pattern: str = Field(default="{org_code}/{year}-{seq:05}", min_length=1, max_length=100)
    assign_at: Literal["approval", "publication"] = "approval"
    subjects: list[str] = Field(default_factory=lambda: list(DEFAULT_SUBJECTS), max_length=200)
    genres: list[str] = Field(default_factory=lambda: list(DEFAULT_GENRES), max_length=200)
    required: dict[str, list[Literal[CATALOGUE_FIELDS]]] = Field(  # type: ignore[valid-type]
        default_factory=dict, description="per category (or 'default'), the catalogue fields an item must carry")

    @field_validator("index_pattern")
    @classmethod
    def _pattern_has_a_sequence(cls, value: str) -> str:
        usage = "{org_code}, {year}, {seq} (e.g. {org_code}/{year}-{seq:05})"
        try:
            names = {name for _text, name, _spec, _conv in string.Formatter().parse(value) if name is not None}
        except ValueError:
            raise ValueError(_("not a valid pattern: use {usage}").format(usage=usage)) from None
        unknown = sorted(names - PATTERN_FIELDS)
        if unknown:
            raise ValueError(_("unknown placeholder {name}: use {usage}").format(name="{" + unknown[0] + "}",
                                                                                  usage=usage))
        if "seq" not in names:
            raise ValueError(_("the pattern must contain {seq}, or two items would get the same 索引号").format(
                seq="{seq}"))
        try:
            value.format(org_code="X", year=2000, seq=1)
        except (ValueError, KeyError, IndexError):
            raise ValueError(_("not a valid pattern: use {usage}").format(usage=usage)) from None
        return value

    def required_for(self, category: str) -> list[str]:
        """The catalogue fields an item of ``category`` must carry."""
        return list(self.required.get(category, self.required.get("default", [])))
