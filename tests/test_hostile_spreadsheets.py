"""Hostile spreadsheets (issue 10): each file is built here, refused with a message naming the
bound it breaks, imports nothing, and costs a child Python under 300 MB and 5 s to read.

The child runs the upload pipeline's reading step (`pipeline.parse_upload`), which is everything
an upload costs before validation; validation then only sees the rows kept within the bounds.
"""

import contextlib
import html
import io
import json
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from competitions.extensions import db
from competitions.registration.models import ImportBatch
from competitions.spreadsheets import pipeline
from competitions.spreadsheets.reader import Limits, read_table
from tests import test_imports
from tests.factories import make_xlsx
from tests.test_imports import (
    count,
    error_table,
    person,
    upload,
    upload_ok,
    workers_and_entries,
)

world, as_role = test_imports.world, test_imports.as_role  # the registration tests' fixtures


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")

HEADERS = ["姓名", "身份证号码", "手机号码", "工作单位", "职业技能等级", "职业技能等级证书编号"]
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PEAK_MB, SECONDS = 300, 5.0
ROOT = Path(__file__).resolve().parent.parent


# Building workbooks by hand, part by part


def workbook_parts(sheet_xml: bytes, shared_strings: bytes | None = None) -> dict:
    """The parts of a real workbook (openpyxl's, which Excel and openpyxl open) with its first
    sheet's XML replaced, and a shared-strings table added if given."""
    base = zipfile.ZipFile(io.BytesIO(make_xlsx(HEADERS, [])))
    parts = {name: base.read(name) for name in base.namelist()}
    parts["xl/worksheets/sheet1.xml"] = sheet_xml
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = shared_strings
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>", b'<Relationship Id="rId9" Target="/xl/sharedStrings.xml" '
            b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            b'sharedStrings"/></Relationships>')
    return parts


def zipped(parts: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def header_row() -> str:
    cells = "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{text}</t></is></c>'
                    for i, text in enumerate(HEADERS))
    return f'<row r="1">{cells}</row>'


def sheet(rows: str, dimension: str = "A1:F2") -> bytes:
    return (f'<?xml version="1.0"?><worksheet xmlns="{MAIN_NS}"><dimension ref="{dimension}"/>'
            f"<sheetData>{header_row()}{rows}</sheetData></worksheet>").encode()


def deflated_member(name: str, pieces) -> tuple[bytes, bytes]:
    """A zip member written by hand from already-deflated data: (local record, central record).
    `pieces` yields (text, times): `times` copies of `text`, deflated once and repeated, so a
    gigabyte costs the test one megabyte of work."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    data, crc, size = [], 0, 0
    for text, times in pieces:
        block = compressor.compress(text) + compressor.flush(zlib.Z_FULL_FLUSH)
        data.append(block * times)  # after a full flush the same text deflates the same way
        for _ in range(times):
            crc = zlib.crc32(text, crc)
        size += len(text) * times
    data.append(compressor.flush())
    packed = b"".join(data)
    encoded = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(packed),
                        size, len(encoded), 0) + encoded + packed
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc,
                          len(packed), size, len(encoded), 0, 0, 0, 0, 0, 0) + encoded
    return local, central


def zipped_by_hand(members: list[tuple[bytes, bytes]]) -> bytes:
    out, centrals = b"", []
    for local, central in members:
        centrals.append(central[:42] + struct.pack("<I", len(out)) + central[46:])
        out += local
    directory = b"".join(centrals)
    return out + directory + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members),
                                         len(members), len(directory), len(out), 0)


# The hostile files


def gigabyte_shared_string() -> bytes:
    """One 1 GB cell, as a shared string, in a zip under 1 MB."""
    parts = workbook_parts(sheet('<row r="2"><c r="A2" t="s"><v>0</v></c></row>'), b"")
    members = [deflated_member(name, [(data, 1)]) for name, data in parts.items()
               if name != "xl/sharedStrings.xml"]
    head = f'<?xml version="1.0"?><sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>'
    members.append(deflated_member("xl/sharedStrings.xml", [
        (head.encode(), 1), (b"A" * 10_000_000, 100), (b"</t></si></sst>", 1)]))
    return zipped_by_hand(members)


def million_blank_rows() -> bytes:
    """A header, then a million rows of one blank cell each."""
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="s"><v>0</v></c></row>'
                   for n in range(2, 1_000_002))
    strings = f'<?xml version="1.0"?><sst xmlns="{MAIN_NS}"><si><t> </t></si></sst>'
    return zipped(workbook_parts(sheet(rows, "A1:F1000001"), strings.encode()))


def claims_every_row() -> bytes:
    """A sheet whose XML claims 1,048,576 rows: its dimension, and a value in the last row."""
    row = '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>张三</t></is></c></row>'
    return zipped(workbook_parts(sheet(row, "A1:F1048576")))


def not_a_workbook() -> bytes:
    return zipped({"readme.txt": b"just a zip", "word/document.xml": b"<document/>"})


def header_only() -> bytes:
    return make_xlsx(HEADERS, [])


def over_long_name() -> bytes:
    return make_xlsx(HEADERS, [person(1, name="张" * 5000)])


HOSTILE = {
    "gigabyte_shared_string": gigabyte_shared_string,
    "million_blank_rows": million_blank_rows,
    "claims_every_row": claims_every_row,
    "not_a_workbook": not_a_workbook,
    "header_only": header_only,
    "over_long_name": over_long_name,
}


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory):
    """Each hostile file, built once for both backends, as bytes and as a path."""
    folder = tmp_path_factory.mktemp("hostile")
    files = {}
    for name, build in HOSTILE.items():
        content = build()
        (folder / f"{name}.xlsx").write_bytes(content)
        files[name] = (content, folder / f"{name}.xlsx")
    return files


CHILD = """
import json, sys, time
from competitions.spreadsheets import pipeline
content = open(sys.argv[1], "rb").read()
started = time.perf_counter()
try:
    parsed = pipeline.parse_upload(content)
    outcome = f"read {len(parsed['rows'])} rows"
