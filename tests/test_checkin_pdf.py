"""The check-in list PDF: valid, with the CJK font embedded, Chinese text, masked ID numbers."""

import re
import subprocess
from datetime import datetime

import pytest
from flask_babel import force_locale

from competitions.certificates.fonts import FONT_FILE, FONT_NAME, cjk_font
from competitions.extensions import db
from competitions.masking import mask_id_number
from competitions.registration import draw as drawing
from competitions.registration.checkin_pdf import render_checkin_list
from tests.factories import make_entry, make_event, make_organiser, make_worker
from tests.test_draw import drawn_setup, pdf_text

PRINTED_AT = datetime(2026, 8, 20, 9, 30)


@pytest.fixture
def drawn(tree):
    competition, event, entries = drawn_setup(tree, entrants=3)
    team_event = make_event(competition, "电工", team_size=2)
    make_entry(team_event, team=[make_worker(tree.firm, name="队长甲"),
                                 make_worker(tree.firm, name="队员乙")])
    organiser = make_organiser(tree.city)
    drawing.draw_event(organiser, event)
    drawing.draw_event(organiser, team_event)
    db.session.commit()
    return event, team_event


def render(event):
    return render_checkin_list(event, drawing.checkin_list(event), PRINTED_AT)


def test_the_font_and_its_licence_ship_with_the_project():
    assert FONT_FILE.is_file() and FONT_FILE.stat().st_size > 1_000_000
    licence = FONT_FILE.with_name("LICENSE-Apache-2.0.txt").read_text()
    assert "Apache License" in licence and "Version 2.0" in licence
    assert "WenQuanYi" in FONT_FILE.with_name("README").read_text()
    assert cjk_font() == cjk_font() == FONT_NAME  # registered once


def test_check_in_list_is_a_pdf_with_the_cjk_font_embedded_as_a_subset(app, drawn):
    pdf = render(drawn[0])
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert b"/FontFile2" in pdf  # an embedded TrueType font program
    assert re.search(rb"/BaseFont /[A-Z]{6}\+" + FONT_NAME.encode(), pdf)  # subset tag
    assert len(pdf) < 200_000  # the 5 MB font is subset, not embedded whole


def test_check_in_list_shows_title_codes_names_units_and_masked_id_numbers(app, drawn):
    event = drawn[0]
    text = pdf_text(render(event))
    assert "2026年南京市职工职业技能大赛" in text
    with force_locale("zh"):  # 焊工 · 职工组 once the catalogue has the group's label
        assert f"{event.name} 检录单" in text
    for header in ("检录号", "参赛号", "姓名", "工作单位", "身份证号码", "签名"):
        assert header in text
    for entry in drawing.checkin_list(event):
        assert entry.checkin_code in text and entry.entry_number in text
        assert entry.leader.name in text and "南京钢铁集团" in text
        assert mask_id_number(entry.leader.id_number) in text
        assert entry.leader.id_number not in text
        assert entry.blind_code not in text


def test_check_in_list_follows_the_drawn_check_in_order(app, drawn):
    event = drawn[0]
    text = pdf_text(render(event))
    positions = [text.index(e.checkin_code) for e in drawing.checkin_list(event)]
    assert positions == sorted(positions)


def test_team_check_in_list_lists_every_member(app, drawn):
    text = pdf_text(render(drawn[1]))
    assert "队长甲" in text and "队员乙" in text and "第一队" in text


def test_check_in_list_renders_to_an_image(app, drawn, tmp_path):
    pdf = tmp_path / "checkin.pdf"
    pdf.write_bytes(render(drawn[0]))
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "page")],
                   check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 5000
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True).stdout
    assert FONT_NAME.encode() in fonts and b" yes yes " in fonts  # embedded, subset
