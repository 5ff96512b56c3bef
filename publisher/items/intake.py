"""Queue items: validate what an editor gives (fields, body, files, channel rules), then insert atomically."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from publisher.adapter import Attachment, ItemView
from publisher.runtime.app import App
from publisher.ledger.blobs import blob_path, describe, store_file
from publisher.foundation.content import decode_text, local_images, replace_local_markers, sanitize_html
from publisher.errors import ConfigError, InputError, Refused
from publisher.foundation.i18n import _, labelled, shown
from publisher.gate.invisible import invisible_in
from publisher.accounts.users import Actor
from publisher.ledger.event_kinds import EventKind

FIELDS = ("title", "category", "body", "body_file", "channels", "at", "department", "attach", "summary",
          "author", "options", "encoding", "key")
KEY_MAX = 200
TEXT_MAX = 200  # department and author (the columns' size)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class ItemRequest:
    """What an editor asks to queue, before validation (CLI flags or one import row)."""

    title: str | None = None
    category: str | None = None
    body: str | None = None
    body_file: str | None = None
    channels: list[str] = field(default_factory=list)
    at: str | None = None
    department: str = ""
    attach: list[str] = field(default_factory=list)
    summary: str = ""
    author: str = ""
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    encoding: str | None = None
    key: str | None = None
    base_dir: Path | None = None


@dataclass
class PreparedItem:
    """A validated item, ready to insert."""

    title: str
    category: str
    body_html: str
    publish_at: datetime
    channels: list[str]
    department: str
    summary: str
    author: str
    options: dict[str, dict[str, Any]]
    files: list[dict]
    key: str | None = None
    gate: Any = None  # the gate's result on this text (publisher.gate.GateResult)


def parse_options(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """Parse ``CHANNEL.KEY=VALUE`` pairs (e.g. ``wechat.title=短标题``) into per-channel options."""
    out: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        channel, dot, name = key.partition(".")
        if not sep or not dot or not channel or not name:
            raise InputError(_("{pair!r}: use CHANNEL.KEY=VALUE, e.g. wechat.title=短标题").format(
                                 pair=pair), field="option")
        out.setdefault(channel.strip(), {})[name.strip()] = value
    return out


def parse_time(text: str | None, app: App, *, field_name: str = "at") -> datetime:
    """Parse ``--at``: ISO 8601; without an offset it is the office's local time. Default: now."""
    if text is None or str(text).strip() == "":
        return app.clock.now()
    value = str(text).strip().replace(" ", "T", 1) if "T" not in str(text) else str(text).strip()
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(_("{text!r} is not an ISO 8601 time (e.g. 2019-03-10T09:00 or 2019-03-10T09:00+08:00)").format(
                             text=text),
                         field=field_name) from None
    try:
        if when.tzinfo is None:
            when = local_time(when, app.config.tz, text=str(text), field_name=field_name)
        return when.astimezone(timezone.utc)
    except OverflowError:  # e.g. 0001-01-01T00:00+08:00 is before the first representable UTC instant
        raise InputError(_("{text!r} is out of range").format(text=text), field=field_name) from None


def local_time(naive: datetime, tz, *, text: str, field_name: str) -> datetime:
    """``naive`` as a wall-clock time in ``tz``; InputError for a time the clocks skip (a DST gap)."""
    when = naive.replace(tzinfo=tz)
    back = when.astimezone(timezone.utc).astimezone(tz)
    if back.replace(tzinfo=None) != naive:
        raise InputError(_("{text!r} does not exist in {key}: the clocks skip it (summer time); it would become "
                           "{back:%Y-%m-%d %H:%M} — give that time, or an offset").format(
                             text=text, key=tz.key, back=back), field=field_name)
    return when


