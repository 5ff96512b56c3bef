"""Warnings for the office to explain in section 五: idle channels and columns, late answers, unfilled cells."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Callable

from publisher.report.settings import ReportSettings, idle_limit

DEFAULT_NEW_MEDIA_LIMIT = "14d"  # new-media accounts: two weeks without a post fails an inspection


def idle_warnings(times_of: Callable[[str, str], list[datetime]], config, settings: ReportSettings, year: int,
                  now: datetime) -> list[str]:
    """Gaps longer than the configured limit between publications of a channel or a category (office time).

    ``times_of(what, key)`` gives the publication times (UTC, oldest first) of a channel or a category.
    """
    tz = config.tz
    start = datetime(year, 1, 1, tzinfo=tz)
    end = min(datetime(year + 1, 1, 1, tzinfo=tz), now.astimezone(tz))
    if end <= start:
        return []
    limits: list[tuple[str, str, str]] = []  # (what, key, limit)
    channels = dict(settings.idle.channels)
    for name, ch in config.channels.items():
        if ch.count_in_report and ch.type == "wechat":
            channels.setdefault(name, DEFAULT_NEW_MEDIA_LIMIT)
    limits += [("channel", name, text) for name, text in channels.items()]
    limits += [("category", name, text) for name, text in settings.idle.categories.items()]
    out = []
    for what, key, text in limits:
        limit = idle_limit(text)
        if what == "channel":
            label = (config.channels[key].display_name if key in config.channels else None) or key
        else:
            label = f"“{key}”栏目"
        for gap_start, gap_end in _long_gaps(start, times_of(what, key), end, limit):
            out.append(f"{label}自{gap_start:%Y-%m-%d}至{gap_end:%Y-%m-%d}连续{(gap_end - gap_start).days}天未更新"
                       f"（检查标准：{limit.days}天）")
    return out


def _long_gaps(start: datetime, times: list[datetime], end: datetime, limit: timedelta):
    """Consecutive points (office time) further apart than ``limit`` on the office's clock.

    Gaps are measured in UTC first; only a gap within a day of the limit (a DST change shifts the local clock by
    an hour or so) is converted to office time, so the year's times are never converted one by one.
    """
    tz = start.tzinfo
    near = limit - timedelta(days=1)
    points = [start] + times + [end]
    for a, b in zip(points, points[1:]):
        if b - a > near:
            a, b = a.astimezone(tz), b.astimezone(tz)
            if b - a > limit:
                yield a, b


def late_warnings(register, year: int) -> list[str]:
    """Applications answered after their deadline in ``year``, or open past it at year end."""
    end = date(year, 12, 31)
    out = []
    for a in register:
        if a.due_on is None:
            continue  # the clock is paused (补正, 第三方, 收费)
        mark = "" if a.due_known else "（节假日安排未知）"
        if a.closed_on is not None and a.closed_on.year == year and a.closed_on > a.due_on:
            out.append(f"依申请公开第{a.id}号（{a.received_on}收到）于{a.closed_on}答复，超过期限{a.due_on}{mark}")
        elif (a.closed_on is None or a.closed_on > end) and a.received_on <= end and a.due_on < end:
            out.append(f"依申请公开第{a.id}号（{a.received_on}收到）年底仍未答复，已超过期限{a.due_on}{mark}")
    return out


def unfilled_warning(cells: list[str]) -> list[str]:
    """Table 二 cells with no source (written as 0)."""
    return [f"表二以下单元格没有数据来源，按0填写：{'、'.join(cells)}"] if cells else []




def record_warnings(summary: dict) -> list[str]:
    """Late publications (条例 第二十六条: 20 working days, for section 五) and the 解读 of policies."""
    out = []
    late = summary["late_publications"]
    if late:
        out.append(f"{len(late)}件政府信息自成文之日起超过20个工作日才公开（条例第二十六条）："
                   + "、".join(f"第{r['id']}号（成文{r['written_on']}，公开{r['published_on']}）" for r in late[:10])
                   + ("等" if len(late) > 10 else ""))
    j = summary["interpretations"]
    if j["without"]:
        out.append(f"{len(j['without'])}件政策文件尚无解读：" + "、".join(f"第{p['id']}号" for p in j["without"][:10]))
    if j["late"]:
        out.append(f"{len(j['late'])}件解读晚于政策文件公开后3个工作日："
                   + "、".join(f"第{r['id']}号（应于{r['due']}前）" for r in j["late"][:10]))
    return out
