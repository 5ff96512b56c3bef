"""Series data sources: CSV (UTF-8, GBK), Excel, HTTP JSON/CSV over loopback; missing data vs broken sources."""

from __future__ import annotations

import socket
from datetime import date, datetime

import pytest
import requests
from openpyxl import Workbook
from pydantic import TypeAdapter

from publisher.sandbox.server import Emulator, EmulatorServer, json_response
from publisher.sandbox.waterquality import (
    COLUMNS, PARAMETERS, WaterQualityEmulator, meets_standard, sample_rows, write_sample_csv, write_sample_xlsx,
)
from publisher.series.errors import MissingData, SourceError, SourceUnavailable
from publisher.series.models import Source
from publisher.series.sources import load_rows, parse_date

DAY = date(2019, 3, 10)
_SOURCE = TypeAdapter(Source)


def source(**block):
    return _SOURCE.validate_python(block)


# --- dates ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "value",
    ["2019-03-10", "2019/3/10", "2019.3.10", "2019年3月10日", "2019 年 3 月 10 日", "20190310", "2019-03-10 09:00:00",
     "2019-03-10T09:00:00+08:00", " 2019-3-10 ", date(2019, 3, 10), datetime(2019, 3, 10, 8, 0), 20190310],
)
def test_parse_date_accepts_common_forms(value):
    assert parse_date(value) == DAY


@pytest.mark.parametrize("value", ["", None, "2019-02-30", "3/10/2019", "水质", 3.5, "2019-03-101"])
def test_parse_date_rejects_the_rest(value):
    assert parse_date(value) is None


def test_parse_date_with_explicit_format():
    assert parse_date("10.03.2019", "%d.%m.%Y") == DAY
    assert parse_date("2019-03-10", "%d.%m.%Y") is None


# --- CSV ------------------------------------------------------------------------------------------------

def test_csv_utf8_selects_the_days_rows(tmp_path):
    path = write_sample_csv(tmp_path / "wq.csv", date(2019, 3, 1), date(2019, 3, 31))
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel-friendly BOM
    rows = load_rows(source(type="csv", path=path, date_column="日期"), DAY)
    assert [r["检测项目"] for r in rows] == [p.name for p in PARAMETERS]
    assert rows == sample_rows(DAY)
    one = load_rows(source(type="csv", path=path, date_column="日期"), DAY, mode="one")
    assert one == rows[:1]


def test_csv_gbk_with_encoding(tmp_path):
    path = write_sample_csv(tmp_path / "wq.csv", DAY, DAY, encoding="gbk")
    rows = load_rows(source(type="csv", path=path, date_column="日期", encoding="gbk"), DAY)
    assert rows[0]["水厂"] == "城北水厂"
    assert load_rows(source(type="csv", path=path, date_column="日期", encoding="gb18030"), DAY) == rows


def test_csv_in_gbk_read_as_utf8_names_file_and_line(tmp_path):
    path = tmp_path / "lab.csv"
    path.write_bytes("date,item,value\n2019-03-10,pH,7.1\n2019-03-10,浑浊度,0.3\n".encode("gbk"))
    with pytest.raises(SourceError) as caught:
        load_rows(source(type="csv", path=path, date_column="date"), DAY)
    message = str(caught.value)
    assert str(path) in message and "line 3" in message and "gb18030" in message


def test_csv_chinese_date_formats_and_blank_lines(tmp_path):
    path = tmp_path / "lab.csv"
    path.write_text("日期,项目,数值\n2019年3月9日,pH,7.0\n2019年3月10日,pH,7.2\n,,\n2019/3/10,浑浊度,0.31\n", encoding="utf-8")
    rows = load_rows(source(type="csv", path=path, date_column="日期"), DAY)
    assert [(r["项目"], r["数值"]) for r in rows] == [("pH", "7.2"), ("浑浊度", "0.31")]


def test_csv_no_rows_for_the_day_is_missing_data(tmp_path):
    path = write_sample_csv(tmp_path / "wq.csv", date(2019, 3, 1), date(2019, 3, 9))
    with pytest.raises(MissingData, match="no rows for 2019-03-10"):
        load_rows(source(type="csv", path=path, date_column="日期"), DAY)