def prepare(app: App, request: ItemRequest) -> PreparedItem:
    """Validate one request against the config and every target channel's rules; InputError on the first problem set."""
    cfg = app.config
    title = (request.title or "").strip()
    key = (request.key or "").strip() or None
    category = (request.category or "").strip()
    channels = list(dict.fromkeys(request.channels)) or (cfg.default_channels(category) if category else [])
    problems = (_title_problems(app, title) + _text_problems(request, key) + _category_problems(app, category)
                + _channel_problems(app, category, channels) + _option_problems(app, request.options, channels))
    publish_at = _publish_time(app, request, problems)
    body_html, files = _body_or_problem(app, request, problems)
    if problems:
        raise InputError("; ".join(problems))
    if not body_html.strip():  # a notice may be just a title (and attachments): its text is the title
        body_html = f"<p>{_escape(title)}</p>"

    prepared = PreparedItem(title=title, category=category, body_html=body_html, publish_at=publish_at,
                            channels=channels, department=request.department.strip(), summary=request.summary.strip(),
                            author=request.author.strip(), options=request.options, files=files, key=key)
    check_channels(app, prepared)
    return prepared


def _title_problems(app: App, title: str) -> list[str]:
    """What is wrong with the title: missing, too long, or not one line of text."""
    title_max = app.config.limits.title_max
    if not title:
        return [labelled("title", _("required"))]
    if len(title) > title_max:
        return [_("title: {count} characters; the limit is {title_max} (limits.title_max)").format(
                    count=len(title), title_max=title_max)]
    if _CONTROL.search(title) or len(title.splitlines()) > 1:  # \r, U+2028 ... break lines too
        return [_("title: must be one line of text without control characters")]
    hidden = invisible_in(title)
    if hidden:  # a right-to-left override shows a title other than the one stored and checked
        return [_("title: contains invisible or text-direction characters ({codes}); remove them").format(
                    codes=", ".join(hidden))]
    return []


def _text_problems(request: ItemRequest, key: str | None) -> list[str]:
    """Department and author too long; a key too long or not one line."""
    problems = [_("{name}: more than {text_max} characters").format(name=name, text_max=TEXT_MAX)
                for name in ("department", "author") if len(getattr(request, name).strip()) > TEXT_MAX]
    if key is not None and (len(key) > KEY_MAX or _CONTROL.search(key)):
        problems.append(_("key: at most {key_max} characters of one line").format(key_max=KEY_MAX))
    return problems


def _category_problems(app: App, category: str) -> list[str]:
    """A category missing or not configured."""
    if not category:
        return [labelled("category", _("required"))]
    if category not in app.config.categories:
        return [labelled("category", _("unknown category {name!r} (configured: {known})").format(
            name=category, known=", ".join(app.config.categories)))]
    return []


def _channel_problems(app: App, category: str, channels: list[str]) -> list[str]:
    """Channels not configured or disabled; none at all for a category."""
    configured = app.config.channels
    problems = []
    for name in channels:
        if name not in configured:
            problems.append(_("channel: {name!r} is not configured (configured: {names})").format(
                                name=name, names=', '.join(configured)))
        elif not configured[name].enabled:
            problems.append(_("channel: {name!r} is disabled in the configuration").format(name=name))
    if category and not channels:
        problems.append(_("channel: none given and routing has no entry for {category!r} or default").format(
                            category=category))
    return problems


def _option_problems(app: App, options: dict[str, dict[str, Any]], channels: list[str]) -> list[str]:
    """Options for a channel the item does not go to, or keys its channel does not read."""
    problems = []
    for name, given in options.items():
        if name not in channels:
            problems.append(_("option: {name!r} is not one of this item's channels ({names})").format(
                                name=name, names=', '.join(channels)))
        elif name in app.config.channels:
            problems.extend(_unknown_options(app, name, given))
    return problems


def _publish_time(app: App, request: ItemRequest, problems: list[str]) -> datetime:
    """The time to publish (now when ``at`` is bad, the problem added to ``problems``)."""
    try:
        return parse_time(request.at, app)
    except InputError as exc:
        problems.append(str(exc))
        return app.clock.now()


