"""The character rule every form field and spreadsheet cell goes through (no app needed)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from competitions.text_rules import BIDI_CONTROLS, find_text_problem, is_clean_text

BIDI = sorted(BIDI_CONTROLS)


@pytest.mark.parametrize("text", ["张三明", "O'Brien-Smith", "José", "Jose\u0301", "e\u0301e\u0301",
                                  "ﾊﾟ", "हिन्दी", "①②", "", "a b\u00a0c", "👍🏽", "‍"])
def test_ordinary_text_is_accepted(text):
    assert find_text_problem(text) is None


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ud800"])
def test_control_characters_are_refused(char):
    problem = find_text_problem(f"张{char}三")
    assert (problem.kind, problem.char, problem.position) == ("control", char, 1)


@pytest.mark.parametrize("char", ["\t", "\n", "\r"])
def test_line_breaks_and_tabs_only_in_multiline_text(char):
    assert find_text_problem(f"a{char}b").kind == "control"
    assert find_text_problem(f"a{char}b", multiline=True) is None


def test_nul_is_refused_even_in_multiline_text():
    assert find_text_problem("line\n\x00", multiline=True).kind == "control"


@pytest.mark.parametrize("char", BIDI)
def test_bidi_controls_are_refused(char):
    problem = find_text_problem(f"abc{char}gpj.exe")
    assert (problem.kind, problem.code) == ("bidi", f"U+{ord(char):04X}")


@pytest.mark.parametrize("text, position", [("\u0301abc", 0), ("ab \u0301c", 3),
                                             ("a\n\u20dd", 2), ("\u0903", 0)])
def test_a_combining_mark_with_nothing_to_combine_with_is_refused(text, position):
    problem = find_text_problem(text, multiline=True)
    assert (problem.kind, problem.position) == ("combining", position)


def test_the_code_names_the_character():
    assert find_text_problem("x\u202e").code == "U+202E"
    assert find_text_problem("\x00").code == "U+0000"


# Properties

REFUSED = st.one_of(st.characters(categories=["Cc"], exclude_characters="\t\n\r"),
                    st.sampled_from(BIDI))


@given(st.text(), REFUSED, st.text())
def test_any_text_holding_a_refused_character_is_refused(before, char, after):
    assert not is_clean_text(before + char + after)
    assert not is_clean_text(before + char + after, multiline=True)


@given(st.text())
def test_the_problem_found_is_really_in_the_text(text):
    problem = find_text_problem(text)
    if problem is not None:
        assert text[problem.position] == problem.char
        assert is_clean_text(text[:problem.position])  # it is the first one


@given(st.text(st.characters(categories=["L", "N", "P", "S", "Zs"])))
def test_letters_digits_punctuation_symbols_and_spaces_are_always_accepted(text):
    assert is_clean_text(text)


@given(st.text(st.characters(categories=["L", "N", "Zs"])),
       st.characters(categories=["Mn", "Mc", "Me"]))
def test_a_combining_mark_after_a_letter_is_accepted_and_after_a_space_refused(text, mark):
    assert is_clean_text("a" + text + "b" + mark) == is_clean_text("a" + text + "b")
    assert find_text_problem(text + " " + mark).kind == "combining"