except pipeline.ImportRejected:
    outcome = "refused"
seconds = time.perf_counter() - started
# VmHWM, the peak resident memory of this process image: ru_maxrss would carry over the
# test runner's own peak through fork and exec.
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "outcome": outcome}))
"""


def read_in_child(path: Path) -> dict:
    """Read the file in a fresh Python, as a worker would: its peak memory and reading time."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], cwd=ROOT, check=True,
                          capture_output=True, text=True, timeout=120)
    return json.loads(done.stdout.strip().splitlines()[-1])


# The files themselves are what the issue describes


def test_the_hostile_files_are_what_they_claim(hostile_files):
    content, _ = hostile_files["gigabyte_shared_string"]
    assert len(content) < 1024 * 1024
    strings = zipfile.ZipFile(io.BytesIO(content)).getinfo("xl/sharedStrings.xml")
    assert strings.file_size > 1_000_000_000
    content, _ = hostile_files["million_blank_rows"]
    assert len(content) <= pipeline.MAX_FILE_BYTES  # so the row bound, not the size, stops it
    assert b"1048576" in zipfile.ZipFile(io.BytesIO(hostile_files["claims_every_row"][0])).read(
        "xl/worksheets/sheet1.xml")


# Each refusal names its bound; the cost stays bounded


@pytest.mark.parametrize("name, outcome", [
    ("gigabyte_shared_string", "refused"), ("million_blank_rows", "refused"),
    ("claims_every_row", "refused"), ("not_a_workbook", "refused"),
    ("header_only", "read 0 rows"), ("over_long_name", "read 1 rows")])
def test_reading_a_hostile_file_stays_under_300_mb_and_5_s(hostile_files, name, outcome):
    figures = read_in_child(hostile_files[name][1])
    print(f"{name}: {figures}")  # pytest -s shows the measured figures
    assert figures["outcome"] == outcome
    assert figures["peak_mb"] < PEAK_MB, figures
    assert figures["seconds"] < SECONDS, figures


@pytest.mark.parametrize("name, bound", [
    ("gigabyte_shared_string", "Unpacked, the spreadsheet's text would take 954 MB; at most 16 "
                               "MB is read."),
    ("million_blank_rows", "A file may hold at most 20,000 rows below the header, blank rows "
                           "included; this one goes on to row 20,002."),
    ("claims_every_row", "A file may hold at most 20,000 rows below the header, blank rows "
                         "included; this one goes on to row 1,048,576."),
    ("not_a_workbook", "The file is not an .xlsx spreadsheet.")])
def test_a_hostile_upload_is_refused_naming_the_bound(world, as_role, hostile_files, name, bound):
    started = time.perf_counter()
    response = upload(as_role("organiser"), world.event, hostile_files[name][0])
    assert time.perf_counter() - started < SECONDS
    assert response.status_code == 200  # the upload form again, with the reason
    assert bound in html.unescape(response.get_data(as_text=True))
    assert count(ImportBatch) == 0 and workers_and_entries() == (1, 0)


def test_a_header_without_rows_says_so_and_offers_no_confirm(world, as_role, hostile_files):
    client = as_role("organiser")
    batch_id = upload_ok(client, world.event, hostile_files["header_only"][0])
    page = client.get(f"/registration/imports/{batch_id}").get_data(as_text=True)
    assert error_table(page) == [("—", "Whole file", "The file has no rows below the header: "
                                  "fill in at least one row and upload it again.")]
    assert 'data-testid="import-confirm"' not in page
    response = client.post(f"/registration/imports/{batch_id}/confirm", follow_redirects=True)
    assert response.status_code == 200 and workers_and_entries() == (1, 0)


def test_an_over_long_name_is_the_row_error_the_form_gives(world, as_role, hostile_files):
    """On PostgreSQL this was "valid" at the preview and a 500 at the confirmation."""
    client = as_role("organiser")
    batch_id = upload_ok(client, world.event, hostile_files["over_long_name"][0])
    page = client.get(f"/registration/imports/{batch_id}").get_data(as_text=True)
    assert error_table(page) == [("2", "姓名", "姓名 may hold at most 50 characters; this one "
                                  "has 5000.")]
    assert 'data-testid="import-confirm"' not in page
    response = client.post(f"/registration/imports/{batch_id}/confirm", follow_redirects=True)
    assert response.status_code == 200 and workers_and_entries() == (1, 0)


