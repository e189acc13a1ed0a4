"""Certificate pages: the public check (valid, under review, revoked, not found; no
enumeration; throttled), downloads for the holder and the organisers only, the streamed ZIP,
the settings, seals and logos, and the command line."""

import io
import re
import subprocess
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image
from pypdf import PdfReader

from competitions.certificates import services
from competitions.certificates.documents import verify_url
from competitions.certificates.models import (
    Certificate,
    CertificateStatus,
    ImageKind,
    OrganisationImage,
)
from competitions.database import utcnow
from competitions.extensions import db
from competitions.results import lifecycle
from tests.factories import MarkingSetup, Tree, make_organiser, make_user, make_worker
from tests.test_results import A1, B1, T1


def _finalise(setup):
    setup.finish(A1, B1, T1)
    lifecycle.decrypt(setup.officer, setup.event)
    now = utcnow()
    lifecycle.publish(setup.organiser, setup.event, now=now)
    lifecycle.finalise(setup.organiser, setup.event, now=now + timedelta(days=6))
    db.session.commit()


@pytest.fixture
def setup(built_once):
    """A finalised event with its certificates; built once per worker and database
    (conftest.built_once), its rows restored for each test."""
    return built_once("certificate-pages", build_setup)


@pytest.fixture
def tree(setup):
    return setup.tree


@pytest.fixture
def bare_tree(app):
    """The organisations alone, for the tests that build their own event."""
    tree = Tree()
    db.session.commit()
    return tree


def build_setup():
    setup = MarkingSetup(Tree()).with_results_officials()
    setup.champion = make_user("champion")  # 陈美玲, first: gold
    setup.workers[3].user = setup.champion
    setup.tree.city.region_code = "320100"
    _finalise(setup)
    return setup


def certificate_of(worker) -> Certificate:
    return db.session.scalar(sa.select(Certificate).where(Certificate.worker_id == worker.id,
                                                          Certificate.revoked_at.is_(None)))


def path_of(cert) -> str:
    return verify_url(cert).split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def without_csrf(html: str) -> str:
    """The page less its CSRF token (tests run with CSRF off; production pages carry one)."""
    return re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "", html)


# --- the public check -----------------------------------------------------------------------

def test_a_valid_certificate_shows_the_masked_name_event_award_issuer_and_date(client, setup):
    cert = certificate_of(setup.workers[3])
    response = client.get(path_of(cert))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "有效" in html and cert.serial in html
    assert "陈*玲" in html and "陈美玲" not in html
    assert "南京市总工会" in html and setup.event.occupation.name in html
    assert "金牌" in html
    for secret in (setup.workers[3].id_number, setup.workers[3].phone, cert.token):
        assert secret not in html


def test_under_review_and_revoked_say_so_with_the_reason_and_date(client, setup):
    cert = certificate_of(setup.workers[3])
    lifecycle.reopen_results(setup.organiser, setup.event, "复核")
    db.session.commit()
    html = client.get(path_of(cert)).get_data(as_text=True)
    assert "复核中" in html and "有效" not in html.split('data-testid="verdict-status"')[1][:80]
    other = certificate_of(setup.workers[0])
    services.revoke(setup.organiser, other, "<b>经查</b>资格不符")
    db.session.commit()
    html = client.get(path_of(other)).get_data(as_text=True)
    assert "已撤销" in html and "&lt;b&gt;经查&lt;/b&gt;资格不符" in html


def test_a_wrong_token_looks_exactly_like_an_unknown_serial(client, setup):
    cert = certificate_of(setup.workers[3])
    wrong = client.get(f"/verify/{cert.serial}?t={'A' * 20}")
    unknown_serial = "2027-C-320100-0999999-" + "0"
    unknown = client.get(f"/verify/{unknown_serial}?t={cert.token}")
    no_token = client.get(f"/verify/{cert.serial}")
    assert wrong.status_code == unknown.status_code == no_token.status_code == 404
    assert without_csrf(wrong.get_data(as_text=True)) == without_csrf(
        unknown.get_data(as_text=True)) == without_csrf(no_token.get_data(as_text=True))
    assert cert.serial not in wrong.get_data(as_text=True)
    assert "未找到" in wrong.get_data(as_text=True)


def test_the_lookup_form_takes_the_serial_and_the_code_as_typed(client, setup):
    cert = certificate_of(setup.workers[3])
    assert client.get("/verify").status_code == 200
    typed = {"serial": f" {cert.serial.lower()} ",
             "token": "-".join(cert.token[i:i + 4] for i in range(0, 20, 4)).lower()}
    response = client.post("/verify", data=typed)
    assert response.status_code == 200 and "有效" in response.get_data(as_text=True)
    wrong = client.post("/verify", data={**typed, "token": "B" * 20})
    assert wrong.status_code == 404


