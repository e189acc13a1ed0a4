"""The shipped PDF fonts: which characters they cover, per-character fallback between them, the
embedded fonts printing rare name characters with no system font, and the organisers' warning
about characters no shipped font has."""

import io
import os
import subprocess
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from competitions.certificates import fonts
from competitions.certificates.fonts import (
    GETA,
    KAI,
    SANS,
    draw_text,
    fit_size,
    font_name,
    markup,
    missing_characters,
    runs,
    text_width,
    unprintable,
)
from competitions.extensions import db
from competitions.registration import draw as drawing
from competitions.registration.checkin_pdf import render_checkin_list
from tests.factories import make_entry, make_organiser, make_worker
from tests.test_draw import drawn_setup
from tests.test_public_results import publish, results_setup

RARE = "堃喆赟犇玥昇曌垚淼珺"  # in both fonts
KAI_ONLY = "㛃"  # Extension A: in AR PL UKai, not in WenQuanYi
EMPTY = "䶮"  # Extension A: UKai maps it to an empty glyph; only the UMing subset has it
EXTENSION_B = "𠮷𪚥"  # in neither
SAMPLE = "张堃 李喆 王赟 赵犇 钱玥 孙昇 周曌 吴垚 郑淼 冯珺 李㛃 䶮"


@pytest.fixture(scope="session", autouse=True)
def registered():
    """Both faces registered once for the session."""
    return {SANS: font_name(SANS), KAI: font_name(KAI)}


@pytest.fixture(autouse=True)
def english(request):
    if "client" in request.fixturenames:
        request.getfixturevalue("client").set_cookie("lang", "en")


