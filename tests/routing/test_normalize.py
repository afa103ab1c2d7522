from __future__ import annotations

import pytest

from routing.normalize import chinese_numeral_to_int, normalize, to_halfwidth


def test_given_fullwidth_text_when_halfwidth_then_ascii_digits_and_spaces() -> None:
    assert to_halfwidth("汾西路１２３号，Ａ座\u3000") == "汾西路123号,A座 "


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("一百二十三", 123), ("十八", 18), ("幺二三", 123), ("两千零五", 2005), ("二十", 20), ("七零四", 704)],
)
def test_given_chinese_numeral_when_converted_then_integer(numeral: str, value: int) -> None:
    assert chinese_numeral_to_int(numeral) == value


def test_given_house_number_in_words_when_normalized_then_digits() -> None:
    assert normalize("汾西路一百二十三号") == "汾西路123号"
    assert normalize("五四七弄四十五号") == "547弄45号"


def test_given_numeral_inside_a_name_when_normalized_then_kept() -> None:
    assert normalize("石门二路街道") == "石门二路街道"
    assert normalize("三林镇") == "三林镇"


def test_given_fillers_and_punctuation_when_normalized_then_removed() -> None:
    assert normalize("嗯，我住在静安区临汾路街道, 汾西路那边") == "静安区临汾路街道 汾西路"
    assert normalize("那个，就是在浦东大概张江镇吧") == "浦东 张江镇"


def test_given_shanghai_prefix_when_normalized_then_dropped_but_not_inside_names() -> None:
    assert normalize("上海市静安区") == "静安区"
    assert normalize("上海浦东") == "浦东"