def _body_or_problem(app: App, request: ItemRequest, problems: list[str]) -> tuple[str, list[dict]]:
    """The sanitised body and the files (none when they are bad, the problem added to ``problems``)."""
    try:
        return _body_and_files(app, request)
    except InputError as exc:
        problems.append(str(exc))
        return "", []


def _unknown_options(app: App, name: str, given: dict[str, Any]) -> list[str]:
    """Problems for option keys the channel does not read (a typo like ``titel`` would be ignored silently)."""
    known = app.channel(name, offline=True).option_keys()
    if known is None:
        return []
    return [f"option: {name}.{key} is not an option of channel {name} (known: {', '.join(sorted(known)) or 'none'})"
            for key in given if key not in known]


def _body_and_files(app: App, request: ItemRequest) -> tuple[str, list[dict]]:
    limits = app.config.limits
    if request.body is not None and request.body_file:
        raise InputError(_("give either body or body_file, not both"), field="body")
    base_dir = request.base_dir
    if request.body_file:
        path = Path(request.body_file)
        if base_dir and not path.is_absolute():
            path = base_dir / path
        if not path.is_file():
            raise InputError(_("file not found: {path}").format(path=path), field="body_file")
        data = _read(path, "body_file")
        if len(data) > limits.body_max_bytes:
            raise InputError(_("{name} is {count:,} bytes; the limit is {body_max_bytes:,} "
                               "(limits.body_max_bytes)").format(
                                 name=path.name,
                                 count=len(data),
                                 body_max_bytes=limits.body_max_bytes), field="body_file")
        text = decode_text(data, source=str(path), encoding=request.encoding)
        base_dir = path.parent
    else:
        text = request.body or ""
        if len(text.encode("utf-8")) > limits.body_max_bytes:
            raise InputError(_("{count:,} bytes; the limit is {body_max_bytes:,} (limits.body_max_bytes)").format(
                                 count=len(text.encode('utf-8')), body_max_bytes=limits.body_max_bytes), field="body")
    if "<" not in text and text.strip():
        text = "".join(f"<p>{_escape(line)}</p>" for line in text.splitlines() if line.strip())
    text, images = local_images(text, base_dir)
    files = []
    for image in images:
        info = describe(image, field="body", max_bytes=limits.attachment_max_bytes)
        files.append({**info, "inline": True})
    text = replace_local_markers(text, [f["sha256"] for f in files])
    for name in request.attach:
        path = Path(name)
        if request.base_dir and not path.is_absolute():
            path = request.base_dir / path
        info = describe(path, field="attach", max_bytes=limits.attachment_max_bytes)
        if not any(f["sha256"] == info["sha256"] and not f["inline"] for f in files):  # the same file attached twice
            files.append({**info, "inline": False})
    return sanitize_html(text), files


def _read(path: Path, field: str | None = None) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(_("cannot read {path}: {strerror}").format(
                             path=path, strerror=exc.strerror), field=field) from None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def check_channels(app: App, item: PreparedItem) -> None:
    """Ask each target channel whether it will take the item, so editors hear now, not at 3 a.m."""
    problems = []
    files = [(Attachment(path=Path(f["source"]), filename=f["filename"], mime=f["mime"], sha256=f["sha256"],
                         size=f["size"]), f["inline"]) for f in item.files]
    for name in item.channels:
        view = ItemView(
            id=0, uid="", title=item.title, category=item.category, body_html=item.body_html,
            publish_at=item.publish_at, summary=item.summary, author=item.author, department=item.department,
            attachments=tuple(a for a, inline in files if not inline),
            inline_images={a.sha256: a for a, inline in files if inline},
            channel_options=dict(item.options.get(name, {})),
        )
        for problem in app.channel(name, offline=True).check(view):
            problems.append(_("channel {name}: {problem}").format(name=name, problem=shown(problem)))
    if problems:
        raise InputError("; ".join(problems))