def pdf_with(draw) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(400, 120))
    draw(canvas)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def embedded_fonts(pdf: bytes) -> dict[str, bool]:
    """Each font on the first page: whether its descriptor carries a TrueType program."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    found = {}
    for font in page["/Resources"]["/Font"].values():
        font = font.get_object()
        if font["/Subtype"] == "/Type1":  # the canvas's initial Helvetica, never drawn with
            continue
        descriptor = font["/FontDescriptor"].get_object()
        found[str(font["/BaseFont"]).split("+")[-1]] = "/FontFile2" in descriptor
    return found


# --- coverage -------------------------------------------------------------------------------

def test_missing_characters_lists_each_character_no_font_has_once_in_order():
    assert missing_characters("吉𠮷 𪚥\n吉𠮷㛃堃\t䶮") == ["𠮷", "𪚥"]
    assert missing_characters("张三明 Zhang 3") == []
    assert missing_characters("") == []


@pytest.mark.parametrize("char", RARE + KAI_ONLY)
def test_rare_name_characters_are_in_a_shipped_font(char):
    assert missing_characters(char) == []


def test_coverage_comes_from_each_fonts_cmap():
    assert set(RARE) <= fonts._coverage[SANS] and set(RARE) <= fonts._coverage[KAI]
    assert KAI_ONLY not in fonts._coverage[SANS] and KAI_ONLY in fonts._coverage[KAI]
    assert not set(EXTENSION_B + EMPTY) & (fonts._coverage[SANS] | fonts._coverage[KAI])
    assert GETA in fonts._coverage[SANS] and GETA in fonts._coverage[KAI]


def test_unprintable_names_each_text_once_with_its_missing_characters():
    assert unprintable(["吉𠮷", None, "张三", "吉𠮷", "𪚥𠮷"]) == [
        ("吉𠮷", ["𠮷"]), ("𪚥𠮷", ["𪚥", "𠮷"])]


# --- fallback runs --------------------------------------------------------------------------

def test_text_the_face_covers_is_one_run(registered):
    assert runs("张堃 Zhang", SANS) == [(registered[SANS], "张堃 Zhang")]
    assert runs("张堃", KAI) == [(registered[KAI], "张堃")]
    assert runs("", SANS) == []


def test_a_character_the_face_lacks_comes_from_the_next_font_that_has_it(registered):
    sans, kai = registered[SANS], registered[KAI]
    assert runs("李㛃明", SANS) == [(sans, "李"), (kai, "㛃"), (sans, "明")]
    assert runs("李㛃 明", SANS) == [(sans, "李"), (kai, "㛃 "), (sans, "明")]  # space stays


def test_a_character_no_font_has_prints_as_the_geta_mark_never_as_a_blank(registered):
    assert runs("吉𠮷", SANS) == [(registered[SANS], "吉〓")]
    assert runs("吉𠮷", KAI) == [(registered[KAI], "吉〓")]


def test_control_characters_are_dropped_and_other_whitespace_kept(registered):
    assert runs("李\u200b㛃\n明", SANS) == [
        (registered[SANS], "李"), (registered[KAI], "㛃 "), (registered[SANS], "明")]


def test_markup_escapes_and_wraps_the_fallback_runs(registered):
    assert markup("<李>&㛃", SANS) == f'&lt;李&gt;&amp;<font name="{registered[KAI]}">㛃</font>'
    assert markup("<李>", KAI) == "&lt;李&gt;"


# --- widths and drawing ---------------------------------------------------------------------

def test_draw_text_returns_the_width_text_width_measures_in_every_alignment():
    width = text_width(SAMPLE, 12, KAI)
    assert width > 0
    drawn = []
    pdf_with(lambda c: drawn.extend(draw_text(c, 200, 50, SAMPLE, size=12, face=KAI, align=a)
                                    for a in ("left", "centre", "right")))
    assert drawn == [pytest.approx(width)] * 3
    with pytest.raises(ValueError):
        pdf_with(lambda c: draw_text(c, 0, 0, "张", size=12, align="middle"))


def test_draw_text_leaves_the_canvas_font_as_it_was(registered):
    def draw(canvas):
        canvas.setFont("Helvetica", 7)
        draw_text(canvas, 10, 10, "李㛃", size=20)
        assert (canvas._fontname, canvas._fontsize) == ("Helvetica", 7)
    pdf_with(draw)


def test_fit_size_shrinks_long_text_to_the_width_but_not_below_the_minimum():
    title = "2026年南京市职工职业技能大赛 焊工（职工组）决赛"
    assert fit_size("张三", 200, 24, KAI) == 24
    size = fit_size(title, 300, 24, KAI, min_size=8)
    assert 8 < size < 24 and text_width(title, size, KAI) == pytest.approx(300)
    assert fit_size(title * 5, 300, 24, KAI, min_size=8) == 8


def test_a_drawn_pdf_has_the_rare_names_as_text_and_the_fonts_embedded(registered):
    def draw(canvas):
        draw_text(canvas, 10, 80, SAMPLE, size=14)
        draw_text(canvas, 10, 40, SAMPLE, size=14, face=KAI)
    pdf = pdf_with(draw)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for name in SAMPLE.split():
        assert name in text
    assert GETA not in text
    assert set(embedded_fonts(pdf).values()) == {True} and len(embedded_fonts(pdf)) == 3


@pytest.mark.parametrize("face", [SANS, KAI])
def test_every_rare_character_prints_without_any_system_font(tmp_path, face):
    """Each character in its own box, rendered by poppler with fontconfig knowing no fonts:
    only the embedded fonts can ink the boxes. The last box stays empty, as a control."""
    chars, size, step, baseline = RARE + KAI_ONLY + EMPTY + EXTENSION_B[0], 20, 22, 50
    pdf = tmp_path / "chars.pdf"
    pdf.write_bytes(pdf_with(lambda c: [draw_text(c, 10 + i * step, baseline, char, size=size,
                                                  face=face) for i, char in enumerate(chars)]))
    config = tmp_path / "fonts.conf"
    config.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
                      "<fontconfig></fontconfig>")
    env = {**os.environ, "FONTCONFIG_FILE": str(config)}
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(pdf),
                    str(tmp_path / "page")], check=True, env=env, capture_output=True)
    image = Image.open(tmp_path / "page.png").convert("L")
    scale, height = 100 / 72, 120

    def dark_pixels(index):
        left, top = 10 + index * step, height - baseline - size
        box = [round(v * scale) for v in (left, top, left + size, top + size * 1.2)]
        return sum(1 for value in image.crop(box).tobytes() if value < 128)

    inked = {char: dark_pixels(i) for i, char in enumerate(chars)}
    assert all(count > 15 for count in inked.values()), inked
    assert dark_pixels(len(chars)) == 0


# --- the check-in list and the organisers' warning ------------------------------------------

@pytest.fixture
def rare_names(tree):
    competition, event, _ = drawn_setup(tree, entrants=1)
    organiser = make_organiser(tree.city, "rare_organiser")
    for name in ("李㛃", "郑淼堃", "吉𠮷"):
        make_entry(event, make_worker(tree.firm, name=name))
    drawing.draw_event(organiser, event)
    db.session.commit()
    return event, organiser


def test_the_check_in_list_prints_rare_names_from_whichever_font_has_them(app, rare_names):
    from datetime import datetime
    event = rare_names[0]
    pdf = render_checkin_list(event, drawing.checkin_list(event), datetime(2026, 8, 20, 9, 30))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "李㛃" in text and "郑淼堃" in text and "吉〓" in text
    assert set(embedded_fonts(pdf).values()) == {True}


def test_the_draw_page_warns_of_characters_no_shipped_font_has(client, login_as, rare_names):
    event, organiser = rare_names
    html = login_as(organiser).get(f"/registration/events/{event.id}/draw").get_data(
        as_text=True)
    assert 'data-testid="unprintable-names"' in html
    assert "吉𠮷 — 𠮷 is in no font the platform ships; it prints as 〓." in html
    assert "李㛃 —" not in html


def test_only_organisers_see_the_results_pages_warning(client, login_as, tree):
    setup = results_setup(tree)
    setup.workers[0].name = "𠮷大明"
    publish(setup)
    url = f"/events/{setup.event.id}/results"
    assert 'data-testid="unprintable-names"' not in client.get(url).get_data(as_text=True)
    html = login_as(setup.organiser).get(url).get_data(as_text=True)
    assert "𠮷*明 — 𠮷 is in no font the platform ships; it prints as 〓." in html


@pytest.mark.parametrize("face", sorted(fonts.FACES))
def test_the_subsetter_reads_the_glyph_table_as_a_view_and_embeds_the_same_bytes(face):
    """fonts._copy_glyphs_not_the_table hands reportlab's subsetter a view of the glyf table
    instead of a copy; the subset it embeds is byte for byte what the copying reader makes."""
    from reportlab.pdfbase.ttfonts import TTFont

    font_name(face)  # registered, so with the view
    spec = fonts.FACES[face]
    viewed = fonts.pdfmetrics.getFont(spec.font_name).face
    copied = TTFont("copying", str(spec.file), subfontIndex=spec.subfont).face
    assert viewed.get_table.__name__ == "get_table" and "get_table" in vars(viewed)
    assert "get_table" not in vars(copied)
    every = sorted(viewed.charToGlyph)
    codes = every[::len(every) // 60]  # sixty characters across the whole face
    assert len(codes) >= 60
    for subset in (codes, codes[:5], [32]):
        assert viewed.makeSubset(subset) == copied.makeSubset(subset)


# --- the kai subsets, compressed glyph by glyph ---------------------------------------------

def kai_subset(text: str) -> bytes:
    """The subset reportlab embeds for these characters (after notdef), in this order."""
    face = fonts.pdfmetrics.getFont(font_name(KAI)).face
    return face.makeSubset([0, *dict.fromkeys(map(ord, text))])


@settings(max_examples=40, deadline=None)
@given(face=st.sampled_from(sorted(fonts.FACES)),
       picks=st.lists(st.integers(min_value=0), min_size=1, max_size=120, unique=True))
def test_a_subset_deflated_by_parts_inflates_to_the_subset(face, picks):
    font = fonts.pdfmetrics.getFont(font_name(face)).face
    every = sorted(font.charToGlyph)
    subset = font.makeSubset([0, *dict.fromkeys(every[pick % len(every)] for pick in picks)])
    parts = fonts.font_file_parts(subset)
    assert b"".join(part for part, _ in parts) == subset
    assert sum(shared for _, shared in parts) >= 2  # a glyph or more and the name table
    assert zlib.decompress(fonts.deflate_font_file(subset)) == subset


def test_subsets_reuse_the_glyphs_they_share_and_make_the_bytes_a_cold_cache_makes():
    fonts._deflated.cache_clear()
    fonts.deflate_font_file(kai_subset("获奖证书张堃"))
    before = fonts._deflated.cache_info()
    warm = fonts.deflate_font_file(kai_subset("获奖证书李四"))
    after = fonts._deflated.cache_info()
    assert after.misses - before.misses == 2  # 李 and 四; notdef, 获奖证书 and the tables reused
    assert after.hits - before.hits >= 5
    fonts._deflated.cache_clear()
    assert fonts.deflate_font_file(kai_subset("获奖证书李四")) == warm


def test_the_cache_of_compressed_glyphs_is_bounded():
    limit = fonts._deflated.cache_info().maxsize
    assert limit is not None
    for number in range(limit + 10):
        fonts._deflated(number.to_bytes(4, "big"))
    assert fonts._deflated.cache_info().currsize == limit
    fonts._deflated.cache_clear()


def test_only_the_kai_face_compresses_by_glyph_and_does_without_the_ascii_block():
    """WenQuanYi's glyphs compress much worse one by one: its subsets stay compressed whole."""
    for face, spec in fonts.FACES.items():
        font = fonts.pdfmetrics.getFont(font_name(face))
        assert ("addSubsetObjects" in vars(font.face)) == spec.glyphs_deflated_once == (face == KAI)
        assert font._asciiReadable == spec.ascii_block == (face != KAI)


def test_a_space_in_the_kai_face_keeps_code_32_for_word_spacing():
    kai = fonts.pdfmetrics.getFont(font_name(KAI))
    canvas = Canvas(io.BytesIO())
    assert kai.splitString("张 三", canvas._doc) == [(0, bytes([1, 32, 2]))]
