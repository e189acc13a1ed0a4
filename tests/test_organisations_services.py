"""The tier tree's services: subtree queries, moves, cycles, tiers, permissions, audit."""

import threading
import time

import pytest
import sqlalchemy as sa

from competitions.accounts.models import Role, RoleGrant, User
from competitions.audit.models import AuditEntry
from competitions.audit.services import verify_chain
from competitions.errors import PermissionDenied
from competitions.extensions import db
from competitions.organisations import services
from competitions.organisations.models import Organisation, OrgKind, Tier
from competitions.organisations.services import TierAboveParent, TreeCycle
from tests.factories import make_admin, make_enterprise, make_org, make_organiser, make_user


@pytest.fixture(autouse=True)
def english_messages(app):
    """Refusals read in English, so that tests can match their wording."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


def ids(stmt) -> set[int]:
    return {org.id for org in db.session.scalars(stmt)}


def paths() -> dict[int, str]:
    return dict(db.session.execute(sa.select(Organisation.id, Organisation.path)).tuples().all())


@pytest.fixture
def prefix_trap(app):
    """Ids 1, 2 and 10..22 placed so that '/1/' and '/1/2/' prefix other branches textually."""
    one = make_org("root one")                                    # /1/
    two = make_org("two", parent=one)                             # /1/2/
    for _ in range(3, 10):
        make_org(parent=two)                                      # /1/2/3/ .. /1/2/9/
    ten = make_org("root ten")                                    # /10/
    for _ in range(11, 20):
        make_org(parent=ten)                                      # /10/11/ .. /10/19/
    twenty = make_org("twenty", parent=one)                       # /1/20/
    twenty_one = make_org("twenty-one", parent=one)               # /1/21/
    make_org(parent=twenty_one)                                   # /1/21/22/
    db.session.commit()
    assert (one.id, two.id, ten.id, twenty.id, twenty_one.id) == (1, 2, 10, 20, 21)
    return {"one": one, "two": two, "ten": ten}


def test_subtree_query_ignores_ids_that_merely_share_a_prefix(prefix_trap):
    assert ids(services.subtree_query(prefix_trap["one"])) == {*range(1, 10), 20, 21, 22}
    assert ids(services.subtree_query(prefix_trap["two"])) == set(range(2, 10))
    assert ids(services.subtree_query(prefix_trap["ten"])) == set(range(10, 20))
    assert services.count_subtree(prefix_trap["one"]) == 12
    assert services.count_subtree(prefix_trap["ten"]) == 10


def test_is_within_ignores_ids_that_merely_share_a_prefix(prefix_trap):
    eleven = db.session.get(Organisation, 11)
    assert eleven.is_within(prefix_trap["ten"])
    assert not eleven.is_within(prefix_trap["one"])
    assert not db.session.get(Organisation, 20).is_within(prefix_trap["two"])


@pytest.mark.parametrize("query", ["rows", "count"])
def test_subtree_query_uses_the_path_index(tree, backend, query):
    stmt = (services.subtree_query(tree.province) if query == "rows" else
            sa.select(sa.func.count()).select_from(Organisation).where(
                Organisation.in_subtree(tree.province.path)))
    sql = str(stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    if backend == "sqlite":
        index = db.session.execute(sa.text(
            "SELECT il.name FROM pragma_index_list('organisations') il "
            "JOIN pragma_index_info(il.name) ii WHERE ii.name = 'path'")).scalar_one()
        plan = " ".join(row[-1] for row in db.session.execute(
            sa.text("EXPLAIN QUERY PLAN " + sql)))
        assert "SCAN organisations" not in plan, plan
        assert f"INDEX {index} (path>? AND path<?)" in plan, plan
    else:
        index = db.session.execute(sa.text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'organisations' "
            "AND indexdef LIKE '%(path%'")).scalar_one()
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(db.session.execute(sa.text("EXPLAIN " + sql)).scalars())
        assert "Seq Scan" not in plan, plan
        assert f" {index} " in plan and ("Index" in plan or "Bitmap" in plan), plan
        assert "Index Cond" in plan and "path" in plan, plan
    db.session.rollback()


def test_move_rewrites_the_path_of_every_descendant(tree):
    workshop = make_org("车间", parent=tree.firm, kind=OrgKind.ENTERPRISE, tier=Tier.ENTERPRISE)
    db.session.commit()
    moved = [tree.city.id, tree.firm.id, workshop.id]
    untouched = {i: p for i, p in paths().items() if i not in moved}

    services.move_organisation(make_admin(), tree.city, tree.other_city)
    db.session.commit()

    after = paths()
    base = tree.other_city.path
    assert after[tree.city.id] == f"{base}{tree.city.id}/"
    assert after[tree.firm.id] == f"{base}{tree.city.id}/{tree.firm.id}/"
    assert after[workshop.id] == f"{base}{tree.city.id}/{tree.firm.id}/{workshop.id}/"
    assert {i: after[i] for i in untouched} == untouched
    assert tree.city.parent_id == tree.other_city.id
    assert ids(services.subtree_query(tree.other_city)) == {
        tree.other_city.id, tree.other_firm.id, *moved}


@pytest.mark.parametrize("target", ["city", "firm"], ids=["under-itself", "under-descendant"])
def test_move_into_own_subtree_is_refused_and_changes_nothing(tree, target):
    before = paths()
    with pytest.raises(TreeCycle) as refused:
        services.move_organisation(make_admin(), tree.city, getattr(tree, target))
    assert refused.value.field == "parent"
    assert "cannot move under" in str(refused.value.message)
    db.session.rollback()
    assert paths() == before
    assert db.session.get(Organisation, tree.city.id).parent_id == tree.province.id


def test_move_under_a_lower_tier_is_refused(tree):
    with pytest.raises(TierAboveParent) as refused:
        services.move_organisation(make_admin(), tree.other_city, tree.firm)
    assert refused.value.field == "parent"


def test_create_refuses_a_tier_above_the_parent(tree):
    with pytest.raises(TierAboveParent) as refused:
        services.create_organisation(make_admin(), name="市总", kind=OrgKind.UNION,
                                     tier=Tier.PROVINCIAL, parent=tree.city)
    assert refused.value.field == "tier"


def test_update_refuses_a_tier_above_the_parent_or_below_a_child(tree):
    admin = make_admin()
    with pytest.raises(TierAboveParent):
        services.update_organisation(admin, tree.city, name=tree.city.name, kind=OrgKind.UNION,
                                     tier=Tier.NATIONAL)
    with pytest.raises(TierAboveParent):
        services.update_organisation(admin, tree.province, name="省", kind=OrgKind.UNION,
                                     tier=Tier.DISTRICT)


def test_create_places_the_new_organisation_under_its_parent_and_audits(tree):
    organiser = make_organiser(tree.city)
    org = services.create_organisation(organiser, name=" 南京汽车厂 ", kind=OrgKind.ENTERPRISE,
                                       tier=Tier.ENTERPRISE, parent=tree.city)
    db.session.commit()
    assert org.name == "南京汽车厂"
    assert org.path == f"{tree.city.path}{org.id}/"
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "organisation.create")).one()
    assert (entry.subject_id, entry.actor_id) == (str(org.id), organiser.id)


def test_update_and_move_are_audited_with_before_and_after(tree):
    admin = make_admin()
    services.update_organisation(admin, tree.firm, name="南钢", kind=OrgKind.ENTERPRISE,
                                 tier=Tier.ENTERPRISE)
    services.move_organisation(admin, tree.firm, tree.other_city)
    db.session.commit()
    entries = {e.action: e for e in db.session.scalars(sa.select(AuditEntry))}
    assert "南京钢铁集团" in entries["organisation.update"].before
    assert "南钢" in entries["organisation.update"].after
    assert f'"parent_id":{tree.city.id}' in entries["organisation.move"].before
    assert f'"parent_id":{tree.other_city.id}' in entries["organisation.move"].after
    assert verify_chain() == (2, None)


def test_unchanged_update_writes_no_audit_entry(tree):
    services.update_organisation(make_admin(), tree.firm, name=tree.firm.name,
                                 kind=tree.firm.kind, tier=tree.firm.tier)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_organiser_cannot_change_anything_outside_their_subtree(tree):
    outsider = make_organiser(tree.other_city)
    with pytest.raises(PermissionDenied):
        services.create_organisation(outsider, name="x", kind=OrgKind.ENTERPRISE,
                                     tier=Tier.ENTERPRISE, parent=tree.city)
    with pytest.raises(PermissionDenied):
        services.update_organisation(outsider, tree.firm, name="x", kind=OrgKind.ENTERPRISE,
                                     tier=Tier.ENTERPRISE)
    with pytest.raises(PermissionDenied):  # moving someone else's unit into their own city
        services.move_organisation(outsider, tree.firm, tree.other_city)
    with pytest.raises(PermissionDenied) as refused:  # moving their own unit out of reach
        services.move_organisation(outsider, tree.other_firm, tree.city)
    assert refused.value.field == "parent"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_only_admins_create_or_move_top_level_organisations(tree):
    organiser = make_organiser(tree.national)
    with pytest.raises(PermissionDenied):
        services.create_organisation(organiser, name="x", kind=OrgKind.UNION,
                                     tier=Tier.NATIONAL, parent=None)
    with pytest.raises(PermissionDenied):
        services.move_organisation(organiser, tree.national, tree.province)
    root = services.create_organisation(make_admin(), name="国际组织", kind=OrgKind.INDUSTRY_BODY,
                                        tier=Tier.INTERNATIONAL, parent=None)
    assert root.path == f"/{root.id}/"


def test_organiser_moves_a_unit_between_cities_of_their_province(tree):
    services.move_organisation(make_organiser(tree.province), tree.firm, tree.other_city)
    db.session.commit()
    assert tree.firm.path == f"{tree.other_city.path}{tree.firm.id}/"


def test_managed_roots_are_the_topmost_organiser_grants(tree):
    organiser = make_organiser(tree.province)
    db.session.add_all([RoleGrant(user=organiser, role=Role.ORGANISER, organisation=o)
                        for o in (tree.city, tree.other_city)])
    db.session.flush()
    assert services.managed_roots(organiser) == [tree.province]
    assert services.managed_roots(make_admin()) == [tree.national]
    hr_officer = make_user(roles=[Role.HR_OFFICER], organisation=tree.city)
    assert services.managed_roots(hr_officer) == []


def test_search_is_limited_to_the_managed_subtrees(tree):
    organiser = make_organiser(tree.city)
    found = services.search_organisations("集团", within=organiser.organiser_paths)
    assert found == [tree.firm]
    assert services.search_organisations("公司", within=organiser.organiser_paths) == []


def test_ancestors_children_and_organisers_are_listed(tree):
    second = make_enterprise(tree.city, "南京第二厂")
    organiser = make_organiser(tree.city)
    make_organiser(tree.province)
    assert services.ancestors_of(tree.firm) == [tree.national, tree.province, tree.city]
    assert services.ancestors_of(tree.national) == []
    assert services.child_counts([tree.province.id, tree.city.id, tree.firm.id]) == {
        tree.province.id: 2, tree.city.id: 2}
    first = services.first_children([tree.city.id, tree.other_city.id], limit=1)
    assert len(first[tree.city.id]) == 1 and first[tree.city.id][0] in (tree.firm, second)
    assert first[tree.other_city.id] == [tree.other_firm]
    assert set(services.first_children([tree.city.id], limit=5)[tree.city.id]) == {
        tree.firm, second}
    assert [g.user for g in services.organisers_of(tree.city)] == [organiser]


def _in_another_transaction(app, work):
    """Run work() in a thread with its own session; return (thread, outcome dict)."""
    outcome = {}

    def run():
        with app.test_request_context(headers={"Cookie": "lang=en"}):
            try:
                outcome["value"] = work()
                db.session.commit()
            except Exception as error:  # reported to the test, which asserts on it
                outcome["error"] = error
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _concurrent_tree(tree, backend):
    if backend == "sqlite":
        pytest.skip("SQLite lets one writer in at a time; the race needs PostgreSQL")
    admin = make_admin()
    zhejiang = make_org("浙江省总工会", parent=tree.national, tier=Tier.PROVINCIAL)
    db.session.commit()
    return admin.id, zhejiang


def test_a_unit_created_while_its_branch_moves_gets_the_moved_path(app, tree, backend):
    admin_id, zhejiang = _concurrent_tree(tree, backend)
    firm_id = tree.firm.id
    services.move_organisation(make_admin("mover"), tree.city, zhejiang)  # not committed yet

    def create_under_firm():
        firm = db.session.get(Organisation, firm_id)
        assert firm.path.startswith(tree.province.path)  # read before the move commits
        org = services.create_organisation(db.session.get(User, admin_id), name="车间",
                                           kind=OrgKind.ENTERPRISE, tier=Tier.ENTERPRISE,
                                           parent=firm)
        return org.id, org.path

    thread, outcome = _in_another_transaction(app, create_under_firm)
    time.sleep(0.5)
    assert thread.is_alive()  # waiting for the move
    db.session.commit()
    thread.join(10)
    assert "error" not in outcome, outcome
    workshop_id, workshop_path = outcome["value"]
    assert workshop_path == f"{zhejiang.path}{tree.city.id}/{firm_id}/{workshop_id}/"
    assert paths()[workshop_id] == workshop_path


def test_two_crossing_moves_cannot_make_a_cycle(app, tree, backend):
    admin_id, zhejiang = _concurrent_tree(tree, backend)
    # Jiangsu moves under a unit of Zhejiang while Zhejiang moves under a unit of Jiangsu: each
    # move alone is fine, together they would make a loop.
    in_jiangsu = make_org("江苏省产业工会", parent=tree.province, tier=Tier.PROVINCIAL)
    in_zhejiang = make_org("浙江省产业工会", parent=zhejiang, tier=Tier.PROVINCIAL)
    db.session.commit()
    ids_ = {"zhejiang": zhejiang.id, "in_jiangsu": in_jiangsu.id}
    services.move_organisation(make_admin("mover"), tree.province, in_zhejiang)  # uncommitted

    def move_zhejiang_into_jiangsu():
        services.move_organisation(db.session.get(User, admin_id),
                                   db.session.get(Organisation, ids_["zhejiang"]),
                                   db.session.get(Organisation, ids_["in_jiangsu"]))

    thread, outcome = _in_another_transaction(app, move_zhejiang_into_jiangsu)
    time.sleep(0.5)
    db.session.commit()
    thread.join(10)
    assert isinstance(outcome.get("error"), TreeCycle), outcome
    db.session.expire_all()
    assert db.session.get(Organisation, ids_["zhejiang"]).parent_id == tree.national.id
    assert paths()[tree.province.id] == f"{in_zhejiang.path}{tree.province.id}/"