def test_csv_unparseable_dates_are_explained(tmp_path):
    path = tmp_path / "lab.csv"
    path.write_text("日期,pH\n10.03.2019,7.2\n", encoding="utf-8")
    with pytest.raises(MissingData, match="does not match any known date format, e.g. '10.03.2019'"):
        load_rows(source(type="csv", path=path, date_column="日期"), DAY)
    rows = load_rows(source(type="csv", path=path, date_column="日期", date_format="%d.%m.%Y"), DAY)
    assert rows == [{"日期": "10.03.2019", "pH": "7.2"}]


def test_csv_missing_file_and_missing_column_are_source_errors(tmp_path):
    with pytest.raises(SourceError, match="nope.csv: no such file"):
        load_rows(source(type="csv", path=tmp_path / "nope.csv", date_column="日期"), DAY)
    path = write_sample_csv(tmp_path / "wq.csv", DAY, DAY)
    with pytest.raises(SourceError, match="no column '采样日期'.*columns: 日期, 水厂"):
        load_rows(source(type="csv", path=path, date_column="采样日期"), DAY)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(SourceError, match="empty"):
        load_rows(source(type="csv", path=empty, date_column="日期"), DAY)


# --- Excel ----------------------------------------------------------------------------------------------

def test_excel_sample_with_date_cells(tmp_path):
    path = write_sample_xlsx(tmp_path / "wq.xlsx", date(2019, 3, 1), date(2019, 3, 31))
    rows = load_rows(source(type="excel", path=path, date_column="日期"), DAY)
    assert len(rows) == len(PARAMETERS)
    assert isinstance(rows[0]["日期"], datetime) and rows[0]["日期"].date() == DAY
    assert [r["检测值"] for r in rows] == [r["检测值"] for r in sample_rows(DAY)]


def test_excel_text_dates_serials_title_row_and_named_sheet(tmp_path):
    workbook = Workbook()
    workbook.active.title = "说明"
    sheet = workbook.create_sheet("化验")
    sheet.append(["城北水厂出厂水化验记录"])  # a title above the headings
    sheet.append(["日期", "项目", "数值"])
    sheet.append(["2019年3月10日", "pH", 7.2])
    sheet.append([43534, "浑浊度", 0.31])  # 2019-03-10 as an unformatted serial number
    sheet.append([None, None, None])
    sheet.append(["2019/3/11", "pH", 7.3])
    path = tmp_path / "lab.xlsx"
    workbook.save(path)
    block = dict(type="excel", path=path, sheet="化验", date_column="日期", header_row=2)
    rows = load_rows(source(**block), DAY)
    assert [(r["项目"], r["数值"]) for r in rows] == [("pH", 7.2), ("浑浊度", 0.31)]
    with pytest.raises(SourceError, match="no sheet '结果' \\(sheets: 说明, 化验\\)"):
        load_rows(source(**{**block, "sheet": "结果"}), DAY)
    with pytest.raises(MissingData):
        load_rows(source(**block), date(2019, 3, 12))


def test_excel_broken_or_missing_workbook(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"this is not a zip file")
    with pytest.raises(SourceError, match="bad.xlsx: not a readable .xlsx workbook"):
        load_rows(source(type="excel", path=bad, date_column="日期"), DAY)
    with pytest.raises(SourceError, match="no such file"):
        load_rows(source(type="excel", path=tmp_path / "none.xlsx", date_column="日期"), DAY)


# --- HTTP -----------------------------------------------------------------------------------------------

@pytest.fixture
def plant():
    emulator = WaterQualityEmulator(available_until=DAY)
    with EmulatorServer(emulator) as server:
        yield emulator, server.url


def http(url, **extra):
    return source(type="http", url=url, date_param="date", date_column="日期", timeout=5, **extra)


def test_http_json_from_the_water_quality_emulator(plant):
    emulator, url = plant
    rows = load_rows(http(url + "/water-quality"), DAY)
    assert rows == sample_rows(DAY)
    assert emulator.served == {"2019-03-10": 1}


def test_http_late_data_is_missing_until_published(plant):
    emulator, url = plant
    later = date(2019, 3, 11)
    with pytest.raises(MissingData, match="HTTP 404"):
        load_rows(http(url + "/water-quality"), later)
    emulator.missing = "empty"
    with pytest.raises(MissingData, match="no rows for 2019-03-11"):
        load_rows(http(url + "/water-quality"), later)
    emulator.available_until = lambda: later  # the lab publishes the day
    assert len(load_rows(http(url + "/water-quality"), later)) == len(PARAMETERS)


