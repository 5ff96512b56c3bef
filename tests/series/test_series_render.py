"""Series templates and configuration: strict rendering (never half-filled) and validation naming the key."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import yaml

from publisher.foundation.clock import SimulatedClock
from publisher.errors import ConfigError
from publisher.sandbox.server import EmulatorServer
from publisher.sandbox.waterquality import (
    WATER_QUALITY_BODY, WATER_QUALITY_TITLE, WaterQualityEmulator, example_series_yaml, sample_rows,
    write_sample_csv,
)
from publisher.series.attempt import attempt_occurrence, data_date, deadline_for
from publisher.series.errors import MissingData, RenderError
from publisher.series.models import SeriesConfig, load_series, parse_duration, parse_series_block
from publisher.series.render import cn_date, cn_datetime, cn_weekday, num, render_occurrence
from publisher.series.sources import load_rows

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2019, 3, 10)
AT_NINE = datetime(2019, 3, 10, 9, 0, tzinfo=SHANGHAI)


def series(**overrides) -> SeriesConfig:
    block = {
        "name": "wq",
        "category": "水质检测",
        "schedule": "0 9 * * *",
        "source": {"type": "csv", "path": "wq.csv", "date_column": "日期"},
        "title": WATER_QUALITY_TITLE,
        "body": WATER_QUALITY_BODY,
    }
    block.update(overrides)
    return SeriesConfig.model_validate(block)


# --- rendering ------------------------------------------------------------------------------------------

def test_water_quality_template_shows_a_table_and_the_conclusion():
    title, body = render_occurrence(series(), sample_rows(DAY), AT_NINE)
    assert title == "2019年3月10日水质检测结果公示"
    assert body.count("<tr><td>") == 10
    assert "<td>浑浊度</td><td>NTU</td><td>≤1</td>" in body
    assert "结论：所检10项指标均符合《生活饮用水卫生标准》（GB 5749-2022）要求。" in body
    assert "{{" not in body and "{%" not in body


def test_a_failing_value_is_named_in_the_conclusion():
    rows = sample_rows(DAY)
    rows[0].update({"检测值": "1.35", "是否达标": "否"})
    _, body = render_occurrence(series(), rows, AT_NINE)
    assert "结论：所检10项指标中，浑浊度未达到" in body and "均符合" not in body


def test_a_pending_value_refuses_to_render():
    rows = sample_rows(DAY, pending=["菌落总数"])
    with pytest.raises(MissingData, match="'检测值' is empty"):
        render_occurrence(series(), rows, AT_NINE)


def test_a_missing_column_or_no_rows_is_missing_data():
    rows = [{k: v for k, v in r.items() if k != "单位"} for r in sample_rows(DAY)]
    with pytest.raises(MissingData, match="no column '单位'"):
        render_occurrence(series(), rows, AT_NINE)
    with pytest.raises(MissingData, match="no rows"):
        render_occurrence(series(), [], AT_NINE)


def test_none_and_blank_values_are_missing_but_get_allows_optional_columns():
    s = series(title="{{ row.站点 }}", body="<p>{{ row.get('备注') or '无' }}</p>")
    with pytest.raises(MissingData):
        render_occurrence(s, [{"站点": None}], AT_NINE)
    with pytest.raises(MissingData):
        render_occurrence(s, [{"站点": "  "}], AT_NINE)
    assert render_occurrence(s, [{"站点": "北", "备注": ""}], AT_NINE) == ("北", "<p>无</p>")


def test_undefined_variable_is_a_render_error_not_an_empty_string():
    with pytest.raises(RenderError, match="'plant' is undefined"):
        render_occurrence(series(title="{{ plant }}水质"), sample_rows(DAY), AT_NINE)


def test_body_is_autoescaped_title_is_plain_text():
    s = series(title="{{ row.名称 }}", body="<p>{{ row.名称 }}</p>")
    title, body = render_occurrence(s, [{"名称": "A&B <script>x</script>"}], AT_NINE)
    assert title == "A&B <script>x</script>"
    assert body == "<p>A&amp;B &lt;script&gt;x&lt;/script&gt;</p>"


def test_the_sandbox_blocks_unsafe_attributes():
    with pytest.raises(RenderError):
        render_occurrence(series(body="{{ row.__class__.__mro__ }}"), sample_rows(DAY), AT_NINE)


def test_context_and_filters():
    s = series(
        title="{{ date|cn_date }} {{ date|cn_weekday }} {{ series.category }}",
        body="<p>{{ datetime|cn_datetime }} {{ row.v|num(1) }} {{ rows|length }} {{ office }}</p>",
    )
    title, body = render_occurrence(s, [{"v": "0.25"}, {"v": "1"}], AT_NINE, data_date=date(2019, 3, 9),
                                    extra={"office": "如东县住建局"})
    assert title == "2019年3月9日 星期六 水质检测"
    assert body == "<p>2019年3月10日 09:00 0.2 2 如东县住建局</p>"
    assert (cn_date(DAY), cn_weekday(DAY), num("未检出"), cn_datetime(AT_NINE)) == (
        "2019年3月10日", "星期日", "未检出", "2019年3月10日 09:00")


def test_example_yaml_validates_and_renders_from_the_emulator():
    configured = load_series(yaml.safe_load(example_series_yaml())["series"])
    wq = configured["water_quality"]
    assert (wq.name, wq.category, wq.source.type, wq.data_deadline.total_seconds()) == ("water_quality", "水质检测", "http", 21600)
    emulator = WaterQualityEmulator(available_until=DAY)
    with EmulatorServer(emulator) as server:
        source = wq.source.model_copy(update={"url": server.url + "/water-quality"})
        rows = load_rows(source, DAY, mode=wq.rows)
        title, body = render_occurrence(wq, rows, AT_NINE)
    assert title == "2019年3月10日水质检测结果公示"
    assert "均符合" in body and "城北水厂出厂水" in body


# --- configuration --------------------------------------------------------------------------------------

def problems(blocks, **kwargs) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_series(blocks, **kwargs)
    return caught.value.problems


def block(**overrides):
    data = {
        "category": "水质检测",
        "schedule": "0 9 * * *",
        "source": {"type": "csv", "path": "wq.csv", "date_column": "日期"},
        "title": "{{ date|cn_date }}",
        "body": "<p>{{ row.x }}</p>",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"schedule": "0 25 * * *"}, "series.wq.schedule: hour: 25 is out of range 0-23"),
        ({"schedule": "0 9 31 2 *"}, "series.wq.schedule: '0 9 31 2 *' never fires"),
        ({"title": "{{ date|cn_date }"}, "series.wq.title: template syntax error on line 1"),
        ({"body": "<p>\n{% for r in rows %}\n</p>"}, "series.wq.body: template syntax error on line 3"),
        ({"data_deadline": "soon"}, "series.wq.data_deadline: 'soon' is not a duration"),
        ({"data_retry": "0m"}, "series.wq.data_retry: must be longer than zero"),
        ({"missed": "later"}, "series.wq.missed: Input should be 'publish_late' or 'skip'"),
        ({"rows": "two"}, "series.wq.rows: Input should be 'one' or 'all'"),
        ({"colour": "red"}, "series.wq.colour: Extra inputs are not permitted"),
        ({"catch_up_limit": -1}, "series.wq.catch_up_limit: Input should be greater than or equal to 0"),
        ({"source": {"type": "csv", "path": "a.csv"}}, "series.wq.source.date_column: Field required"),
        ({"source": {"type": "csv", "path": "a.csv", "date_column": "d", "encoding": "big6"}},
         "series.wq.source.encoding: unknown encoding 'big6'"),
        ({"source": {"type": "ftp", "path": "a.csv"}}, "series.wq.source: Input tag 'ftp' found using 'type'"),
        ({"source": {"type": "excel", "path": "a.xlsx", "date_column": "d", "sheets": "x"}},
         "series.wq.source.sheets: Extra inputs are not permitted"),
        ({"source": {"type": "http", "url": "ftp://x/y", "date_param": "date"}}, "series.wq.source.url: must be an http"),
        ({"source": {"type": "http", "url": "http://x/{day}", "date_param": "date"}},
         "series.wq.source.url: the only placeholder allowed is {date}"),
        ({"source": {"type": "http", "url": "http://x/all"}}, "series.wq.source: say how to select the day"),
        ({"body": None}, "series.wq: give exactly one of body or body_file"),
        ({"category": ""}, "series.wq.category: String should have at least 1 character"),
    ],
)
def test_config_problems_name_the_key(overrides, expected):
    found = problems({"wq": block(**overrides)})
    assert any(p.startswith(expected) for p in found), found


def test_every_problem_of_every_series_is_reported():
    found = problems({"a": block(schedule="bad"), "b": block(title="{% if %}"), "c": "nonsense", "d": block(name="e")})
    assert [p.split(":")[0] for p in found] == ["series.a.schedule", "series.b.title", "series.c", "series.d.name"]


def test_body_file_relative_to_the_config(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "wq.html").write_text(WATER_QUALITY_BODY, encoding="utf-8")
    configured = load_series({"wq": block(body=None, body_file="templates/wq.html")}, base_dir=tmp_path)
    wq = configured["wq"]
    assert wq.body_file == tmp_path / "templates" / "wq.html"
    assert wq.source.path == tmp_path / "wq.csv"
    assert "结论" in render_occurrence(wq, sample_rows(DAY), AT_NINE)[1]
    (tmp_path / "bad.html").write_text("<p>\n{{ row.x }\n</p>", encoding="utf-8")
    found = problems({"wq": block(body=None, body_file="bad.html")}, base_dir=tmp_path)
    assert found[0].startswith("series.wq.body_file: ") and "template syntax error on line 2" in found[0]
    assert problems({"wq": block(body=None, body_file="none.html")}, base_dir=tmp_path)[0].endswith("none.html: no such file")
    assert "exactly one" in problems({"wq": block(body_file="templates/wq.html")}, base_dir=tmp_path)[0]


@pytest.mark.parametrize(
    "text, seconds",
    [("6h", 21600), ("15m", 900), ("1h30m", 5400), ("2d", 172800), ("90s", 90), ("90", 90), (300, 300),
     ("PT6H", 21600), ("P1DT2H", 93600), ("pt15m", 900), ("1.5h", 5400)],
)
def test_durations(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "6x", "P", "PT", "h", "-5m", True])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_defaults():
    wq = load_series({"wq": block()})["wq"]
    assert (wq.missed, wq.catch_up_limit, wq.rows, wq.enabled, wq.channels) == ("publish_late", 31, "all", True, None)
    assert (wq.data_deadline.total_seconds(), wq.data_retry.total_seconds()) == (6 * 3600, 900)
    assert wq.source.encoding == "utf-8-sig"


def test_parse_series_block_checks_categories_and_channels():
    found: list[str] = []
    blocks = {"wq": block(channels=["website", "wechat", "fax"]), "bad": block(schedule="nope"),
              "other": block(category="天气")}
    parsed = parse_series_block(blocks, ["水质检测"], {"website": {"type": "cms"}, "wechat": {"type": "wechat",
                                "enabled": False}}, found)
    assert sorted(parsed) == ["other", "wq"]
    assert found[0].startswith("series.bad.schedule:")
    assert "series.wq.channels[1]: channel 'wechat' is disabled (enabled: false)" in found
    assert "series.wq.channels[2]: channel 'fax' is not defined under channels" in found
    assert "series.other.category: '天气' is not a configured category" in found


# --- one try at an occurrence: late data and the deadline ----------------------------------------------

def test_late_data_waits_then_publishes():
    wq = load_series(yaml.safe_load(example_series_yaml())["series"])["water_quality"]
    scheduled = AT_NINE.astimezone(timezone.utc)
    clock = SimulatedClock(scheduled)
    # the lab publishes a day's results at 11:00 local
    emulator = WaterQualityEmulator(available_until=lambda: (clock.now() - timedelta(hours=11)).astimezone(SHANGHAI).date())
    with EmulatorServer(emulator) as server:
        wq = wq.model_copy(update={"source": wq.source.model_copy(update={"url": server.url + "/water-quality"})})
        deadline = deadline_for(wq, scheduled, created_at=scheduled)
        assert deadline == scheduled + timedelta(hours=6)
        first = attempt_occurrence(wq, scheduled, SHANGHAI, now=clock.now(), deadline_at=deadline)
        assert (first.status, first.kind) == ("waiting", "missing_data")
        assert first.next_try_at == scheduled + timedelta(minutes=15) and "2019-03-10" in first.error
        clock.set(scheduled + timedelta(hours=2))
        second = attempt_occurrence(wq, scheduled, SHANGHAI, now=clock.now(), deadline_at=deadline)
    assert second.status == "ready" and second.rows == 10
    assert second.title == "2019年3月10日水质检测结果公示" and "均符合" in second.body_html


def test_missing_data_at_the_deadline_is_a_visible_failure(tmp_path):
    path = write_sample_csv(tmp_path / "wq.csv", date(2019, 3, 1), DAY)
    wq = load_series({"wq": block(source={"type": "csv", "path": str(path), "date_column": "日期"},
                                  body=WATER_QUALITY_BODY, data_retry="1h")})["wq"]
    scheduled = datetime(2019, 3, 11, 9, 0, tzinfo=SHANGHAI).astimezone(timezone.utc)
    deadline = deadline_for(wq, scheduled, scheduled)
    near = attempt_occurrence(wq, scheduled, SHANGHAI, now=deadline - timedelta(minutes=20), deadline_at=deadline)
    assert near.status == "waiting" and near.next_try_at == deadline  # one last try exactly at the deadline
    final = attempt_occurrence(wq, scheduled, SHANGHAI, now=deadline, deadline_at=deadline)
    assert (final.status, final.kind) == ("missing_data", "missing_data")
    assert final.error.startswith("missing data: ") and "gave up at the deadline" in final.error
    # a catch-up created two days later gets its full window
    late = datetime(2019, 3, 13, 8, 0, tzinfo=timezone.utc)
    assert deadline_for(wq, scheduled, late) == late + timedelta(hours=6)


def test_half_filled_data_is_never_published_and_template_errors_fail_at_once(tmp_path):
    emulator = WaterQualityEmulator(pending={DAY: ["菌落总数"]})
    with EmulatorServer(emulator) as server:
        wq = load_series({"wq": block(source={"type": "http", "url": server.url + "/water-quality",
                                              "date_param": "date"}, body=WATER_QUALITY_BODY)})["wq"]
        scheduled = AT_NINE.astimezone(timezone.utc)
        deadline = deadline_for(wq, scheduled, scheduled)
        half = attempt_occurrence(wq, scheduled, SHANGHAI, now=scheduled, deadline_at=deadline)
        assert half.status == "waiting" and "'检测值' is empty" in half.error
        assert attempt_occurrence(wq, scheduled, SHANGHAI, now=deadline, deadline_at=deadline).status == "missing_data"
        broken = wq.model_copy(update={"title": "{{ plant }}"})
        failed = attempt_occurrence(broken, scheduled, SHANGHAI, now=scheduled, deadline_at=deadline)
        assert (failed.status, failed.kind) == ("failed", "template_error")
        emulator.faults.add("status", status=502)
        down = attempt_occurrence(wq, scheduled, SHANGHAI, now=scheduled, deadline_at=deadline)
        assert (down.status, down.kind) == ("waiting", "source_unavailable")


def test_data_date_offset_publishes_yesterdays_results(tmp_path):
    path = write_sample_csv(tmp_path / "wq.csv", date(2019, 3, 9), date(2019, 3, 9))
    wq = load_series({"wq": block(source={"type": "csv", "path": str(path), "date_column": "日期"},
                                  title=WATER_QUALITY_TITLE, body=WATER_QUALITY_BODY, data_date_offset=-1)})["wq"]
    scheduled = AT_NINE.astimezone(timezone.utc)
    assert data_date(wq, scheduled, SHANGHAI) == date(2019, 3, 9)
    done = attempt_occurrence(wq, scheduled, SHANGHAI, now=scheduled, deadline_at=scheduled + timedelta(hours=1))
    assert done.status == "ready" and done.title == "2019年3月9日水质检测结果公示"
