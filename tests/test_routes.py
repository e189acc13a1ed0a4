"""Every route checks permissions: a sweep over the whole URL map, so a new route cannot
forget its check. Per-role behaviour in detail lives in each area's own tests."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from competitions.accounts.models import Role, RoleGrant
from competitions.certificates.models import Certificate, CertificateKind
from competitions.contests.models import Drill
from competitions.extensions import db
from competitions.files.models import StoredFile
from competitions.judging import marking, signoff
from competitions.judging.models import ScoreImport, ScoreSheet
from competitions.notifications.models import Notification
from competitions.organisations.models import OrganisationImport
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import PromotionEligibility
from competitions.registration.models import EntryDocument, ImportBatch, Nomination
from competitions.results.honours import HonourTitle
from competitions.results.models import Appeal, TitleAward
from tests.factories import (
    MarkingSetup,
    make_competition,
    make_entry,
    make_event,
    make_organiser,
    make_user,
    make_worker,
)

# Routes anyone may use without logging in.
PUBLIC = {"static", "public.home", "public.set_language", "accounts.login",
          "accounts.logout", "registration.sign_up", "public.competitions",
          "public.competition", "public.event_results", "public.notice_pdf",
          "public.verify", "public.verify_lookup", "public.event", "public.competition_rules",
          "accounts.forgot_password", "accounts.use_link", "accounts.claim",
          "accounts.send_claim_code"}

# Routes any signed-in user may use (each serves only the user's own data).
ANY_USER = {"accounts.dashboard", "accounts.change_password", "accounts.security",
            "accounts.sign_out_everywhere",
            "notifications.index", "notifications.mark_read", "notifications.settings",
            "registration.open_events",
            "registration.my_entries", "registration.my_profile", "registration.register_self",
            "certificates.mine", "promotion.my_record", "registration.my_documents"}


@pytest.fixture
def objects(tree):
    """One of everything, none of it belonging to the worker who probes the routes."""
    organiser = make_organiser(tree.city, "city_organiser")
    competition = make_competition(tree.city)
    event = make_event(competition)
    other_worker = make_worker(tree.firm, name="李四明", user=make_user("lisi"))
    entry = make_entry(event, other_worker)
    batch = ImportBatch(event=event, user_id=organiser.id, filename="a.xlsx", sha256="0" * 64,
                        content=b"")
    nomination = Nomination(event=event, worker=other_worker, nominated_by=tree.firm)
    db.session.add_all([batch, nomination])
    db.session.flush()
    grant = db.session.query(RoleGrant).filter_by(user_id=organiser.id).one()
    judged = MarkingSetup(tree)
    marking.save_sheet(judged.judge2, judged.event, judged.code(0), {judged.a1.id: Decimal(1)},
                       version=0)
    penalty = signoff.add_penalty(judged.chief, judged.event, judged.entries[0],
                                  judged.scheme.components[1], Decimal(1), "违规")
    score_import = ScoreImport(event=judged.event, filename="t.xlsx", sha256="0" * 64,
                               content=b"")
    appeal = Appeal(event_id=event.id, entry_id=entry.id, filed_by_id=organiser.id, text="复核")
    title_award = TitleAward(competition_id=competition.id, event_id=event.id,
                             worker_id=other_worker.id,
                             title=HonourTitle.CITY_TECHNICAL_EXPERT, rule="city_ladder",
                             rank=1)
    notice = Notification(user_id=organiser.id, kind="entry_status",
                          params={"status": "approved", "event": "焊工"})
    certificate = Certificate(serial="2027-C-000000-0000001-X", token="A" * 20,
                              kind=CertificateKind.AWARD, key=f"award:{event.id}:0",
                              competition_id=competition.id, event_id=event.id,
                              worker_id=other_worker.id, entry_id=entry.id,
                              holder_name=other_worker.name, awards=["gold"],
                              issuer_ids=[tree.city.id])
    promotion = PromotionEligibility(
        competition_id=competition.id, event_id=event.id, entry_id=entry.id,
        worker_id=other_worker.id, occupation_id=event.occupation_id, rule_name="anhui_2023",
        rule_version=1, code="eligible", eligible=True, from_level=SkillLevel.LEVEL_3,
        to_level=SkillLevel.LEVEL_2, reason="参照", rank=1)
    drill = Drill(organisation_id=tree.firm.id, occupation_id=event.occupation_id,
                  name="焊工岗位练兵", held_on=competition.starts_on, participants=10)
    org_import = OrganisationImport(organisation_id=tree.city.id, user_id=organiser.id,
                                    filename="u.xlsx", sha256="0" * 64, content=b"")
    db.session.add_all([drill, org_import])
    stored = StoredFile(filename="a.pdf", content_type="application/pdf", size=5,
                        sha256="0" * 64, data=b"%PDF-")
    document = EntryDocument(entry_id=entry.id, worker_id=other_worker.id,
                             requirement="在职证明", file=stored)
    db.session.add_all([score_import, appeal, title_award, notice, certificate, promotion,
                        document])
    db.session.flush()
    return {"org_id": tree.city.id, "user_id": organiser.id, "grant_id": grant.id,
            "competition_id": competition.id, "event_id": event.id, "entry_id": entry.id,
            "worker_id": other_worker.id, "batch_id": batch.id,
            "nomination_id": nomination.id, "occupation_id": event.occupation_id,
            "name": "open_registration",
            "component_id": judged.scheme.components[0].id, "criterion_id": judged.b1.id,
            "blind_code": judged.code(0), "sheet_id": db.session.scalar(sa.select(ScoreSheet.id)),
            "penalty_id": penalty.id, "score_import_id": score_import.id,
            "appeal_id": appeal.id, "title_award_id": title_award.id,
            "notification_id": notice.id, "cert_id": certificate.id,
            "eligibility_id": promotion.id, "document_id": document.id, "drill_id": drill.id,
            "import_id": org_import.id,
            "secret": "not-a-live-link",
            "serial": certificate.serial, "kind": "seal",
            "filename": "css/app.css"}


def routes(app):
    for rule in app.url_map.iter_rules():
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        yield rule, ("GET" if "GET" in methods else methods[0])


def url_for_rule(rule, objects) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(objects[m.group(1)]), rule.rule)


def call(client, method, url):
    return client.get(url) if method == "GET" else client.post(url, data={})


def test_every_route_is_public_or_refuses_anonymous_visitors(app, client, objects):
    db.session.commit()
    for rule, method in routes(app):
        if rule.endpoint in PUBLIC:
            continue
        response = call(client, method, url_for_rule(rule, objects))
        assert response.status_code in (302, 401, 403), rule.endpoint
        if response.status_code == 302:
            assert "/accounts/login" in response.headers["Location"], rule.endpoint


def test_a_worker_without_roles_is_refused_everywhere_but_their_own_pages(app, client, tree,
                                                                           objects, login_as):
    worker_user = make_user("zhangsan")
    make_worker(tree.firm, user=worker_user, name="张三明")
    db.session.commit()
    login_as(worker_user)
    for rule, method in routes(app):
        if rule.endpoint in PUBLIC | ANY_USER:
            continue
        response = call(client, method, url_for_rule(rule, objects))
        assert response.status_code in (403, 404), (rule.endpoint, response.status_code)


def test_the_route_lists_name_real_endpoints(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints >= PUBLIC | ANY_USER


def test_an_organiser_of_another_city_is_refused_on_this_citys_objects(app, client, tree,
                                                                        objects, login_as):
    outsider = make_organiser(tree.other_city, "suzhou_organiser")
    db.session.commit()
    login_as(outsider)
    scoped = {"org_id", "competition_id", "event_id", "entry_id", "worker_id", "batch_id",
              "import_id",
              "nomination_id", "component_id", "criterion_id", "blind_code", "sheet_id",
              "penalty_id", "score_import_id", "appeal_id", "title_award_id",
              "notification_id", "cert_id", "eligibility_id", "document_id", "drill_id"}
    for rule, method in routes(app):
        if rule.endpoint in PUBLIC | ANY_USER or not set(rule.arguments) & scoped:
            continue
        response = call(client, method, url_for_rule(rule, objects))
        assert response.status_code in (403, 404), (rule.endpoint, response.status_code)
    assert Role.ORGANISER in {g.role for g in outsider.grants}