def insert(app: App, prepared: list[PreparedItem], *, source: str = "cli", actor: Actor | None = None,
           skip_existing_keys: bool = False, imported: dict | None = None) -> list[int]:
    """Run the gate, copy files into the store and insert every item in one transaction; returns the new ids.

    An item whose ``key`` the office has already is refused (or left out with ``skip_existing_keys``).
    """
    from publisher.items import gate_runs  # loads the gate: only commands that queue need it

    actor = actor or app.current_actor()
    prepared = _without_known_keys(app, actor, prepared, skip=skip_existing_keys)
    for item in prepared:
        item.gate = gate_runs.run(app, title=item.title, summary=item.summary, body_html=item.body_html,
                                   files=[(f["filename"], Path(f["source"])) for f in item.files if not f["inline"]],
                                   department=item.department, author=item.author, options=item.options)
    root = app.config.attachments_dir
    added: list[Path] = []  # blobs this call put in the store: removed again if the items are not inserted
    try:
        for item in prepared:
            for f in item.files:
                if blob_path(root, f["sha256"]).exists():
                    continue
                try:
                    added.append(store_file(root, Path(f["source"]), f["sha256"]))
                except OSError as exc:
                    raise ConfigError([f"storage.attachments: cannot store {f['filename']} in {root}: "
                                       f"{exc.strerror}"], str(app.config.path)) from None
        return _insert_rows(app, prepared, source=source, actor=actor, imported=imported)
    except BaseException:
        for blob in added:
            blob.unlink(missing_ok=True)
        raise


def _insert_rows(app: App, prepared: list[PreparedItem], *, source: str, actor: Actor,
                 imported: dict | None) -> list[int]:
    from publisher.items import gate_runs
    from publisher.review.workflow import initial_state

    ids = []
    state = initial_state(app)
    with app.store.transaction() as conn:
        for item in prepared:
            files = [{k: f[k] for k in ("sha256", "filename", "mime", "size", "inline")} for f in item.files]
            item_id = app.store.insert_item(
                conn, title=item.title, category=item.category, body_html=item.body_html,
                publish_at=item.publish_at, channels=item.channels, actor=actor.name, source=source,
                summary=item.summary, author=item.author, department=item.department,
                channel_options=item.options, files=files, office=actor.office, key=item.key,
                review_state=state.value, findings=len(item.gate.findings) or None)
            gate_runs.record(conn, item_id, 1, item.gate)
            ids.append(item_id)
        if imported is not None:  # in the same transaction: a file counts as imported exactly when its items do
            app.store.event(conn, EventKind.IMPORTED, actor=actor.name, office=actor.office, count=len(ids),
                            ids=[ids[0], ids[-1]] if ids else None, **imported)
    return ids


def _without_known_keys(app: App, actor: Actor, prepared: list[PreparedItem], *, skip: bool) -> list[PreparedItem]:
    keys = [p.key for p in prepared if p.key]
    if len(keys) != len(set(keys)):
        twice = sorted({k for k in keys if keys.count(k) > 1})
        raise InputError(_("the same key appears twice: {names}").format(names=', '.join(twice)), field="key")
    if not keys:
        return prepared
    known = app.store.existing_keys(actor.office, keys)
    if known and not skip:
        first = sorted(known)[0]
        raise InputError(_("the office already has an item with key {first!r} (item {known})").format(
                             first=first, known=known[first]), field="key")
    return [p for p in prepared if p.key not in known]


def queue_one(app: App, request: ItemRequest, *, actor: Actor | None = None) -> int:
    """Validate and queue one item (a draft when review is on); returns its id."""
    return insert(app, [prepare(app, request)], actor=actor)[0]


MAX_ROW_PROBLEMS = 200  # listed in one message; the count of the rest is given


