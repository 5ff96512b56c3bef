"""The JSON API under /api/: the same operations and rules as the console and the CLI."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, UploadFile
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from publisher.ledger import audit
from publisher.review import workflow as review
from publisher.delivery.actions import retract_item, retry_item, settle_item
from publisher.db.engine import reading
from publisher.items.editing import edit_item
from publisher.errors import InputError, Refused
from publisher.items.checking import check_stored_item, mask_stored_item, shown_field
from publisher.ledger.listing import Filters, list_items, parse_date
from publisher.ledger.search import office_table
from publisher.items.intake import CATALOGUE_INPUTS, ItemRequest, insert, parse_time, prepare
from publisher.report.tally import tally
from publisher.accounts.users import Actor
from publisher.web import body_images, views
from publisher.web.common import ID_MAX, ItemId, as_json
from publisher.web.console import console_of
from publisher.web.word_upload import docx_to_html
from publisher.foundation.i18n import _, shown
from publisher.foundation.labels import label

router = APIRouter(prefix="/api", tags=["api"])
ERRORS = {code: {"description": text, "content": {"application/json": {"example": {
    "error": {"code": "…", "message": "…", "field": None}}}}}
    for code, text in ((401, "未登录"), (403, "规则或权限不允许"), (404, "不存在（或属于其他单位）"),
                       (409, "状态冲突"), (422, "输入有误（field 指出字段）"))}
MEDIA = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8", "pdf": "application/pdf",
         "json": "application/json", "csv": "text/csv; charset=utf-8", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}

Text = Annotated[str, Field(max_length=2_000_000)]
Short = Annotated[str, Field(max_length=1000)]


def acting(request: Request) -> Actor:
    """The API caller: a Bearer token, or the console session (with its CSRF token on changes)."""
    console = console_of(request)
    actor = console.actor(request, api=True)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        console.check_csrf(request, None)
    return actor


User = Annotated[Actor, Depends(acting)]


class ItemIn(BaseModel):
    """The fields of ``queue add``."""

    model_config = ConfigDict(extra="forbid")
    title: Short
    category: Short
    body: Text | None = None
    channels: list[Short] = Field(default_factory=list, max_length=50)
    at: Short | None = None
    department: Short = ""
    summary: Text = ""
    author: Short = ""
    options: dict[str, dict[str, Short]] = Field(default_factory=dict)
    key: Short | None = None
    doc_no: Short | None = None
    written_on: Short | None = None
    issuer: Short | None = None
    subject: Short | None = None
    genre: Short | None = None
    disclosure: Short | None = None
    disclosure_reason: Text | None = None
    interprets: int | None = Field(default=None, ge=1, le=2**63 - 1)
    interpretation_form: Short | None = None


class ItemPatch(BaseModel):
    """Changes to an item; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")
    title: Short | None = None
    body: Text | None = None
    summary: Text | None = None
    category: Short | None = None
    channels: list[Short] | None = Field(default=None, max_length=50)
    at: Short | None = None
    department: Short | None = None
    options: dict[str, dict[str, Short]] | None = None
    reason: Short | None = None
    leave: list[Short] | None = Field(default=None, max_length=50)  # channels whose old copy stays (item edit --leave)


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: Short = ""
    override: Short | None = None


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: Short


class Retraction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Short = ""


class RetryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Short | None = None


class SettleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Short
    url: Short
    external_id: Short | None = None
    at: Short | None = None


class DraftCheck(BaseModel):
    """Form fields of an unsaved item, to check against every channel's limits."""

    model_config = ConfigDict(extra="forbid")
    title: Short = ""
    category: Short = ""
    body: Text = ""
    summary: Text = ""
    department: Short = ""
    channels: list[Short] = Field(default_factory=list, max_length=50)
    options: dict[str, dict[str, Short]] = Field(default_factory=dict)


def _require_editor(actor: Actor) -> None:
    actor.require(not actor.is_user or actor.role.edits, "role",
                  f"{actor.name} 是{actor.role.value if actor.role else ''}：只有编辑可以新建或修改信息")


@router.get("/items", responses=ERRORS, summary="信息列表（筛选、分页、总数）")
def get_items(request: Request, actor: User, status: str | None = None, channel: str | None = None,
              category: str | None = None, q: Annotated[str | None, Query(max_length=200)] = None,
              since: str | None = None, until: str | None = None, page: Annotated[int, Query(ge=1, le=100000)] = 1,
              per_page: Annotated[int, Query(ge=1, le=500)] = 50) -> dict:
    app = console_of(request).app
    filters = Filters(office=actor.office, status=status or None, channel=channel or None, category=category or None,
                      q=q, since=parse_date(since, "since"), until=parse_date(until, "until"),
                      abbreviations=office_table(app.config))
    return as_json(list_items(app.store.engine, app.config.tz, filters, page=page, per_page=per_page))


