"""Chinese article numbers (第八十二条, 第一千零七十九条) to integers and back.

The law database numbers every article in Chinese; lawyers write either form (《劳动合同法》第82条),
so the citation check reads both and the console shows the Chinese one.
"""

from __future__ import annotations

from routing.normalize import chinese_numeral_to_int

_NAMES = "零一二三四五六七八九"


def chinese_to_int(text: str) -> int | None:
    """`八十二` -> 82, `一千零七十九` -> 1079, `十` -> 10, `82` -> 82; None when it is not a number.
    Chinese numerals are read as the address normaliser reads house numbers (one reading)."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    return chinese_numeral_to_int(text)


def int_to_chinese(number: int) -> str:
    """82 -> 八十二, 1079 -> 一千零七十九, 10 -> 十, 110 -> 一百一十 (as the laws number their articles)."""
    if number <= 0:
        return _NAMES[0]
    parts: list[str] = []
    zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = number // value % 10
        if d == 0:
            zero = bool(parts)
            continue
        if zero:
            parts.append("零")
            zero = False
        parts.append(_NAMES[d] + unit)
    text = "".join(parts)
    return text[1:] if number < 20 and text.startswith("一十") else text


def article_label(number: int) -> str:
    """82 -> 第八十二条."""
    return f"第{int_to_chinese(number)}条"