def read_import(path: Path, *, encoding: str | None = None) -> list[tuple[int, ItemRequest]]:
    """Parse a JSON Lines, CSV or .xlsx file into (line number, request) pairs; InputError lists every bad line."""
    if not path.is_file():
        raise InputError(_("file not found: {path}").format(path=path))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows, problems = _xlsx_rows(path)
    else:
        text = decode_text(_read(path), source=str(path), encoding=encoding)
        is_jsonl = path.suffix.lower() in (".jsonl", ".ndjson", ".json") or text.lstrip().startswith("{")
        rows, problems = _jsonl_rows(text) if is_jsonl else _csv_rows(text, path)
    requests = []
    for line, row in rows:
        try:
            requests.append((line, _request_from_row(row, path, line)))
        except InputError as exc:
            problems.append((line, str(exc)))
    if problems:
        raise row_problems(path, problems)
    if not requests:
        raise InputError(_("{path}: no items in the file").format(path=path))
    return requests


def row_problems(path: Path, problems: list[tuple[int, str]]) -> InputError:
    """One InputError listing every bad line of an import (nothing was queued)."""
    problems = sorted(problems)
    lines = [_("line {line}: {message}").format(line=line, message=message) if line else message
             for line, message in problems[:MAX_ROW_PROBLEMS]]
    if len(problems) > MAX_ROW_PROBLEMS:
        lines.append(_("… and {count} more").format(count=len(problems) - MAX_ROW_PROBLEMS))
    return InputError(_("{path}: {count} bad row(s), nothing was queued:").format(path=path, count=len(problems))
                      + "\n  " + "\n  ".join(lines))


def _refuse_constant(name: str) -> Any:
    raise ValueError(_('{name} is not a value (write numbers as text, e.g. "1")').format(name=name))


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(_("{text} is too large a number (write it as text in quotes)").format(text=text))
    return value


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(_("duplicate key {key!r}").format(key=key))
        seen[key] = value
    return seen


def _jsonl_rows(text: str) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    rows, problems = [], []
    for number, line in enumerate(text.split("\n"), 1):  # not splitlines(): U+2028 and \x85 may sit inside strings
        if not line.strip():
            continue
        try:
            row = json.loads(line, object_pairs_hook=_unique_pairs, parse_constant=_refuse_constant,
                             parse_float=_finite_float)
        except json.JSONDecodeError as exc:
            problems.append((number, _("not valid JSON ({msg})").format(msg=exc.msg)))
            continue
        except (ValueError, RecursionError) as exc:
            problems.append((number, str(exc) if not isinstance(exc, RecursionError) else _("nested too deeply")))
            continue
        if not isinstance(row, dict):
            problems.append((number, _("each line must be a JSON object")))
            continue
        rows.append((number, row))
    return rows, problems


def _check_header(names: list[Any]) -> list[str]:
    """Problems of a CSV or sheet header: unknown and repeated columns."""
    cleaned = [str(n).strip() for n in names if n is not None and str(n).strip()]
    problems = []
    unknown = [n for n in cleaned if n not in FIELDS]
    if unknown:
        problems.append(_("unknown column(s) {names} (known: {known})").format(
                            names=', '.join(unknown), known=', '.join(FIELDS)))
    twice = sorted({n for n in cleaned if cleaned.count(n) > 1})
    if twice:
        problems.append(_("column(s) {names} appear more than once").format(names=', '.join(twice)))
    return problems


def _csv_rows(text: str, path: Path) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise InputError(_("{path}: line 1: not a CSV header ({exc})").format(path=path, exc=exc)) from None
    if not fieldnames:
        raise InputError(_("{path}: empty CSV file").format(path=path))
    header = _check_header(list(fieldnames))
    if header:
        raise InputError(_("{path}: line 1: {problems}").format(path=path, problems="; ".join(header)))
    rows, problems = [], []
    try:
        for row in reader:
            if row.get(None):
                problems.append((reader.line_num, _("more fields than the header's {count} "
                                                    "(put a value containing a comma in double quotes)").format(
                                                      count=len(fieldnames))))
                continue
            rows.append((reader.line_num, {k.strip(): v for k, v in row.items() if k and v not in (None, "")}))
    except csv.Error as exc:
        problems.append((reader.line_num, _("not valid CSV ({exc})").format(exc=exc)))
    return rows, problems