def test_the_score_import_refuses_the_same_files_the_same_way(tree, login_as, hostile_files):
    from tests.factories import MarkingSetup
    setup = MarkingSetup(tree)
    db.session.commit()
    client = login_as(setup.chief)
    for name, bound in [("million_blank_rows", "this one goes on to row 20,002"),
                        ("gigabyte_shared_string", "at most 16 MB is read")]:
        response = client.post(f"/judging/events/{setup.event.id}/score-imports",
                               data={"file": (io.BytesIO(hostile_files[name][0]), "t.xlsx")},
                               content_type="multipart/form-data")
        assert response.status_code == 200
        assert bound in response.get_data(as_text=True)


# Each bound in turn, on small files


def test_a_value_past_the_last_column_is_refused_naming_it():
    content = zipped(workbook_parts(sheet(
        '<row r="2"><c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row>')))
    with pytest.raises(pipeline.ImportRejected) as refused:
        read_table(content)
    assert refused.value.message._args == ("A file may use at most %(n)d columns; row %(row)d "
                                           "has a value in column %(column)s.",)
    assert refused.value.message._kwargs == {"n": 60, "row": 2, "column": "XFD"}


def test_a_cell_longer_than_excel_allows_is_refused_naming_it():
    content = zipped(workbook_parts(sheet(
        f'<row r="3"><c r="B3" t="inlineStr"><is><t>{"x" * 40_000}</t></is></c></row>')))
    with pytest.raises(pipeline.ImportRejected) as refused:
        read_table(content)
    assert refused.value.message._kwargs == {"row": 3, "column": "B", "n": "32,767"}


def test_a_file_packed_like_a_zip_bomb_is_not_opened():
    rows = '<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 100_000
    content = zipped(workbook_parts(sheet(rows)))
    with pytest.raises(pipeline.ImportRejected) as refused:
        read_table(content, Limits(sheet_bytes=64 * 1024 * 1024, ratio=100))
    assert "packed more than" in refused.value.message._args[0]


def test_a_doctype_is_refused_so_no_entity_expands():
    bomb = ('<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            f'<worksheet xmlns="{MAIN_NS}"><sheetData>{header_row()}'
            '<row r="2"><c r="A2" t="inlineStr"><is><t>&b;</t></is></c></row>'
            '</sheetData></worksheet>')
    with pytest.raises(pipeline.ImportRejected) as refused:
        read_table(zipped(workbook_parts(bomb.encode())))
    assert "not an .xlsx" in refused.value.message._args[0]


def test_rows_are_read_as_openpyxl_wrote_them():
    content = make_xlsx(["赛位号", "T1", "备注"], [["A01", 87.5, None], [None, None, None],
                                                  ["A02", 90, "好"], ["", " ", ""]])
    table = read_table(content)
    assert table.header == ["赛位号", "T1", "备注"]
    assert table.rows == [(2, ["A01", 87.5]), (4, ["A02", 90, "好"]), (5, [None, " "])]
    assert pipeline.data_rows(table) == [(2, ["A01", 87.5, None]), (4, ["A02", 90, "好"])]


# Read once: the upload keeps the rows; the preview and the confirmation use them


def test_a_file_is_read_once_for_upload_preview_and_confirmation(world, as_role, monkeypatch):
    reads = []
    monkeypatch.setattr(pipeline, "read_table", lambda content: reads.append(1) or read_table(
        content))
    client = as_role("organiser")
    batch_id = upload_ok(client, world.event, test_imports.xlsx([person(1), person(2)]))
    assert 'data-testid="import-confirm"' in client.get(
        f"/registration/imports/{batch_id}").get_data(as_text=True)
    assert client.post(f"/registration/imports/{batch_id}/confirm").status_code == 302
    assert len(reads) == 1 and workers_and_entries() == (3, 2)


def test_a_file_staged_before_rows_were_kept_is_read_at_its_preview(world):
    organiser = world.people.organiser
    batch = ImportBatch(event=world.event, user_id=organiser.id, filename="old.xlsx",
                        sha256="0" * 64, content=test_imports.xlsx([person(1)]))
    db.session.add(batch)
    db.session.flush()
    assert batch.parsed is None
    plan = test_imports.imports.preview(organiser, batch)
    assert plan.ok and batch.parsed["rows"][0][0] == 2


def test_a_damaged_workbook_is_refused_never_a_crash():
    """Every byte flipped in turn, and every length cut short: a clear refusal or rows."""
    content = make_xlsx(HEADERS, [person(i) for i in range(3)])
    for position in range(0, len(content), 7):
        flipped = bytes([content[position] ^ 0xFF])
        for damaged in (content[:position], content[:position] + flipped
                        + content[position + 1:]):
            with contextlib.suppress(pipeline.ImportRejected):
                read_table(damaged)
