"""Reading files of parties: formats, encodings, delimiters, columns, and rows that cannot be read."""

import codecs
import json
from pathlib import Path
from typing import Any

import pytest

from redflags.batch.columns import detect_columns
from redflags.batch.inputs import open_input
from redflags.exc import InputError

HEADER = "id,name,country\n"
ROWS = "1,杭州海康威视数字技术股份有限公司,CN\n2,Société Générale,FR\n"


def read(path: Path, **kw: Any) -> tuple[Any, list[Any]]:
    opened = open_input(path, **kw)
    try:
        return opened, list(opened.rows())
    finally:
        opened.close()


@pytest.mark.parametrize("encoding, data, detected", [
    ("utf-8", (HEADER + ROWS).encode("utf-8"), "utf-8"),
    ("utf-8 with BOM", codecs.BOM_UTF8 + (HEADER + ROWS).encode("utf-8"), "utf-8-sig"),
    ("utf-16", (HEADER + ROWS).encode("utf-16"), "utf-16"),
    ("gb18030", (HEADER + "1,杭州海康威视数字技术股份有限公司,CN\n2,浙江大华技术股份有限公司,CN\n" * 20).encode("gb18030"),
     "gb18030"),
])
def test_encodings_are_detected(tmp_path: Path, encoding: str, data: bytes, detected: str) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    opened, rows = read(path)
    assert opened.encoding == detected
    assert opened.columns == ["id", "name", "country"]
    assert rows[0].values["name"] == "杭州海康威视数字技术股份有限公司"
    assert all(r.error is None for r in rows)


def test_latin1_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes((HEADER + "2,Société Générale Côte d'Ivoire,FR\n3,Müller Bäckerei GmbH,DE\n" * 5).encode("latin-1"))
    opened, rows = read(path)
    assert opened.encoding_detected_by == "charset-normalizer"
    assert rows[0].values["name"] == "Société Générale Côte d'Ivoire"
    assert rows[1].values["name"] == "Müller Bäckerei GmbH"