def _xlsx_rows(path: Path) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    """The first sheet of a workbook: row 1 names the columns, like a CSV header."""
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(_("{path}: not an Excel .xlsx workbook ({kind})").format(
                             path=path, kind=type(exc).__name__)) from None
    try:
        sheet = book.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        header = next(values, None)
        if not header or not any(h is not None for h in header):
            raise InputError(_("{path}: the first sheet is empty (row 1 names the columns)").format(path=path))
        problems = _check_header(list(header))
        if problems:
            raise InputError(_("{path}: line 1: {problems}").format(path=path, problems="; ".join(problems)))
        names = [str(h).strip() if h is not None else None for h in header]
        rows = []
        for number, cells in enumerate(values, 2):
            row = {}
            for name, cell in zip(names, cells):
                if name is None or cell is None or (isinstance(cell, str) and not cell.strip()):
                    continue
                row[name] = cell.isoformat() if isinstance(cell, datetime) else cell
            if row:
                rows.append((number, row))
        return rows, []
    finally:
        book.close()


def _request_from_row(row: dict, path: Path, line: int) -> ItemRequest:
    unknown = [k for k in row if k not in FIELDS]
    if unknown:
        raise InputError(_("unknown field(s) {names} (known: {known})").format(
                             names=', '.join(unknown), known=', '.join(FIELDS)))
    for key, value in row.items():
        values = value if key in ("channels", "attach") and isinstance(value, list) else [value]
        if any(isinstance(v, float) and not math.isfinite(v) for v in values):
            raise InputError(_("{key} must be text, not a number that is not finite").format(key=key))
        if key != "options" and not all(v is None or isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                        for v in values):
            raise InputError(_("{key} must be text, not {value}").format(
                                 key=key, value=json.dumps(value, ensure_ascii=False)))

    def as_list(value: Any) -> list[str]:
        if value is None:
            return []
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
        return [v.strip() for v in re.split(r"[;|]", str(value)) if v.strip()]

    options = row.get("options") or {}
    if isinstance(options, str):
        try:
            options = json.loads(options)
        except json.JSONDecodeError:
            options = parse_options(as_list(options))
    if not isinstance(options, dict) or not all(isinstance(v, dict) for v in options.values()):
        raise InputError(_('options must be an object like {{"wechat": {{"title": "..."}}}}'))
    return ItemRequest(
        title=_str(row.get("title")), category=_str(row.get("category")), body=_str(row.get("body")),
        body_file=_str(row.get("body_file")), channels=as_list(row.get("channels")), at=_str(row.get("at")),
        department=_str(row.get("department")) or "", attach=as_list(row.get("attach")),
        summary=_str(row.get("summary")) or "", author=_str(row.get("author")) or "", options=options,
        encoding=_str(row.get("encoding")), key=_str(row.get("key")), base_dir=path.parent,
    )


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def import_file(app: App, path: Path, *, encoding: str | None = None, again: bool = False,
                actor: Actor | None = None) -> list[int]:
    """Queue every item of a file, or none: the first bad row is named and nothing is written.

    A file imported before (the same bytes) is refused unless ``again``; rows whose key the office already
    has are left out either way.
    """
    actor = actor or app.current_actor()
    digest = hashlib.sha256(_read(path)).hexdigest() if path.is_file() else None
    earlier = app.store.earlier_import(actor.office, digest) if digest else None
    if earlier and not again:
        raise Refused("imported_before", _("{name} was imported on {at:%Y-%m-%d %H:%M} UTC by {actor} ({count} "
                                           "items); give --again to import it again").format(
                                             name=path.name,
                                             at=earlier['at'],
                                             actor=earlier['actor'],
                                             count=earlier['count']))
    prepared, problems = [], []
    for line, request in read_import(path, encoding=encoding):
        try:
            prepared.append(prepare(app, request))
        except InputError as exc:
            problems.append((line, str(exc)))
    if problems:
        raise row_problems(path, problems)
    return insert(app, prepared, source=f"import {path.name}", actor=actor, skip_existing_keys=True,
                  imported={"file": path.name, "sha256": digest, "again": again or None})
