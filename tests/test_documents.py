"""Documents an event requires: upload until the draw, type and size refused by content,
replacement, and who may see, upload and download them."""

import html
import io
import json
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from competitions.audit.models import AuditEntry
from competitions.contests.models import EventStage
from competitions.extensions import db
from competitions.files.models import StoredFile
from competitions.files.services import MAX_DOCUMENT_BYTES
from competitions.registration.models import EntryDocument
from tests.factories import (
    make_admin,
    make_competition,
    make_entry,
    make_event,
    make_organiser,
    make_user,
    make_worker,
    valid_id_number,
)

CERTIFICATE, EMPLOYMENT = "职业技能等级证书复印件", "在职证明"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ROLES = ["anonymous", "worker", "other_worker", "other_organiser", "unit_organiser",
         "organiser", "admin"]
ENTITLED = {"worker", "unit_organiser", "organiser", "admin"}


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def people(tree):
    ns = SimpleNamespace(tree=tree, anonymous=None)
    ns.organiser = make_organiser(tree.city, "nj_organiser")
    ns.unit_organiser = make_organiser(tree.firm, "firm_organiser")
    ns.other_organiser = make_organiser(tree.other_city, "sz_organiser")
    ns.admin = make_admin()
    ns.worker = make_user("worker")
    ns.profile = make_worker(tree.firm, name="张三明", user=ns.worker,
                             id_number=valid_id_number(serial=401))
    ns.other_worker = make_user("other_worker")
    ns.other_profile = make_worker(tree.firm, name="李四", user=ns.other_worker,
                                   id_number=valid_id_number(serial=402), phone="13900000002")
    ns.competition = make_competition(tree.city)
    ns.event = make_event(ns.competition, required_documents=[CERTIFICATE, EMPLOYMENT])
    ns.entry = make_entry(ns.event, ns.profile)
    make_entry(ns.event, ns.other_profile)
    db.session.commit()
    return ns


@pytest.fixture
def sign_in(login_as, client):
    def _sign_in(user):
        client.post("/accounts/logout")
        return login_as(user) if user is not None else client
    return _sign_in


def upload(client, people, content=PDF, *, filename="cert.pdf", requirement=CERTIFICATE,
           worker=None, entry=None, follow=True):
    entry = entry or people.entry
    return client.post(f"/registration/entries/{entry.id}/documents", data={
        "worker_id": str((worker or people.profile).id), "requirement": requirement,
        "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data", follow_redirects=follow)


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def documents() -> list[EntryDocument]:
    db.session.expire_all()
    return db.session.scalars(sa.select(EntryDocument)).all()


def stored_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(StoredFile.id)))


def test_worker_sees_each_requirement_as_missing_until_uploaded(people, sign_in):
    client = sign_in(people.worker)
    page = text_of(client.get("/registration/documents"))
    assert CERTIFICATE in page and EMPLOYMENT in page and "Missing" in page
    assert "until the draw" in page
    page = text_of(upload(client, people))
    assert f"{CERTIFICATE} uploaded for 张三明" in page
    (document,) = documents()
    assert document.file.content_type == "application/pdf"
    assert document.worker_id == people.profile.id and document.entry_id == people.entry.id
    page = text_of(client.get(f"/registration/entries/{people.entry.id}/documents"))
    assert "Uploaded" in page and "cert.pdf" in page


def test_upload_is_audited_with_the_requirement_and_digest_not_the_content(people, sign_in):
    upload(sign_in(people.worker), people)
    (audit,) = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "document.upload")).all()
    after = json.loads(audit.after)
    assert after["requirement"] == CERTIFICATE and len(after["sha256"]) == 64
    assert "%PDF" not in audit.after
    assert audit.chain == f"event:{people.event.id}"


@pytest.mark.parametrize("content, filename", [
    (b"MZ\x90\x00 not a document", "cert.pdf"),
    (b"<html><script>alert(1)</script></html>", "cert.png"),
    (b"GIF89a......", "cert.jpg"),
])
def test_a_file_of_the_wrong_type_is_refused_naming_the_requirement(people, sign_in,
                                                                     content, filename):
    page = text_of(upload(sign_in(people.worker), people, content, filename=filename))
    assert f"{CERTIFICATE} was not uploaded" in page
    assert "PDF / JPEG / PNG" in page
    assert documents() == [] and stored_count() == 0


def test_a_file_too_large_is_refused_and_nothing_changes(people, sign_in):
    client = sign_in(people.worker)
    upload(client, people)
    before = documents()[0].file_id
    page = text_of(upload(client, people, b"%PDF-" + b"0" * MAX_DOCUMENT_BYTES))
    assert f"{CERTIFICATE} was not uploaded" in page and "larger than 5 MB" in page
    assert [d.file_id for d in documents()] == [before] and stored_count() == 1


def test_an_empty_post_is_refused(people, sign_in):
    client = sign_in(people.worker)
    response = client.post(f"/registration/entries/{people.entry.id}/documents", data={
        "worker_id": str(people.profile.id), "requirement": CERTIFICATE},
        follow_redirects=True)
    assert "Choose a file to upload." in text_of(response)
    assert documents() == []


def test_the_request_size_stays_bounded_by_max_content_length(people, sign_in, app):
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    response = upload(sign_in(people.worker), people, b"%PDF-" + b"0" * (17 * 1024 * 1024),
                      follow=False)
    assert response.status_code == 413
    assert documents() == []


