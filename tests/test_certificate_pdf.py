"""The certificate PDF: text a reader can extract, embedded fonts, a QR that scans, seals with
transparency, the pre-printed layout and its offsets, and the checks on uploaded images."""

import io
import os
import re
import subprocess
import zlib
from datetime import date

import pypdf
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from competitions.certificates import fonts
from competitions.certificates.images import ImageRefused, check_png, stamp
from competitions.certificates.pdf import (
    FIELDS,
    CertificateDocument,
    PrintLayout,
    chinese_date,
    render_batch,
    render_calibration_page,
    render_certificate,
    wrap,
)
from competitions.certificates.qr import merged_rects, module_rows, qr_matrix

URL = "https://certs.example.org/verify/2026-C-320100-000123-7?t=Xq3vT9kLm2Pa"
EMPTY_FONTCONFIG = ('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
                    "<fontconfig></fontconfig>")
DPI = 150


def png(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **options)
    return buffer.getvalue()


def red_seal(side: int = 160) -> bytes:
    """A semi-transparent red ring and dot on a transparent background."""
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((4, 4, side - 4, side - 4), outline=(200, 20, 30, 220), width=side // 20)
    draw.ellipse((side * 0.4, side * 0.4, side * 0.6, side * 0.6), fill=(200, 20, 30, 220))
    return png(image)


def make_document(**overrides) -> CertificateDocument:
    fields = dict(
        title="获奖证书", holder="张堃",
        body="在2026年南京市职工职业技能大赛焊工（职工组）中荣获一等奖 · 金牌，特发此证。",
        issuers=("南京市总工会", "南京市人力资源和社会保障局"), date_text="二〇二六年十二月",
        serial="2026-C-320100-000123-7", verify_url=URL)
    return CertificateDocument(**(fields | overrides))


def page_text(pdf: bytes) -> str:
    return pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def page_stream(pdf: bytes) -> str:
    return pypdf.PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data().decode("latin-1")


def text_origin(pdf: bytes, wanted: str) -> tuple[float, float]:
    """Where the text object holding `wanted` starts, in points."""
    found = []

    def visit(text, cm, tm, font, size):
        if wanted in text:
            found.append((tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]))

    pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return found[0]


@pytest.fixture(scope="module")
def certificate() -> bytes:
    return render_certificate(make_document(seals=(red_seal(), None)))


def rasterise(pdf: bytes, folder) -> Image.Image:
    """The first page rasterised by poppler with no system fonts: only embedded ones count."""
    folder.mkdir(exist_ok=True)
    (folder / "fonts.conf").write_text(EMPTY_FONTCONFIG)
    (folder / "certificate.pdf").write_bytes(pdf)
    env = os.environ | {"FONTCONFIG_FILE": str(folder / "fonts.conf")}
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-singlefile", "certificate.pdf", "page"],
                   cwd=folder, env=env, check=True, capture_output=True)
    return Image.open(folder / "page.png").convert("L")


def holder_region(page: Image.Image) -> Image.Image:
    box = FIELDS["holder"]
    scale = DPI / 25.4
    return page.crop((int(box.left * scale), int(box.top * scale),
                      int((box.left + 40) * scale), int((box.top + box.height) * scale)))