def test_lookups_are_throttled_per_client(app, client, setup):
    cert = certificate_of(setup.workers[3])
    app.config["CERTIFICATE_LOOKUP_LIMITS"] = "3 per minute"
    codes = [client.get(f"/verify/{cert.serial}?t=x").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]


# --- downloads ------------------------------------------------------------------------------

def test_the_holder_downloads_their_certificate_and_nobody_else_can(client, setup, tree,
                                                                     login_as):
    mine = certificate_of(setup.workers[3])
    url = f"/certificates/{mine.id}.pdf"
    assert client.get(url).status_code == 302  # sign in first
    stranger = make_worker(tree.firm, name="周一鸣", user=make_user()).user
    outsider = make_organiser(tree.other_city)
    db.session.commit()
    for user in (stranger, outsider, setup.chief, setup.entrant):
        login_as(user)
        assert client.get(url).status_code == 404, user.username
        client.post("/accounts/logout")
    login_as(setup.champion)
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "陈美玲" in text and mine.serial in text
    page = client.get("/certificates/mine").get_data(as_text=True)
    assert f'data-testid="download-{mine.id}"' in page and "获奖证书" in page
    client.post("/accounts/logout")
    login_as(setup.organiser)
    assert client.get(url).status_code == 200


def test_the_pdf_carries_the_name_event_award_and_a_qr_code_of_the_verification_url(
        client, setup, login_as, tmp_path):
    cert = certificate_of(setup.workers[3])
    login_as(setup.organiser)
    pdf = client.get(f"/certificates/{cert.id}.pdf").data
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text().replace("\n", "")
    assert "陈美玲" in text and "焊工（职工组）" in text and "金牌" in text
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "c.pdf"),
                    str(tmp_path / "c")], check=True)
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(tmp_path / "c.png")],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert decoded == verify_url(cert)
    assert decoded.startswith("http://127.0.0.1:5000/verify/")


def test_the_event_zip_streams_every_live_certificate(client, setup, tree, login_as):
    url = f"/events/{setup.event.id}/certificates.zip"
    login_as(make_organiser(tree.other_city))
    assert client.get(url).status_code == 403
    client.post("/accounts/logout")
    login_as(setup.organiser)
    response = client.get(url)
    assert response.status_code == 200 and response.is_streamed
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    live = db.session.scalars(sa.select(Certificate).where(
        Certificate.event_id == setup.event.id, Certificate.revoked_at.is_(None))).all()
    assert sorted(archive.namelist()) == sorted(f"{c.serial}-{c.holder_name}.pdf" for c in live)
    assert all(archive.read(name).startswith(b"%PDF") for name in archive.namelist())


def test_the_event_page_lists_certificates_and_revokes_one(client, setup, login_as):
    login_as(setup.organiser)
    cert = certificate_of(setup.workers[3])
    page = client.get(f"/events/{setup.event.id}/certificates").get_data(as_text=True)
    assert cert.serial in page and "陈美玲" in page
    response = client.post(f"/certificates/{cert.id}/revoke", data={"reason": ""})
    assert response.status_code == 302 and cert.status is CertificateStatus.VALID
    client.post(f"/certificates/{cert.id}/revoke", data={"reason": "证书信息有误"})
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).status is CertificateStatus.REVOKED


# --- settings, seals and logos --------------------------------------------------------------

def png(size=(120, 120), mode="RGBA") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 20, 20, 128) if mode == "RGBA" else (200, 20, 20)).save(
        buffer, "PNG" if mode == "RGBA" else "JPEG")
    return buffer.getvalue()


def test_a_seal_must_be_a_real_png_and_is_stored_in_the_database(client, setup, tree, login_as):
    url = f"/organisations/{tree.city.id}/images"
    login_as(make_organiser(tree.other_city))
    assert client.get(url).status_code == 403
    client.post("/accounts/logout")
    login_as(setup.organiser)  # manages 南京市总工会
    jpeg = client.post(url, data={"kind": "seal",
                                  "image": (io.BytesIO(png(mode="RGB")), "seal.png")},
                       content_type="multipart/form-data")
    assert jpeg.status_code == 200 and "PNG" in jpeg.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(OrganisationImage.id))) == 0
    good = client.post(url, data={"kind": "seal",
                                  "image": (io.BytesIO(png()), "seal.png")},
                       content_type="multipart/form-data")
    assert good.status_code == 302
    stored = db.session.scalar(sa.select(OrganisationImage))
    assert stored.kind is ImageKind.SEAL and stored.width == 120 and stored.data == png()
    assert client.get(f"/organisations/{tree.city.id}/images/seal.png").data == png()
    # the seal now prints over the issuer's name, transparency kept (an SMask)
    cert = certificate_of(setup.workers[3])
    pdf = client.get(f"/certificates/{cert.id}.pdf").data
    assert b"/SMask" in pdf


