"""The organisers' worker search by name: exact on every database, indexed on PostgreSQL."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from competitions.extensions import db
from competitions.organisations.models import Organisation
from competitions.registration import services
from competitions.registration.models import Worker
from competitions.registration.sex import Sex
from tests.factories import make_enterprise, make_organiser, make_worker

NAMES = ["张伟", "张伟明", "王张伟", "伟张", "欧阳修明", "张", "张三伟", "折扣5%王", "下划_线",
         "下划X线", "李四"]
FRAGMENTS = ["张伟", "伟张", "阳修", "修阳", "张伟明", "欧阳修明", "欧阳修明远", "张", "伟",
             "5%", "%", "%王", "_", "划_", "划_线", "X", "四"]


@pytest.fixture
def organiser(tree):
    return make_organiser(tree.city)


@pytest.fixture
def workers(tree):
    """Every name in NAMES, at tree.firm; 张伟 also works in another city, out of reach."""
    made = {name: make_worker(tree.firm, name=name) for name in NAMES}
    make_worker(tree.other_firm, name="张伟")
    db.session.commit()
    return made


def found(user, fragment: str) -> list[str]:
    return sorted(worker.name for worker in
                  db.session.scalars(services.workers_query(user, fragment)))


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_name_search_finds_exactly_the_names_that_contain_the_fragment(workers, organiser,
                                                                       fragment):
    """Two characters or more, one character, and % or _ taken as themselves, not wildcards:
    the character pairs narrow the search on PostgreSQL and never change its answer."""
    assert found(organiser, fragment) == sorted(name for name in NAMES if fragment in name)


def test_name_search_still_finds_a_full_id_number(workers, organiser):
    worker = workers["欧阳修明"]
    assert found(organiser, worker.id_number) == ["欧阳修明"]


def test_worker_list_page_filters_by_name_within_the_unit_chosen(tree, workers, organiser,
                                                                 login_as):
    elsewhere = make_enterprise(tree.city, "南京港务集团")
    make_worker(elsewhere, name="张伟强")
    db.session.commit()
    client = login_as(organiser)

    def listed(url):
        rows = re.search(r"<tbody>.*?</tbody>", client.get(url).get_data(as_text=True), re.S)
        return sorted(re.findall(r'/registration/workers/\d+">([^<]*)</a>', rows.group(0)))

    assert listed("/registration/workers?q=张伟") == ["张伟", "张伟强", "张伟明", "王张伟"]
    assert listed(f"/registration/workers?q=张伟&org={tree.firm.id}") == ["张伟", "张伟明",
                                                                           "王张伟"]
    assert listed("/registration/workers?q=5%25") == ["折扣5%王"]


# --- PostgreSQL: the index behind the search ------------------------------------------------

@pytest.fixture
def pg_app(backend, request):
    if backend == "sqlite":
        pytest.skip("the name's character-pair index is PostgreSQL's")
    return request.getfixturevalue("app")


@pytest.mark.parametrize("name, pairs", [
    ("欧阳修明", ["欧阳", "阳修", "修明"]),
    ("张伟", ["张伟"]),
    ("张张张", ["张张", "张张"]),
    ("5%_a", ["5%", "%_", "_a"]),
    ("张", []),
    ("", []),
])
def test_text_bigrams_gives_the_character_pairs_in_order(pg_app, name, pairs):
    assert db.session.scalar(sa.select(sa.func.text_bigrams(name))) == pairs


def test_name_search_is_served_by_the_bigram_index(pg_app, tree, organiser, owner_engine):
    surnames, given = "张王李赵刘陈杨黄吴周", "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"
    names = [surnames[i % 10] + given[i // 10 % 20] + given[i // 200 % 20] for i in range(4000)]
    db.session.execute(sa.insert(Worker), [
        {"name": name, "id_number": f"9{i:017d}", "birth_date": date(1990, 1, 1),
         "sex": Sex.MALE, "employer_id": tree.firm.id} for i, name in enumerate(names)])
    db.session.commit()
    with owner_engine.begin() as conn:  # the statistics autovacuum would gather
        conn.execute(sa.text("ANALYZE workers"))
    stmt = services.workers_query(organiser, "张伟").where(Organisation.in_subtree(tree.city.path))
    compiled = stmt.compile(dialect=db.engine.dialect)
    connection = db.session.connection()
    # 4,000 rows are cheaper read whole than looked up; a million are not.
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    plan = "\n".join(connection.exec_driver_sql("EXPLAIN " + str(compiled),
                                                compiled.params).scalars())
    assert "ix_workers_name_bigrams" in plan, plan
    assert found(organiser, "张伟") == sorted(name for name in names if "张伟" in name)