def pdftotext(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


@pytest.fixture(scope="module")
def rendered(certificate, tmp_path_factory) -> Image.Image:
    """The certificate rasterised by poppler with no system fonts."""
    return rasterise(certificate, tmp_path_factory.mktemp("render"))


def test_certificate_text_is_extractable(certificate):
    text = page_text(certificate)
    flat = text.replace("\n", "")
    assert "张堃" in text
    assert "2026年南京市职工职业技能大赛焊工（职工组）" in flat and "一等奖 · 金牌" in flat
    assert "2026-C-320100-000123-7" in text
    assert "获 奖 证 书" in text and "二〇二六年十二月" in text
    metadata = pypdf.PdfReader(io.BytesIO(certificate)).metadata
    assert metadata.title == "获奖证书 · 张堃"


def test_fonts_are_embedded_as_truetype_subsets(certificate):
    fonts = pypdf.PdfReader(io.BytesIO(certificate)).pages[0]["/Resources"]["/Font"]
    descriptors = [font["/FontDescriptor"] for font in map(pypdf.generic.PdfObject.get_object,
                   fonts.values()) if font["/Subtype"] == "/TrueType"]
    assert descriptors and all("/FontFile2" in descriptor for descriptor in descriptors)
    assert all(re.match(r"/[A-Z]{6}\+", str(descriptor["/FontName"])) for descriptor in descriptors)
    assert len(certificate) < 250_000  # subsets of the 17 MB kai face, not the whole font


def test_the_holder_prints_with_no_system_fonts(rendered):
    region = holder_region(rendered)
    assert region.getextrema()[0] < 80  # dark strokes of the name
    assert sum(region.histogram()[:128]) > 300


def test_certificates_share_compressed_glyphs_yet_each_prints_its_own_name(tmp_path):
    """The kai subset's glyphs are compressed once (fonts.deflate_font_file): the second
    certificate reuses the fixed wording's, and still embeds, prints and reads as its own."""
    fonts._deflated.cache_clear()
    first = render_certificate(make_document(holder="张堃"))
    reused = fonts._deflated.cache_info().hits
    second = render_certificate(make_document(holder="李㛃"))
    assert fonts._deflated.cache_info().hits - reused > 50  # of some 75 glyphs
    assert "张堃：" in pdftotext(first) and "李㛃：" not in pdftotext(first)
    assert "李㛃：" in pdftotext(second) and "张堃：" not in pdftotext(second)
    assert "2026-C-320100-000123-7" in pdftotext(second)
    names = [holder_region(rasterise(pdf, folder)) for pdf, folder
             in [(first, tmp_path / "first"), (second, tmp_path / "second")]]
    for region in names:
        assert region.getextrema()[0] < 80 and sum(region.histogram()[:128]) > 300
    assert names[0].tobytes() != names[1].tobytes()


def test_the_kai_subset_holds_the_characters_drawn_not_all_of_ascii(certificate):
    """Without reportlab's ASCII block (fonts.Face.ascii_block): codes 0 and 32 stay notdef
    and space, the others go to the characters in order of first use."""
    page_fonts = pypdf.PdfReader(io.BytesIO(certificate)).pages[0]["/Resources"]["/Font"]
    kai, = [font for font in map(pypdf.generic.PdfObject.get_object, page_fonts.values())
            if font["/Subtype"] == "/TrueType"]
    doc = make_document()
    drawn = set(doc.title + doc.holder + "：" + doc.body + "".join(doc.issuers) + doc.date_text
                + "扫码验证证书编号" + doc.serial)
    assert 33 <= kai["/LastChar"] + 1 <= len(drawn) + 2  # with the block: ~95 codes more


def test_the_qr_code_scans_to_the_verification_url(rendered, tmp_path):
    rendered.save(tmp_path / "page.png")
    scanned = subprocess.run(["zbarimg", "--raw", "-q", str(tmp_path / "page.png")],
                             capture_output=True, check=True, text=True).stdout
    assert scanned.strip("\n") == URL


def test_qr_rectangles_cover_exactly_the_dark_modules_with_far_fewer_rects():
    matrix = qr_matrix(URL)
    rects = merged_rects(matrix)
    covered = [[False] * len(row) for row in matrix]
    for col, row, width, height in rects:
        for y in range(row, row + height):
            for x in range(col, col + width):
                assert not covered[y][x]
                covered[y][x] = True
    assert covered == matrix
    dark = sum(map(sum, matrix))
    assert len(rects) < dark / 2


def test_module_rows_are_the_matrix_as_bytes_and_merge_into_the_same_rectangles():
    rows, matrix = module_rows(URL), qr_matrix(URL)
    assert [list(map(bool, row)) for row in rows] == matrix and set(b"".join(rows)) == {0, 1}
    assert merged_rects(rows) == merged_rects(matrix)


def test_the_page_draws_the_qr_with_merged_rectangles(certificate):
    dark = sum(map(sum, qr_matrix(URL)))
    rectangles = len(re.findall(r" re\b", page_stream(certificate)))
    assert rectangles < dark / 2


def test_a_seal_keeps_its_transparency(certificate):
    images = [x.get_object() for x in
              pypdf.PdfReader(io.BytesIO(certificate)).pages[0]["/Resources"]["/XObject"].values()]
    assert len(images) == 1  # one seal given: the issuer without one gets none
    assert images[0]["/SMask"].get_object()["/ColorSpace"] == "/DeviceGray"


def test_a_seal_is_decoded_once_and_reused():
    seal = red_seal(200)
    assert stamp(seal) is stamp(bytes(seal))
    two = render_batch([make_document(seals=(seal, seal))] * 2)
    assert two.count(b"/SMask") == 1  # one image XObject for both pages and both issuers


def test_preprinted_layout_prints_only_the_variable_fields(certificate):
    pdf = render_certificate(make_document(seals=(red_seal(), red_seal())),
                             PrintLayout(preprinted=True))
    text = page_text(pdf)
    assert "获 奖 证 书" not in text
    assert "张堃" in text and "2026-C-320100-000123-7" in text
    assert " re S" not in page_stream(pdf) and " re S" in page_stream(certificate)  # no border
    assert b"/SMask" not in pdf  # no seal


def test_preprinted_offsets_move_their_field():
    plain = render_certificate(make_document(), PrintLayout(preprinted=True))
    moved = render_certificate(make_document(), PrintLayout(
        preprinted=True, offsets_mm={"holder": (5, 3)}, offset_mm=(1, 0)))
    (x0, y0), (x1, y1) = text_origin(plain, "张堃"), text_origin(moved, "张堃")
    mm = 72 / 25.4
    assert x1 - x0 == pytest.approx(6 * mm, abs=0.01)
    assert y1 - y0 == pytest.approx(-3 * mm, abs=0.01)  # down the sheet
    serials = text_origin(plain, "证书编号"), text_origin(moved, "证书编号")
    assert serials[1][0] - serials[0][0] == pytest.approx(1 * mm, abs=0.01)  # global only


def test_layout_refuses_unknown_fields_and_wild_offsets():
    with pytest.raises(ValueError):
        PrintLayout(offsets_mm={"title": (0, 0)})
    with pytest.raises(ValueError):
        PrintLayout(offset_mm=(0, 80))


def test_calibration_page_shows_every_field_at_its_offset():
    pdf = render_calibration_page(PrintLayout(preprinted=True, offsets_mm={"qr": (2, -1.5)}))
    text = page_text(pdf)
    assert pdf.startswith(b"%PDF-")
    for label in ("姓名", "正文", "发证单位", "日期", "二维码", "证书编号"):
        assert label in text
    assert "(+2.0, -1.5) mm" in text


def test_a_long_body_wraps_inside_its_box_with_an_indent():
    body = "在2026年南京市职工职业技能大赛焊工（职工组）中荣获一等奖，" * 6
    pdf = render_certificate(make_document(body=body))
    assert "特发此证" not in page_text(pdf) and "荣获一等奖" in page_text(pdf)
    lines = wrap("（职工组）" * 12, 200, 20, "kai", indent=40)
    assert all(not line.startswith(("）", "，")) and not line.endswith("（") for line in lines)
    assert "".join(lines) == "（职工组）" * 12


@pytest.mark.parametrize("day, expected", [
    (date(2026, 12, 6), "二〇二六年十二月"),
    (date(2030, 1, 31), "二〇三〇年一月"),
    (date(2027, 10, 1), "二〇二七年十月"),
    (date(2028, 11, 20), "二〇二八年十一月"),
])
def test_chinese_date(day, expected):
    assert chinese_date(day) == expected


def test_chinese_date_with_day():
    assert chinese_date(date(2026, 12, 6), day=True) == "二〇二六年十二月六日"
    assert chinese_date(date(2026, 3, 10), day=True) == "二〇二六年三月十日"
    assert chinese_date(date(2026, 3, 21), day=True) == "二〇二六年三月二十一日"


def _number(text: str) -> int:
    digits = "〇一二三四五六七八九"
    if "十" not in text:
        return digits.index(text)
    tens, _, units = text.partition("十")
    return (digits.index(tens) if tens else 1) * 10 + (digits.index(units) if units else 0)


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2199, 12, 31)))
def test_chinese_date_reads_back(day):
    text = chinese_date(day, day=True)
    year, rest = text.split("年")
    month, rest = rest.split("月")
    assert int("".join(str("〇一二三四五六七八九".index(c)) for c in year)) == day.year
    assert (_number(month), _number(rest.removesuffix("日"))) == (day.month, day.day)


