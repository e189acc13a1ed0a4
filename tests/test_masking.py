"""Masking of ID numbers, phone numbers and names for display."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from competitions.masking import mask_id_number, mask_name, mask_phone


def test_id_number_keeps_region_and_last_four():
    assert mask_id_number("32010219900517029X") == "320102********029X"


def test_phone_keeps_prefix_and_last_four():
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize(("name", "masked"), [
    ("张三明", "张*明"),
    ("张三", "张*"),
    ("欧阳建明", "欧**明"),
    ("张", "*"),
])
def test_name_masking(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize("mask", [mask_id_number, mask_phone, mask_name])
@pytest.mark.parametrize("empty", [None, ""])
def test_nothing_to_mask_gives_empty_text(mask, empty):
    assert mask(empty) == ""


def test_short_values_are_fully_hidden():
    assert mask_phone("1234") == "****"
    assert mask_id_number("1234567") == "*******"


cjk_names = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
                    min_size=3, max_size=12)


@given(cjk_names)
def test_names_of_three_or_more_keep_first_and_last(name):
    masked = mask_name(name)
    assert len(masked) == len(name)
    assert masked[0] == name[0] and masked[-1] == name[-1]
    assert set(masked[1:-1]) == {"*"}


@given(st.text(min_size=1, max_size=30))
def test_name_masking_preserves_length_and_hides_something(name):
    masked = mask_name(name)
    assert len(masked) == len(name)
    assert "*" in masked


@given(st.text(alphabet="0123456789", min_size=11, max_size=20))
def test_phone_masking_keeps_first_three_and_last_four(phone):
    masked = mask_phone(phone)
    assert len(masked) == len(phone)
    assert masked[:3] == phone[:3] and masked[-4:] == phone[-4:]
    assert set(masked[3:-4]) == {"*"}


@given(st.text(alphabet="0123456789X", min_size=15, max_size=18))
def test_id_masking_keeps_region_and_last_four(number):
    masked = mask_id_number(number)
    assert len(masked) == len(number)
    assert masked[:6] == number[:6] and masked[-4:] == number[-4:]
    assert set(masked[6:-4]) == {"*"}