@router.post("/items", status_code=201, responses=ERRORS, summary="新建信息（queue add 的字段）")
def post_item(request: Request, actor: User, body: ItemIn) -> dict:
    app = console_of(request).app
    _require_editor(actor)
    with body_images.scratch() as tmp:  # pictures from /api/uploads/images or data: URLs become inline images
        request_ = ItemRequest(title=body.title, category=body.category, body=_staged(app, body.body, FilePath(tmp)),
                               channels=body.channels, at=body.at, department=body.department,
                               summary=body.summary, author=body.author, options=body.options, key=body.key,
                               catalogue={name: getattr(body, name) for name in CATALOGUE_INPUTS
                                          if getattr(body, name) is not None}, base_dir=FilePath(tmp))
        item_id = insert(app, [prepare(app, request_)], source="api", actor=actor)[0]
    shown = review.show(app, actor, item_id)
    return as_json({"id": item_id, "review": {"state": shown["state"]}, "findings": shown["findings"],
                    "unchecked": shown["unchecked"]})


@router.get("/items/{item_id}", responses=ERRORS, summary="一条信息及各渠道投递（同 item show --json）")
def get_item(request: Request, actor: User, item_id: ItemId, events: bool = False) -> dict:
    return as_json(views.item_json(console_of(request).app, actor, item_id, with_events=events))


@router.patch("/items/{item_id}", responses=ERRORS, summary="修改信息（通过后修改会重新审核）")
def patch_item(request: Request, actor: User, item_id: ItemId, body: ItemPatch) -> dict:
    _require_editor(actor)
    changes = body.model_dump(exclude_unset=True)
    app = console_of(request).app
    with body_images.scratch() as tmp:
        if changes.get("body") is not None:
            changes.update(body=_staged(app, changes["body"], FilePath(tmp)), base_dir=FilePath(tmp))
        return as_json(edit_item(app, actor, item_id, **changes))


def _staged(app, html: str | None, folder: FilePath) -> str | None:
    """The body with its pictures as files in ``folder`` (see ``body_images.stage``)."""
    if html is None:
        return None
    return body_images.stage(html, app.config.attachments_dir, folder,
                             max_bytes=app.config.limits.attachment_max_bytes)


@router.post("/items/{item_id}/submit", responses=ERRORS, summary="提交审核")
def submit_item(request: Request, actor: User, item_id: ItemId) -> dict:
    return as_json(review.submit(console_of(request).app, actor, item_id))


@router.post("/items/{item_id}/approve", responses=ERRORS, summary="通过当前审核步骤（可附理由越过审查结果）")
def approve_item(request: Request, actor: User, item_id: ItemId, body: Decision | None = None) -> dict:
    body = body or Decision()
    return as_json(review.approve(console_of(request).app, actor, item_id, comment=body.comment,
                                  override=body.override))


@router.post("/items/{item_id}/reject", responses=ERRORS, summary="退回编辑（须写意见）")
def reject_item(request: Request, actor: User, item_id: ItemId, body: Rejection) -> dict:
    return as_json(review.reject(console_of(request).app, actor, item_id, comment=body.comment))


@router.post("/items/{item_id}/retract", responses=ERRORS, summary="在所有渠道撤回")
def retract(request: Request, actor: User, item_id: ItemId, body: Retraction | None = None) -> dict:
    app = console_of(request).app
    retract_item(app, item_id, (body or Retraction()).reason, actor=actor)
    return as_json(views.item_json(app, actor, item_id))


@router.post("/items/{item_id}/retry", responses=ERRORS, summary="重试失败、放弃或待核实的投递")
def retry(request: Request, actor: User, item_id: ItemId, body: RetryIn | None = None) -> dict:
    app = console_of(request).app
    done = retry_item(app, item_id, (body or RetryIn()).channel, actor=actor)
    return {"retried": done}


@router.post("/items/{item_id}/settle", responses=ERRORS, summary="人工确认一条待核实的投递已发布")
def settle(request: Request, actor: User, item_id: ItemId, body: SettleIn) -> dict:
    app = console_of(request).app
    when = parse_time(body.at, app, field_name="at") if body.at else None
    settle_item(app, item_id, body.channel, url=body.url, external_id=body.external_id, published_at=when,
                actor=actor)
    return as_json(views.item_json(app, actor, item_id))


@router.post("/items/{item_id}/check", responses=ERRORS, summary="重新运行发布前审查")
def check(request: Request, actor: User, item_id: ItemId) -> dict:
    return as_json(check_stored_item(console_of(request).app, actor, item_id))


@router.post("/items/{item_id}/mask", responses=ERRORS, summary="对个人信息脱敏（生成新版本）")
def mask(request: Request, actor: User, item_id: ItemId) -> dict:
    _require_editor(actor)
    return as_json(mask_stored_item(console_of(request).app, actor, item_id))