def test_reupload_replaces_the_file_and_deletes_the_old_one(people, sign_in):
    client = sign_in(people.worker)
    upload(client, people)
    first = documents()[0].file_id
    upload(client, people, PNG, filename="scan.png")
    (document,) = documents()
    assert document.file_id != first and document.file.content_type == "image/png"
    assert db.session.get(StoredFile, first) is None and stored_count() == 1


def test_the_same_file_posted_twice_changes_nothing_twice(people, sign_in):
    client = sign_in(people.worker)
    upload(client, people)
    file_id = documents()[0].file_id
    upload(client, people)
    assert [d.file_id for d in documents()] == [file_id] and stored_count() == 1
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.action == "document.upload")) == 1


def test_a_requirement_the_event_does_not_name_is_refused(people, sign_in):
    page = text_of(upload(sign_in(people.worker), people, requirement="身份证复印件"))
    assert "does not ask for this document" in page and documents() == []


def test_uploads_close_at_the_draw(people, sign_in):
    people.event.stage = EventStage.DRAWN
    db.session.commit()
    client = sign_in(people.worker)
    page = text_of(client.get(f"/registration/entries/{people.entry.id}/documents"))
    assert "Uploads are closed" in page and 'type="file"' not in page
    page = text_of(upload(client, people))
    assert "until the draw" in page and documents() == []


@pytest.mark.parametrize("role", ROLES)
def test_who_may_upload_and_open_the_documents_page(people, sign_in, role):
    client = sign_in(getattr(people, role))
    page = client.get(f"/registration/entries/{people.entry.id}/documents")
    response = upload(client, people, follow=False)
    if role == "anonymous":
        assert page.status_code == response.status_code == 302
        assert "/accounts/login" in response.headers["Location"]
    elif role in ENTITLED:
        assert page.status_code == 200 and response.status_code == 302
        assert len(documents()) == 1
    else:
        assert page.status_code == response.status_code == 403
        assert documents() == []


@pytest.mark.parametrize("role", ROLES)
def test_who_may_download_a_document(people, sign_in, role):
    upload(sign_in(people.worker), people)
    document_id = documents()[0].id
    response = sign_in(getattr(people, role)).get(f"/registration/documents/{document_id}")
    if role == "anonymous":
        assert response.status_code == 302
    elif role in ENTITLED:
        assert response.status_code == 200 and response.data == PDF
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response.headers["Cache-Control"]
        assert response.headers["Content-Disposition"].startswith("attachment")
        downloads = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "document.download")).all()
        # The worker's own downloads are not logged; anyone else's are.
        assert len(downloads) == (0 if role == "worker" else 1)
    else:
        assert response.status_code == 403


def test_a_worker_cannot_upload_into_someone_elses_entry(people, sign_in):
    client = sign_in(people.other_worker)
    response = upload(client, people, worker=people.other_profile, follow=False)
    assert response.status_code == 403 and documents() == []


def test_team_members_upload_for_themselves_only(people, sign_in, tree):
    mate_user = make_user("mate")
    mate = make_worker(tree.firm, name="王五", user=mate_user,
                       id_number=valid_id_number(serial=403), phone="13900000003")
    leader = make_worker(tree.firm, name="赵六", id_number=valid_id_number(serial=404),
                         phone="13900000004")
    team_event = make_event(people.competition, "电工", team_size=2,
                            required_documents=[CERTIFICATE])
    team = make_entry(team_event, team=[leader, mate])
    db.session.commit()
    client = sign_in(mate_user)
    page = text_of(client.get(f"/registration/entries/{team.id}/documents"))
    assert "王五" in page and "赵六" not in page
    assert upload(client, people, worker=leader, entry=team, follow=False).status_code == 403
    upload(client, people, worker=mate, entry=team)
    assert [(d.worker_id, d.entry_id) for d in documents()] == [(mate.id, team.id)]
    # The organiser sees both members and how many documents are in.
    client = sign_in(people.organiser)
    page = text_of(client.get(f"/registration/entries/{team.id}/documents"))
    assert "王五" in page and "赵六" in page
    page = text_of(client.get(f"/registration/events/{team_event.id}/entries"))
    assert "Documents 1/2" in page
    assert f"/registration/entries/{team.id}/documents" in page


def test_organisers_entry_list_counts_documents_in(people, sign_in):
    upload(sign_in(people.worker), people)
    page = text_of(sign_in(people.organiser).get(
        f"/registration/events/{people.event.id}/entries"))
    assert "Documents 1/2" in page and "Documents 0/2" in page
    assert f'data-testid="documents-{people.entry.id}"' in page


def test_an_event_without_requirements_shows_no_count(people, sign_in):
    people.event.required_documents = []
    db.session.commit()
    page = text_of(sign_in(people.organiser).get(
        f"/registration/events/{people.event.id}/entries"))
    assert "Documents 0/" not in page
    page = text_of(sign_in(people.worker).get("/registration/documents"))
    assert "None of your current entries asks for documents." in page


def test_hostile_requirement_names_and_filenames_are_escaped(people, sign_in):
    people.event.required_documents = ["<script>alert(1)</script>"]
    db.session.commit()
    client = sign_in(people.worker)
    upload(client, people, requirement="<script>alert(1)</script>",
           filename="<img src=x onerror=alert(1)>.pdf")
    body = client.get("/registration/documents").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body and "<img src=x" not in body
    assert "&lt;script&gt;" in body
