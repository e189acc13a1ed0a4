"""The results settings page cites each award and title preset as RULES.md E says: in Chinese,
by its issuing body and document, never by a web address or an English note (issue 15)."""

import re

import pytest

from competitions.results.award_plans import AWARD_PRESETS
from competitions.results.titles import TITLE_RULES
from tests.test_results_settings import setup, url  # noqa: F401 (setup: the fixture)
from tests.test_results_views import browser, text

# RULES.md E, as written there.
AWARDS_CITED_AS = {
    "medals_half": ("参照第一届全国技能大赛（2020年）及黑龙江省职业技能竞赛通知："
                    "前三名金、银、铜牌，其后至参赛人数二分之一（含）为优胜奖"),
    "medals_two_thirds": "参照山西省职业技能竞赛规定：优胜奖至决赛人数三分之二",
    "prizes_10_20_30": "参照人力资源社会保障部2012年竞赛通知：一、二、三等奖分别为前10%、20%、30%",
    "fixed_counts": "参照地方竞赛规程：一、二、三等奖按规定名额",
    "guizhou_2023": "参照贵州省第一届职工职业技能大赛（2023年）：一等奖1名、二等奖2名、三等奖5名、"
                    "优胜奖若干名，前三名颁发金、银、铜牌",
}
TITLES_CITED_AS = {
    "national_class1_nengshou": "参照人社部函〔2018〕43号及第一届全国技能大赛（2020年）",
    "national_wuyi": "参照第五届（2015年）、第四届（2012年）全国职工职业技能大赛",
    "provincial_nengshou": "参照浙江省（2016年）、陕西省职业技能竞赛规定",
    "city_nengshou": "参照浙江省（2016年）、陕西省职业技能竞赛规定",
    "provincial_wuyi": "参照陕西省、广东省职业技能竞赛规定",
    "city_ladder": "参照石家庄市职工技术比赛规定",
}


def visible(page: str) -> str:
    """The page's text, with its markup, scripts and styles left out."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


@pytest.fixture
def pages(app, setup):  # noqa: F811 (the imported fixture)
    return {lang: text(browser(app, setup.organiser, lang).get(url(setup)))
            for lang in ("zh", "en")}


def test_presets_carry_the_citations_of_the_rules():
    for name, preset in AWARD_PRESETS.items():
        assert preset.citation == AWARDS_CITED_AS[name]
    for name, rule in TITLE_RULES.items():
        assert rule.citation.startswith("参照")
        if name in TITLES_CITED_AS:
            assert rule.citation == TITLES_CITED_AS[name]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_preset_is_cited_in_chinese(pages, lang):
    page = pages[lang]
    for name in (*AWARD_PRESETS, *TITLE_RULES):
        section = page.split(f'data-testid="award-{name}"', 1)[-1] \
            if name in AWARD_PRESETS else page.split(f'data-testid="title-{name}"', 1)[-1]
        citation = (AWARD_PRESETS[name].citation if name in AWARD_PRESETS
                    else TITLE_RULES[name].citation)
        assert citation and citation in section.split("data-testid=", 1)[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_web_address_or_source_note(pages, lang):
    shown = visible(pages[lang])
    assert "http" not in shown and "www." not in shown
    for host in ("dgtatami", "sxrb", "fsou", "fabao365", "dizo", "scktv", ".html", ".com"):
        assert host not in pages[lang]
    sources = [p.source for p in AWARD_PRESETS.values()] + [r.source for r in TITLE_RULES.values()]
    for source in sources:  # the sources' own notes ("黑龙江 notice (…)") are for developers
        for note in re.split(r"[;()]", source):
            if re.search(r"[A-Za-z]", note) and len(note.strip()) > 4:
                assert note.strip() not in shown


def test_chinese_page_has_no_english_sentence(pages):
    shown = visible(pages["zh"])
    # Runs of three or more ASCII words: an English sentence or note (the language switch
    # "English" and codes such as "A1" are single words).
    assert not re.findall(r"[A-Za-z]+(?:[ ,;:.'()-]+[A-Za-z]+){2,}", shown)
