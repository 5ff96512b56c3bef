"""Queue items: validate what an editor gives (fields, body, files, channel rules), then insert atomically."""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from publisher.adapter import Attachment, ItemView
from publisher.runtime.app import App
from publisher.ledger.blobs import blob_path, describe, store_file
from publisher.foundation.content import decode_text, local_images, replace_local_markers, sanitize_html
from publisher.items.documents.legacy import LEGACY_SUFFIXES
from publisher.errors import ConfigError, InputError, NotFound, PublisherError, Refused
from publisher.foundation.i18n import _, labelled, shown
from publisher.gate.invisible import invisible_in
from publisher.accounts.users import Actor
from publisher.ledger.event_kinds import EventKind

DOCUMENT_SUFFIXES = frozenset({".docx", *LEGACY_SUFFIXES})
CATALOGUE_INPUTS = ("doc_no", "written_on", "issuer", "subject", "genre", "disclosure", "disclosure_reason",
                    "interprets", "interpretation_form")
FIELDS = ("title", "category", "body", "body_file", "channels", "at", "department", "attach", "summary",
          "author", "options", "encoding", "key") + CATALOGUE_INPUTS
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
    catalogue: dict[str, Any] = field(default_factory=dict)  # 文号, 成文日期 … as given (publisher.items.catalogue)


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
    catalogue: dict[str, Any] = field(default_factory=dict)  # the item's catalogue columns
    time_given: bool = True  # False: no publish time given; it goes once approved and is never late


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
    later = naive.replace(tzinfo=tz, fold=1)
    if later.utcoffset() != when.utcoffset():  # the clocks go back over it: it happens twice
        raise InputError(_("{text!r} happens twice in {key}: the clocks go back over it (end of summer time); give "
                           "an offset: {first} or {second}").format(
                             text=text, key=tz.key, first=when.isoformat(timespec="minutes"),
                             second=later.isoformat(timespec="minutes")), field=field_name)
    return when


def prepare(app: App, request: ItemRequest) -> PreparedItem:
    """Validate one request against the config and every target channel's rules; InputError on the first problem set."""
    cfg = app.config
    title = (request.title or "").strip()
    key = (request.key or "").strip() or None
    category = (request.category or "").strip()
    closures = _closures(app)
    _refuse_closed(request.channels, closures)
    channels = list(dict.fromkeys(request.channels)) or [
        name for name in (cfg.default_channels(category) if category else []) if name not in closures]
    problems = (_title_problems(app, title) + _text_problems(request, key) + _category_problems(app, category)
                + _channel_problems(app, category, channels) + _option_problems(app, request.options, channels))
    publish_at = _publish_time(app, request, problems)
    catalogue = _catalogue_or_problem(app, request, category, problems)
    body_html, files = _body_or_problem(app, request, problems)
    if problems:
        raise InputError("; ".join(problems))
    if not body_html.strip():  # a notice may be just a title (and attachments): its text is the title
        body_html = f"<p>{_escape(title)}</p>"

    prepared = PreparedItem(title=title, category=category, body_html=body_html, publish_at=publish_at,
                            channels=channels, department=request.department.strip(), summary=request.summary.strip(),
                            author=request.author.strip(), options=request.options, files=files, key=key,
                            catalogue=catalogue, time_given=bool(str(request.at or "").strip()))
    check_channels(app, prepared)
    return prepared


def _closures(app: App) -> dict:
    """Channels being closed or closed (停更): nothing new is queued for them."""
    from publisher.db.engine import reading
    from publisher.ledger.closure_state import closure_states

    with reading(app.store.engine) as conn:
        return closure_states(conn)


def _refuse_closed(names: list[str], closures: dict) -> None:
    for name in names:
        if name in closures:
            raise Refused("channel_closed", _("channel {name!r} is being closed or closed (停更): nothing more is "
                                              "published on it").format(name=name))


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


def _catalogue_or_problem(app: App, request: ItemRequest, category: str, problems: list[str]) -> dict[str, Any]:
    from publisher.items.catalogue import catalogue_entry

    try:
        return catalogue_entry(request.catalogue, app.config, category, app.clock.now().astimezone(app.config.tz).date()
                               ).columns()
    except InputError as exc:
        problems.append(str(exc))
        return {}


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
        if path.suffix.lower() in DOCUMENT_SUFFIXES:  # Word/WPS: converted, its pictures beside it
            return _document_body(app, request, path)
        data = read_bytes(path, "body_file")
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
    return _with_files(app, request, text, base_dir)


def _document_body(app: App, request: ItemRequest, path: Path) -> tuple[str, list[dict]]:
    """A Word/WPS ``body_file`` converted in the bounded worker (the title it repeats left out)."""
    import atexit
    import shutil
    import tempfile

    from publisher.items.documents.convert import convert

    work = Path(tempfile.mkdtemp(prefix="publisher-document-"))
    atexit.register(shutil.rmtree, work, True)  # its pictures are stored when the item is inserted, later
    source = work / ("upload" + path.suffix.lower())
    shutil.copyfile(path, source)
    done = convert(source, path.name, work, title=(request.title or "").strip(), field="body_file")
    return _with_files(app, request, done.html, done.folder)


def _with_files(app: App, request: ItemRequest, text: str, base_dir: Path | None) -> tuple[str, list[dict]]:
    """The body sanitised with its local pictures and the request's attachments described as files."""
    limits = app.config.limits
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


def read_bytes(path: Path, field: str | None = None) -> bytes:
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
                    if exc.errno in (errno.ENOSPC, errno.EDQUOT):  # not the configuration's fault
                        raise PublisherError(_("the disk holding {root} is full: {filename} was not stored and "
                                               "nothing was queued; free some space and try again").format(
                                                 root=root, filename=f["filename"])) from None
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
    from publisher.ledger import index_numbers
    from publisher.review.workflow import ReviewState, initial_state

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
                review_state=state.value, findings=len(item.gate.findings) or None,
                catalogue=_checked_pair(conn, actor, item.catalogue), time_given=item.time_given)
            gate_runs.record(conn, item_id, 1, item.gate)
            if state is ReviewState.APPROVED and app.config.catalogue.assign_at == "approval":
                index_numbers.assign(app, conn, item_id, actor.name)
            ids.append(item_id)
        if imported is not None:  # in the same transaction: a file counts as imported exactly when its items do
            app.store.event(conn, EventKind.IMPORTED, actor=actor.name, office=actor.office, count=len(ids),
                            ids=[ids[0], ids[-1]] if ids else None, **imported)
    return ids


def _checked_pair(conn, actor: Actor, catalogue: dict[str, Any]) -> dict[str, Any]:
    """The catalogue columns, once the policy a 解读 names is found in the actor's office."""
    from publisher.accounts.scope import item_in_office

    if catalogue.get("interprets") is not None:
        try:
            policy = item_in_office(conn, actor, catalogue["interprets"])
        except NotFound:
            raise InputError(_("no item with id {id} in your office").format(id=catalogue["interprets"]),
                             field="interprets") from None
        if policy.get("interprets") is not None:
            raise InputError(_("item {id} is itself a 解读: name the policy it interprets").format(id=policy["id"]),
                             field="interprets")
    return catalogue


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