def test_check_png_accepts_an_rgba_png():
    assert check_png(red_seal(300)) == (300, 300)


@pytest.mark.parametrize("data", [
    pytest.param(lambda: png(Image.new("RGBA", (10, 10))).replace(b"PNG", b"PNX", 1), id="bad"),
    pytest.param(lambda: b"\x89PNG\r\n\x1a\n hello, I am text renamed to seal.png", id="text"),
    pytest.param(lambda: "公章".encode() * 100, id="plain-text"),
    pytest.param(lambda: red_seal(300)[:-200], id="truncated"),
])
def test_check_png_refuses_what_is_not_a_whole_png(data):
    with pytest.raises(ImageRefused):
        check_png(data())


def test_check_png_refuses_a_jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (50, 50), "red").save(buffer, "JPEG")
    with pytest.raises(ImageRefused):
        check_png(buffer.getvalue())


def test_check_png_refuses_a_large_file_naming_the_limit():
    noise = Image.frombytes("RGB", (512, 512), os.urandom(512 * 512 * 3))
    with pytest.raises(ImageRefused) as refused:
        check_png(png(noise, compress_level=0))
    assert "512" in str(refused.value.message)


@pytest.mark.parametrize("size", [(2001, 10), (30000, 30000)])  # the latter a decompression bomb
def test_check_png_refuses_an_image_too_large_before_decoding_it(size):
    header = png(Image.new("1", (10, 10)))
    # The IHDR of a tiny image rewritten to claim `size`, its CRC fixed: nothing else changes.
    ihdr = b"IHDR" + size[0].to_bytes(4, "big") + size[1].to_bytes(4, "big") + header[24:29]
    forged = header[:12] + ihdr + zlib.crc32(ihdr).to_bytes(4, "big") + header[33:]
    with pytest.raises(ImageRefused) as refused:
        check_png(forged)
    assert "2000" in str(refused.value.message)