@router.get("/items/{item_id}/review", responses=ERRORS, summary="审核状态、历史与审查结果（同 review show --json）")
def item_review(request: Request, actor: User, item_id: ItemId) -> dict:
    app = console_of(request).app
    return as_json(review.show(app, actor, item_id) | {"diff": views.diff_since_approval(app, item_id)})


@router.post("/check", responses=ERRORS, summary="未保存的稿件：各渠道的限制检查")
def check_draft(request: Request, actor: User, body: DraftCheck) -> dict:
    app = console_of(request).app
    channels = [c for c in (body.channels or app.config.default_channels(body.category)) if c in app.config.channels]
    fields = body.model_dump()
    from publisher.items import checking as gate_check
    from publisher.foundation.content import sanitize_html

    found = gate_check.run(app, title=body.title, summary=body.summary or "",
                           body_html=sanitize_html(body.body or ""), files=[]).to_json()["findings"]
    return {"channels": {c: views.channel_problems(app, views.draft_view(app, fields, c), c) for c in channels},
            "title_length": len(body.title.strip()),
            "findings": [f | {"label": label("finding", f["kind"]),
                                  "field_label": shown_field(f["field"]), "place": shown(f["where"]),
                                  "suggestion_text": shown(f["suggestion"])} for f in found]}


@router.post("/docx", responses=ERRORS, summary="把 Word 文件（.docx）转换为正文 HTML（已清理）")
async def convert_docx(request: Request, actor: User, file: UploadFile) -> dict:
    return {"body": await docx_to_html(console_of(request).app, file, field="file")}


@router.get("/review", responses=ERRORS, summary="待我审核的信息和我被退回的稿件")
def review_inbox(request: Request, actor: User, mine: bool = True) -> list:
    return as_json(review.inbox(console_of(request).app, actor, mine=mine))


@router.get("/tally", responses=ERRORS, summary="全年各渠道、各类别发布条数")
def get_tally(request: Request, actor: User, year: Annotated[int, Query(ge=1900, le=9998)]) -> dict:
    app = console_of(request).app
    return as_json(tally(app.store, app.config, year, office=actor.office)
                   | {"monthly": views.monthly(app, actor.office, year)})


@router.get("/audit", responses=ERRORS, summary="审计日志（本单位）")
def get_audit(request: Request, actor: User, item: Annotated[int | None, Query(ge=1, le=ID_MAX)] = None,
              user: Annotated[str | None, Query(max_length=80)] = None, since: str | None = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Annotated[int, Query(ge=0, le=ID_MAX)] = 0) -> list:
    app = console_of(request).app
    when = parse_time(since, app, field_name="since") if since else None
    if item is not None:
        with reading(app.store.engine) as conn:
            review.item_in_office(conn, actor, item)
    with reading(app.store.engine) as conn:
        rows = audit.query(conn, office=actor.office, item_id=item, actor=user or None, since=when, limit=limit,
                           offset=offset)
    return as_json([{k: r[k] for k in ("seq", "at", "kind", "actor", "item_id", "channel", "detail")} for r in rows])


@router.get("/reports/{year}", responses=ERRORS, summary="年度报告材料下载",
            response_class=Response)
def get_report(request: Request, actor: User, year: Annotated[int, Path(ge=1900, le=9998)],
               format: Literal["md", "html", "pdf", "docx", "json", "csv"] = "md") -> Response:
    from publisher.report.build import build_report
    from publisher.report.render import APPENDIX_FORMATS, render
    from publisher.report.served import as_served

    app = console_of(request).app
    if actor.office != app.config.office.code:  # the report is the configured office's; others run their own
        raise Refused("office", f"这里生成的是{app.config.office.name}的年度报告，不属于你的单位")
    live = build_report(app.store, app.config, year, appendix=False)
    served = as_served(app.store, year, live)  # the frozen report, or refused as the CLI refuses
    headers = {"Content-Disposition": f'attachment; filename="report-{year}.{format}"'}
    if format in APPENDIX_FORMATS and "appendix" not in served:  # a million publications: streamed, not held
        from publisher.report.ledger import iter_publications
        from publisher.report.render import appendix_chunks

        chunks = appendix_chunks(served, iter_publications(app.store, app.config, year), format)
        return StreamingResponse((c.encode("utf-8") for c in chunks), media_type=MEDIA[format], headers=headers)
    return Response(render(served, format), media_type=MEDIA[format], headers=headers)


@router.get("/me", responses=ERRORS, summary="当前用户")
def me(actor: User) -> dict:
    return {"name": actor.name, "office": actor.office, "role": actor.role.value if actor.role else None,
            "display_name": actor.display_name}
