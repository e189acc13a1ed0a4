"""In a real browser: award certificates after an event's results are final. The holder finds
and downloads theirs, anyone checks one (by its QR link or by typing the number and code, on a
phone as on a desktop), and an organiser revokes one, which the public check then says.

The marking and finalisation are set up directly (MarkingSetup + lifecycle.finalise, as in
tests/test_certificate_pages.py); every later step goes through the pages."""

import io
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from pypdf import PdfReader

from competitions.certificates.documents import verify_url
from competitions.certificates.models import Certificate, CertificateStatus
from competitions.certificates.serials import grouped_token
from competitions.database import utcnow
from competitions.extensions import db
from competitions.masking import mask_name
from competitions.results import lifecycle
from tests import factories
from tests.browser.test_account_security import PHONE, new_browser
from tests.browser.test_login_language import log_in, watch_console
from tests.test_results import A1, B1, T1

pytestmark = pytest.mark.browser
SCREENS = "/tmp/screens"
DESKTOP = {"width": 1280, "height": 900}

CHAMPION = "chen_meiling"  # 陈美玲, first: gold
CHAMPION_NAME = "陈美玲"
GROUP_LABELS = {"employee": "Employee group", "student": "Student group",
                "teacher": "Teacher group"}  # EventGroup's msgids


@dataclass
class Issued:
    serial: str
    token: str
    path: str  # /verify/<serial>?t=<token>, as the QR code's link has it
    cert_id: int
    holder: str


@dataclass
class Journey:
    event_id: int
    event_name: str
    competition_name: str
    notified_event: str  # as the notification names it: 焊工 · 职工组
    organiser: str
    gold: Issued  # 陈美玲's award certificate
    other: Issued  # another live certificate of the event (for the revocation)


def _issued(cert: Certificate) -> Issued:
    url = verify_url(cert)
    return Issued(serial=cert.serial, token=cert.token, path="/" + url.split("://", 1)[1]
                  .split("/", 1)[1], cert_id=cert.id, holder=cert.holder_name)


def set_up(live_app) -> Journey:
    """One city event, marked, signed off, decrypted, published and finalised: its award
    certificates are issued, and 陈美玲 (the gold winner) has a login."""
    with live_app.app_context():
        tree = factories.Tree()
        tree.city.region_code = "320100"
        setup = factories.MarkingSetup(tree).with_results_officials()
        champion = factories.make_user(CHAMPION, display_name=CHAMPION_NAME)
        setup.workers[3].user = champion
        setup.finish(A1, B1, T1)
        lifecycle.decrypt(setup.officer, setup.event)
        # Published six days ago, so that the notice is over and the certificates are dated
        # today (their date is the finalisation's).
        published = utcnow() - timedelta(days=6)
        lifecycle.publish(setup.organiser, setup.event, now=published)
        lifecycle.finalise(setup.organiser, setup.event, now=utcnow())
        db.session.commit()
        live = {cert.worker_id: cert for cert in db.session.scalars(sa.select(Certificate).where(
            Certificate.event_id == setup.event.id, Certificate.revoked_at.is_(None)))}
        gold = live[setup.workers[3].id]
        other = next(cert for worker_id, cert in sorted(live.items())
                     if worker_id != setup.workers[3].id)
        assert gold.holder_name == CHAMPION_NAME and "gold" in gold.awards
        notified_event = f"{setup.event.occupation.name} · {setup.event.group.value}"
        return Journey(event_id=setup.event.id, event_name=setup.event.name,
                       competition_name=setup.competition.name,
                       notified_event=notified_event,
                       organiser=setup.organiser.username, gold=_issued(gold),
                       other=_issued(other))


@pytest.fixture
def journey(live_app) -> Journey:
    return set_up(live_app)


@pytest.fixture
def new_page(browser):
    """new_page(viewport): a page in its own context (Beijing, zh-CN); console errors checked."""
    contexts, consoles = [], []

    def open_page(viewport=DESKTOP):
        context, page = new_browser(browser, viewport)
        contexts.append(context)
        page.set_default_timeout(10_000)
        consoles.append(watch_console(page))
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    yield open_page
    for context in contexts:
        context.close()
    # A not-found verdict is served with status 404, which Chromium logs as a failed load.
    assert [error for console in consoles for error in console
            if not re.search(r"status of 404 .*/verify\b", error)] == []


