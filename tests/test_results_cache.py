"""The public results table is rendered once per published version and language, and a new
version, a reopening or another language is never served from an older rendering."""

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from competitions.database import utcnow
from competitions.extensions import db
from competitions.judging import marking, signoff
from competitions.judging.models import ScoreSheet
from competitions.public.results_cache import FragmentCache
from competitions.results import lifecycle
from tests import test_result_versions as versions
from tests.factories import MarkingSetup
from tests.test_public_results import publish, results_setup
from tests.test_query_counts import statements


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_the_cache_keeps_the_most_recently_used_within_its_bytes():
    cache = FragmentCache(max_bytes=10, clock=Clock())
    rendered = []

    def render(text):
        def call():
            rendered.append(text)
            return (text,)
        return call

    assert cache.get_or_render("a", render("aaaa")) == ("aaaa",)
    assert cache.get_or_render("a", render("other")) == ("aaaa",)  # kept
    cache.get_or_render("b", render("bbbb"))
    cache.get_or_render("a", render("unused"))  # a is now the most recently used
    cache.get_or_render("c", render("cccc"))  # 12 bytes: b, the least recent, goes
    assert cache.size == 8 and len(cache) == 2
    assert cache.get_or_render("b", render("b2")) == ("b2",)
    assert cache.get_or_render("huge", render("x" * 11)) == ("x" * 11,)  # served, not kept
    assert cache.get_or_render("huge", render("y" * 11)) == ("y" * 11,)
    assert rendered == ["aaaa", "bbbb", "cccc", "b2", "x" * 11, "y" * 11]


def test_an_entry_expires_after_its_time_to_live():
    clock = Clock()
    cache = FragmentCache(max_bytes=100, ttl=60, clock=clock)
    cache.get_or_render("a", lambda: ("old",))
    clock.now = 59
    assert cache.get_or_render("a", lambda: ("new",)) == ("old",)
    clock.now = 61
    assert cache.get_or_render("a", lambda: ("new",)) == ("new",)


def rows_queries(sent: list[str]) -> int:
    """The statements of result_rows: the results joined with their entries."""
    return sum(1 for text in sent if text.startswith("SELECT results.entry_id"))


def test_a_second_reader_is_served_the_table_rendered_for_the_first(tree, client):
    setup = results_setup(tree)
    publish(setup)
    url = f"/events/{setup.event.id}/results"
    first, sent_first = statements(lambda: client.get(url))
    second, sent_second = statements(lambda: client.get(url))
    assert first.status_code == second.status_code == 200
    assert rows_queries(sent_first) == 1 and rows_queries(sent_second) == 0
    assert len(sent_second) < len(sent_first)
    table = first.get_data(as_text=True).split('data-testid="public-results"')[1]
    assert table == second.get_data(as_text=True).split('data-testid="public-results"')[1]


def test_each_language_has_its_own_table(tree, client):
    setup = results_setup(tree)
    publish(setup)
    url = f"/events/{setup.event.id}/results"
    chinese = client.get(url).get_data(as_text=True)
    client.set_cookie("lang", "en")
    english = client.get(url).get_data(as_text=True)
    assert "名次" in chinese and "Rank" in english and "名次" not in english


def test_an_upheld_appeal_and_the_republication_are_shown_at_once(tree, client):
    """Each step is read from a page whose earlier table is in the cache."""
    setup = MarkingSetup(tree).with_results_officials()
    db.session.commit()
    now = utcnow()
    versions.published(setup, now)
    url = f"/events/{setup.event.id}/results"
    first = client.get(url).get_data(as_text=True)
    assert "<strong>82.40</strong>" in first and "<strong>90.00</strong>" not in first
    appeal = lifecycle.file_appeal(setup.entrant, setup.entries[1], "B1 评分有误", now=now)
    lifecycle.decide_appeal(setup.arbitrator, appeal, upheld=True, reason="B1 计分错误")
    db.session.commit()
    under_review = client.get(url).get_data(as_text=True)
    assert 'data-testid="results-under-review"' in under_review
    assert "<strong>82.40</strong>" in under_review  # the last published, as it was
    for sheet in db.session.scalars(sa.select(ScoreSheet).where(
            ScoreSheet.entry_id == setup.entries[1].id)):
        if any(m.criterion_id == setup.b1.id for m in sheet.marks):
            marking.correct_mark(setup.chief, sheet, setup.b1, Decimal(60), "仲裁改判")
    signoff.sign_off(setup.chief, setup.event)
    lifecycle.publish(setup.organiser, setup.event, now=now + timedelta(days=2))
    db.session.commit()
    republished = client.get(url).get_data(as_text=True)
    assert 'data-testid="results-under-review"' not in republished
    assert "<strong>90.00</strong>" in republished  # version 2: entry 1 now first
    old = client.get(f"{url}?version=1").get_data(as_text=True)
    assert "<strong>90.00</strong>" not in old and "<strong>82.40</strong>" in old