@pytest.mark.parametrize("delimiter", [";", "\t", "|", ","])
def test_delimiters_are_detected(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text(f"Vendor ID{delimiter}Supplier Name{delimiter}Country\nV1{delimiter}Acme, Inc.{delimiter}US\n"
                    if delimiter != "," else 'Vendor ID,Supplier Name,Country\nV1,"Acme, Inc.",US\n', encoding="utf-8")
    opened, rows = read(path)
    assert opened.delimiter == delimiter
    assert rows[0].values == {"Vendor ID": "V1", "Supplier Name": "Acme, Inc.", "Country": "US"}


def test_bad_rows_are_kept_as_errors_with_their_line(tmp_path: Path) -> None:
    # Past the 64 KB the encoding is detected from, a byte that is not UTF-8 is that row's error.
    filler = "".join(f"{n},Filler Company {n},US\n" for n in range(4, 3004)).encode()
    path = tmp_path / "in.csv"
    path.write_bytes(b"id,name,country\n1,Good One,US\n2,Too,Many,Fields,Here\n3,Short\n" + filler
                     + b"9998,Bad \xff\xfe bytes,US\n9999,Good Two,US\n")
    opened, rows = read(path)
    assert opened.encoding == "utf-8"
    assert len(rows) == 3005 and rows[-1].row == 3005
    assert rows[0].error is None and rows[-1].error is None
    assert rows[1].error == "line 3: 5 fields where the header has 3"
    assert rows[1].values["_extra"] == "Fields,Here"
    assert rows[2].error == "line 4: 2 fields where the header has 3"
    assert rows[-2].error == "line 3005: column 'name': bytes that are not valid utf-8"
    assert rows[-2].values["name"] == "Bad \ufffd\ufffd bytes"


def test_invalid_utf8_in_a_small_file_is_read_as_a_legacy_encoding(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b"id,name\n1,Caf\xe9 de Paris\n")
    opened, rows = read(path)
    assert opened.encoding == "cp1252"
    assert rows[0].values["name"] == "Café de Paris" and rows[0].error is None


def test_unclosed_quote_is_one_error_not_a_silent_merge(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    body = "".join(f"{n},Name {n},US\n" for n in range(3, 300))
    path.write_text(f'id,name,country\n1,Fine,US\n2,"Unclosed,US\n{body}', encoding="utf-8")
    _opened, rows = read(path)
    assert rows[0].error is None
    assert rows[1].error.startswith("line 3: an unclosed quote at line 3 runs over")


def test_xlsx(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Supplier", "Country", "Reg No"])
    ws.append(["Hangzhou Hikvision Digital Technology Co., Ltd.", "CN", 913300007519])
    ws.append([None, None, None])
    ws.append(["Dahua", "CN", None])
    wb.save(tmp_path / "in.xlsx")
    opened, rows = read(tmp_path / "in.xlsx")
    assert opened.format == "xlsx" and opened.sheet == "Sheet"
    assert [r.values["Supplier"] for r in rows] == ["Hangzhou Hikvision Digital Technology Co., Ltd.", "Dahua"]
    assert rows[0].values["Reg No"] == "913300007519"


def test_jsonl_plain_and_ftm_shaped_and_broken_lines(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join([
        json.dumps({"id": "a", "name": "Acme"}),
        "{not json",
        json.dumps({"id": "b", "schema": "Company", "properties": {"name": ["Hikvision"], "country": ["cn"]}}),
        json.dumps(["a list"]),
    ]) + "\n", encoding="utf-8")
    opened, rows = read(path)
    assert opened.format == "jsonl"
    assert rows[0].values == {"id": "a", "name": "Acme"} and rows[0].error is None
    assert rows[1].error.startswith("line 2: not valid JSON") and rows[1].values["_raw"] == "{not json"
    assert rows[2].values["name"] == ["Hikvision"] and rows[2].values["schema"] == "Company"
    assert rows[3].error == "line 4: a JSON list, not an object"


def test_parquet(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"name": ["Hikvision", "Acme"], "country": ["CN", None]}), tmp_path / "in.parquet",
                   row_group_size=1)
    opened, rows = read(tmp_path / "in.parquet")
    assert opened.format == "parquet" and opened.total_rows == 2
    assert [r.values for r in rows] == [{"name": "Hikvision", "country": "CN"}, {"name": "Acme", "country": None}]


@pytest.mark.parametrize("name, content, message", [
    ("missing.csv", None, "missing.csv: no such file"),
    ("empty.csv", b"", "empty.csv: the file is empty"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old binary Excel (.xls)"),
    ("broken.xlsx", b"PK\x03\x04 not really a zip", "broken.xlsx: not a readable XLSX workbook"),
    ("broken.parquet", b"PAR1 garbage", "broken.parquet: not a readable Parquet file"),
    ("nothing.jsonl", b"[1, 2]\n", "no JSON object in the first 1,000 lines"),
    ("blank.csv", b"\n\n", "no header row"),
])
def test_unreadable_inputs_name_the_file(tmp_path: Path, name: str, content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        open_input(path)


@pytest.mark.parametrize("headers, role, expected", [
    (["Vendor No", "Supplier Name", "Country Code"], "name", ["Supplier Name"]),
    (["Vendor No", "Supplier Name", "Country Code"], "id", ["Vendor No"]),
    (["Vendor No", "Supplier Name", "Country Code"], "country", ["Country Code"]),
    (["编号", "公司名称", "国家"], "name", ["公司名称"]),
    (["编号", "公司名称", "国家"], "id", ["编号"]),
    (["Counterparty", "LEI", "Type"], "identifier", ["LEI"]),
    (["Counterparty", "LEI", "Type"], "schema", ["Type"]),
    (["name", "Chinese Name"], "alias", ["Chinese Name"]),
])
def test_columns_are_found_from_common_headers(headers: list[str], role: str, expected: list[str]) -> None:
    assert detect_columns(headers).roles[role] == expected


def test_unusable_columns_list_what_was_seen() -> None:
    with pytest.raises(InputError, match="no name column found; the columns are: 'foo', 'bar'"):
        detect_columns(["foo", "bar"], source="x.csv")
    with pytest.raises(InputError, match=r"no column 'Nmae' \(--name-column\); the columns are: 'foo', 'bar'"):
        detect_columns(["foo", "bar"], {"name": ["Nmae"]})


def test_row_to_query() -> None:
    cols = detect_columns(["Vendor ID", "Vendor Name", "Type", "Country", "VAT"])
    row_id, query, error = cols.query({"Vendor ID": "V9", "Vendor Name": "Müller", "Type": "Individual",
                                       "Country": "DE; AT", "VAT": "DE123"})
    assert (row_id, error) == ("V9", None)
    assert query == {"names": ["Müller"], "schema": "Person", "countries": ["DE", "AT"],
                     "identifiers": ["DE123"], "birth_dates": []}
    _id, _q, error = cols.query({"Vendor ID": "V10", "Vendor Name": " "})
    assert error == "no name: column 'Vendor Name' is empty"


def test_oversized_names_are_row_errors_not_a_stalled_run() -> None:
    cols = detect_columns(["name", "alias"])
    _id, query, error = cols.query({"name": "ACME " * 300, "alias": "Acme"})
    assert error == "a name of 1,499 characters; names longer than 1,000 are not screened"
    assert query is not None and len(query["names"][0]) == 101
    _id, _q, error = cols.query({"name": "Acme", "alias": ";".join(f"a{n}" for n in range(60))})
    assert error == "61 names; at most 50 per row are screened"