def fits(page, viewport) -> bool:
    """No horizontal scrolling: the page is no wider than the screen."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth") and \
        page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def main_nav(page, zh, viewport):
    """The main navigation; on a phone, opened from its ☰ toggle first."""
    if viewport["width"] < 700 and page.locator("label.nav-toggle-label").is_visible():
        page.locator("label.nav-toggle-label").click()
    return page.get_by_role("navigation", name=zh("Main"))


def label(text: str) -> re.Pattern:
    """A field's label, with or without the asterisk that marks it required."""
    return re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$")


def expect_verdict(page, zh, status_msgid):
    expect(page.get_by_test_id("verdict-status")).to_have_text(zh(status_msgid))


# --- a: the holder finds and downloads the certificate ------------------------------------

@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_gold_winner_downloads_her_award_certificate(live_server, journey, new_page, zh,
                                                         viewport):
    page = new_page(viewport)
    log_in(page, live_server, CHAMPION, factories.PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/dashboard"))
    # Told of the results' publication and that the certificate is ready; the link in the menu.
    expect(page.get_by_test_id("unread-count")).to_have_text("2")
    nav = main_nav(page, zh, viewport)
    nav.get_by_role("link", name=zh("My certificates"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("My certificates"))
    assert zh("My certificates") == "我的证书"

    card = page.get_by_test_id(f"certificate-{journey.gold.cert_id}")
    expect(card.get_by_role("heading", level=2)).to_have_text(
        f"{zh('Award certificate')} · {zh('Gold medal')}")
    assert f"{zh('Award certificate')} · {zh('Gold medal')}" == "获奖证书 · 金牌"
    expect(card).to_contain_text(journey.gold.serial)
    expect(page.get_by_test_id("my-certificates").locator("li.card")).to_have_count(1)
    if viewport is PHONE:
        assert fits(page, viewport), "My certificates scrolls sideways on a phone"
    page.screenshot(path=f"{SCREENS}/certificates-mine-{viewport['width']}-zh.png",
                    full_page=True)

    with page.expect_download() as info:
        card.get_by_test_id(f"download-{journey.gold.cert_id}").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    assert journey.gold.serial in download.suggested_filename
    content = download.path().read_bytes()
    assert content.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert CHAMPION_NAME in text and journey.gold.serial in text


def test_the_notification_leads_to_my_certificates(live_server, journey, new_page, zh):
    page = new_page()
    log_in(page, live_server, CHAMPION, factories.PASSWORD)
    page.get_by_role("navigation", name=zh("Main")).get_by_role(
        "link", name=re.compile(zh("Notifications"))).click()
    occupation, group = journey.notified_event.split(" · ")
    message = zh("Your certificate for %(event)s of %(competition)s is ready to download.",
                 event=f"{occupation} · {zh(GROUP_LABELS[group])}",
                 competition=journey.competition_name)
    page.locator("main").get_by_role("link", name=message).click()
    expect(page).to_have_url(re.compile(r"/certificates/mine$"))
    expect(page.get_by_test_id(f"download-{journey.gold.cert_id}")).to_be_visible()


# --- b: the public check --------------------------------------------------------------------

@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_anyone_checks_a_certificate_by_its_link_or_by_typing_it(live_server, journey,
                                                                 new_page, zh, viewport):
    page = new_page(viewport)  # not logged in
    gold = journey.gold

    # The QR code's link.
    page.goto(f"{live_server}{gold.path}")
    expect_verdict(page, zh, "Valid")
    assert zh("Valid") == "有效"
    expect(page.get_by_test_id("verdict-holder")).to_have_text(mask_name(CHAMPION_NAME))
    assert mask_name(CHAMPION_NAME) == "陈*玲"
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_contain_text(f"{zh('Award certificate')} · {zh('Gold medal')}")
    expect(verdict).to_contain_text("南京市总工会")
    expect(verdict).to_contain_text(gold.serial)
    content = page.content()
    assert CHAMPION_NAME not in content and gold.token not in content
    assert fits(page, viewport), "the verdict scrolls sideways"
    page.screenshot(path=f"{SCREENS}/verify-valid-{viewport['width']}-zh.png", full_page=True)

    # A wrong token: not found, the same as an unknown number.
    response = page.goto(f"{live_server}/verify/{gold.serial}?t={'A' * 20}")
    assert response.status == 404
    expect_verdict(page, zh, "Not found")
    assert zh("Not found") == "未找到"
    assert gold.serial not in page.locator("main").inner_text()
    assert fits(page, viewport)

    # Typed by hand, the code as printed under the QR code.
    page.goto(f"{live_server}/verify")
    expect(page.get_by_test_id("verdict")).to_have_count(0)
    assert fits(page, viewport), "/verify scrolls sideways"
    page.get_by_label(label(zh("Certificate number"))).fill(gold.serial)
    page.get_by_label(label(zh("Verification code"))).fill(grouped_token(gold.token))
    page.locator("main form").get_by_role("button", name=zh("Verify")).click()
    expect_verdict(page, zh, "Valid")
    expect(page.get_by_test_id("verdict-holder")).to_have_text(mask_name(CHAMPION_NAME))
    # The answer never repeats the code that was typed.
    expect(page.get_by_label(label(zh("Verification code")))).to_have_value("")
    assert fits(page, viewport)

    # A typo in the code: not found.
    page.get_by_label(label(zh("Certificate number"))).fill(gold.serial.lower())
    page.get_by_label(label(zh("Verification code"))).fill(
        grouped_token(gold.token[:-1] + ("B" if gold.token[-1] != "B" else "C")))
    page.locator("main form").get_by_role("button", name=zh("Verify")).click()
    expect_verdict(page, zh, "Not found")


# --- c: the organiser revokes one ------------------------------------------------------------

def test_an_organiser_revokes_a_certificate_and_the_public_check_says_so(
        live_app, live_server, journey, new_page, zh):
    reason = "经查，参赛资格不符"
    other = journey.other
    visitor = new_page(PHONE)
    visitor.goto(f"{live_server}{other.path}")
    expect_verdict(visitor, zh, "Valid")

    page = new_page()
    log_in(page, live_server, journey.organiser, factories.PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/dashboard"))
    page.goto(f"{live_server}/events/{journey.event_id}/certificates")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        zh("Certificates: %(event)s", event=journey.event_name))
    row = page.get_by_test_id(f"certificate-{other.cert_id}")
    expect(row).to_contain_text(other.serial)
    expect(row).to_contain_text(other.holder)
    expect(page.get_by_test_id("certificates-zip")).to_be_visible()

    # The reason field is hidden in the closed <details> until "撤销" is clicked. (Found by
    # name: every row's box has id="reason", so the label works in the first row only; see
    # test_each_revocation_reason_has_its_own_label.)
    reason_box = row.locator("textarea[name=reason]")
    expect(reason_box).to_be_hidden()
    row.locator("summary").click()
    expect(reason_box).to_be_visible()
    reason_box.fill(reason)
    page.screenshot(path=f"{SCREENS}/certificates-revoke-zh.png", full_page=True)
    row.get_by_test_id(f"revoke-{other.cert_id}").click()
    expect(page.locator(".flash-success")).to_have_text(
        zh("Certificate %(serial)s has been revoked.", serial=other.serial))
    row = page.get_by_test_id(f"certificate-{other.cert_id}")
    expect(row).to_contain_text(zh("Revoked"))
    expect(row).to_contain_text(reason)
    expect(row.get_by_test_id(f"revoke-{other.cert_id}")).to_have_count(0)
    # The gold winner's is untouched.
    expect(page.get_by_test_id(f"certificate-{journey.gold.cert_id}")).to_contain_text(
        zh("Valid"))

    # The same link now says 已撤销, with the reason.
    visitor.reload()
    expect_verdict(visitor, zh, "Revoked")
    assert zh("Revoked") == "已撤销"
    expect(visitor.get_by_test_id("verdict-explanation")).to_contain_text(reason)
    assert fits(visitor, PHONE)
    visitor.screenshot(path=f"{SCREENS}/verify-revoked-phone-zh.png", full_page=True)

    with live_app.app_context():
        cert = db.session.get(Certificate, other.cert_id)
        assert cert.status is CertificateStatus.REVOKED and cert.revoke_reason == reason


def test_each_revocation_reason_has_its_own_label(live_server, journey, new_page, zh):
    page = new_page()
    log_in(page, live_server, journey.organiser, factories.PASSWORD)
    page.goto(f"{live_server}/events/{journey.event_id}/certificates")
    ids = page.evaluate("Array.from(document.querySelectorAll('[id]'), e => e.id)")
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    for cert in (journey.gold, journey.other):
        row = page.get_by_test_id(f"certificate-{cert.cert_id}")
        row.locator("summary").click()
        expect(row.get_by_label(zh("Reason for revoking"))).to_be_visible()