def test_http_csv_utf8_and_gbk(plant):
    _, url = plant
    rows = load_rows(http(url + "/water-quality.csv", format="csv"), DAY)
    assert rows == sample_rows(DAY)
    gbk = http(url + "/water-quality.csv?encoding=gbk", format="csv")
    assert load_rows(gbk, DAY) == rows  # charset from Content-Type
    forced = http(url + "/water-quality.csv?encoding=gbk", format="csv", encoding="utf-8")
    with pytest.raises(SourceError, match="line 1 is not valid utf-8"):
        load_rows(forced, DAY)


def test_http_transient_failures_are_retryable(plant):
    emulator, url = plant
    emulator.faults.add("status", status=503)
    with pytest.raises(SourceUnavailable, match="HTTP 503"):
        load_rows(http(url + "/water-quality"), DAY)
    emulator.faults.add("slow", seconds=2)
    with pytest.raises(SourceUnavailable, match="no answer within 0.2s"):
        load_rows(http(url + "/water-quality").model_copy(update={"timeout": 0.2}), DAY)
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with pytest.raises(SourceUnavailable, match="cannot connect"):
        load_rows(http(dead_url + "/water-quality"), DAY)


def test_http_refusals_and_bad_shapes_are_source_errors_without_the_query(plant):
    emulator, url = plant
    emulator.faults.add("status", status=401)
    with pytest.raises(SourceError) as caught:
        load_rows(http(url + "/water-quality?token=s3cret"), DAY)
    assert "HTTP 401" in str(caught.value) and "s3cret" not in str(caught.value)
    with pytest.raises(SourceError, match="not JSON"):
        load_rows(http(url + "/water-quality.csv"), DAY)  # CSV where JSON was configured
    emulator.faults.add("status", status=200, body={"result": "ok"})
    with pytest.raises(SourceError, match="expected a JSON list of objects"):
        load_rows(http(url + "/water-quality"), DAY)


class _LabApi(Emulator):
    """A differently shaped API: the date in the path, a bare JSON list, rows without a date column."""

    def __init__(self) -> None:
        super().__init__()
        self.headers_seen: list[str | None] = []
        self.route("GET", r"/results/(?P<day>[^/]+)\.json", self._day)

    def _day(self, request):
        self.headers_seen.append(request.header("x-api-key"))
        if request.params["day"] != "20190310":
            return json_response([])
        return json_response([{"项目": "pH", "数值": 7.2}, {"项目": "浑浊度", "数值": 0.31}])


def test_http_url_template_plain_list_and_headers():
    api = _LabApi()
    with EmulatorServer(api) as server:
        block = dict(type="http", url=server.url + "/results/{date}.json", request_date_format="%Y%m%d",
                     headers={"X-Api-Key": "k1"})
        rows = load_rows(source(**block), DAY)
        assert rows == [{"项目": "pH", "数值": 7.2}, {"项目": "浑浊度", "数值": 0.31}]
        assert api.headers_seen == ["k1"]
        with pytest.raises(MissingData):
            load_rows(source(**block), date(2019, 3, 11))


def test_http_with_a_given_session(plant):
    _, url = plant
    with requests.Session() as session:
        assert load_rows(http(url + "/water-quality"), DAY, session=session, mode="one") == sample_rows(DAY)[:1]


# --- the sample data ------------------------------------------------------------------------------------

def test_sample_rows_are_deterministic_and_meet_the_standard():
    rows = sample_rows(DAY)
    assert rows == sample_rows(DAY) and rows != sample_rows(date(2019, 3, 11))
    assert list(rows[0]) == COLUMNS
    assert all(r["是否达标"] == "是" for r in rows)


@pytest.mark.parametrize(
    "name, value, ok",
    [("浑浊度", "1", True), ("浑浊度", "1.2", False), ("游离氯", "0.25", False), ("游离氯", "2", True),
     ("游离氯", "2.1", False), ("pH", "6.4", False), ("pH", "8.5", True), ("菌落总数", "101", False),
     ("总大肠菌群", "未检出", True), ("总大肠菌群", "2", False), ("肉眼可见物", "无", True), ("色度", "<5", True)],
)
def test_limits(name, value, ok):
    parameter = next(p for p in PARAMETERS if p.name == name)
    assert meets_standard(parameter, value) is ok