def test_the_settings_choose_kinds_issuers_and_offsets(client, setup, tree, login_as):
    url = f"/competitions/{setup.competition.id}/certificates"
    login_as(setup.organiser)
    page = client.get(url).get_data(as_text=True)
    assert "南京市总工会" in page and "江苏省总工会" in page
    data = {"kinds": ["award", "participation"],
            "issuers": [str(tree.city.id), str(tree.province.id)], "preprinted": "y"}
    for i in range(6):
        data[f"offsets-{i}-dx"], data[f"offsets-{i}-dy"] = "0", "0"
    data["offsets-0-dx"] = "2.5"
    response = client.post(url, data=data)
    assert response.status_code == 302
    db.session.expire_all()
    saved = setup.competition.certificate_settings
    assert saved["kinds"] == ["award", "participation"] and saved["preprinted"] is True
    assert saved["issuer_ids"] == [tree.city.id, tree.province.id]
    assert saved["offsets"] == {"holder": [2.5, 0.0]}
    data["offsets-1-dy"] = "500"
    refused = client.post(url, data=data)
    assert refused.status_code == 200
    calibration = client.get(f"{url}/calibration.pdf")
    assert calibration.status_code == 200 and calibration.data.startswith(b"%PDF")
    sample = client.get(f"{url}/sample.pdf")
    assert sample.status_code == 200 and "张三" in PdfReader(
        io.BytesIO(sample.data)).pages[0].extract_text()


# --- the command line -----------------------------------------------------------------------

def test_the_cli_issues_and_exports_a_competition(app, bare_tree, tmp_path):
    setup = MarkingSetup(bare_tree).with_results_officials()
    setup.competition.certificate_settings = {"kinds": []}
    _finalise(setup)
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0
    setup.competition.certificate_settings = {"kinds": ["award"]}
    db.session.commit()
    runner = app.test_cli_runner()
    issued = runner.invoke(args=["certificates", "issue", str(setup.competition.id)])
    assert issued.exit_code == 0, issued.output
    count = db.session.scalar(sa.select(sa.func.count(Certificate.id)))
    assert count >= 3 and f"{count} issued" in issued.output
    again = runner.invoke(args=["certificates", "issue", str(setup.competition.id)])
    assert "0 issued" in again.output
    out = tmp_path / "print"
    exported = runner.invoke(args=["certificates", "export", str(setup.competition.id),
                                   "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert len(list(out.glob("*.pdf"))) == count


def test_only_the_competitions_organisers_reach_its_certificate_pages(client, setup, tree,
                                                                      login_as):
    cert = certificate_of(setup.workers[3])
    competition, event = setup.competition.id, setup.event.id
    pages = [("get", f"/events/{event}/certificates"),
             ("post", f"/events/{event}/certificates/issue"),
             ("get", f"/events/{event}/certificates.zip"),
             ("post", f"/certificates/{cert.id}/revoke"),
             ("get", f"/competitions/{competition}/certificates"),
             ("post", f"/competitions/{competition}/certificates"),
             ("get", f"/competitions/{competition}/certificates/calibration.pdf"),
             ("get", f"/competitions/{competition}/certificates/sample.pdf"),
             ("get", f"/organisations/{tree.city.id}/images"),
             ("get", f"/organisations/{tree.city.id}/images/seal.png")]
    for method, url in pages:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]
    for user in (make_organiser(tree.other_city), setup.chief, setup.officer, setup.champion):
        db.session.commit()
        login_as(user)
        for method, url in pages:
            assert getattr(client, method)(url).status_code == 403, (user.username, url)
        client.post("/accounts/logout")
    assert certificate_of(setup.workers[3]).status is CertificateStatus.VALID


def test_the_holders_dashboard_points_to_their_certificates(client, setup, login_as):
    login_as(setup.champion)
    page = client.get("/accounts/dashboard").get_data(as_text=True)
    assert 'data-testid="dashboard-certificates"' in page and "/certificates/mine" in page
    note = client.get("/notifications/").get_data(as_text=True)
    assert "证书" in note and "/certificates/mine" in note


def test_an_organiser_records_the_region_code_and_a_wrong_one_is_named(client, bare_tree,
                                                                        login_as):
    tree = bare_tree
    organiser = make_organiser(tree.city)
    db.session.commit()
    login_as(organiser)
    url = f"/organisations/{tree.city.id}/edit"
    form = {"name": "南京市总工会", "kind": "union", "tier": "city"}
    refused = client.post(url, data={**form, "region_code": "999999"})
    assert refused.status_code == 200
    assert "999999 不是有效的行政区划代码" in refused.get_data(as_text=True)
    assert client.post(url, data={**form, "region_code": "320100"}).status_code == 302
    db.session.expire_all()
    assert tree.city.region_code == "320100"
    page = client.get(f"/organisations/{tree.city.id}").get_data(as_text=True)
    assert 'data-testid="region-code">320100<' in page
