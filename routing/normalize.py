"""Normalising spoken or typed address text before matching.

What ASR and hurried typing produce: full-width characters, stray punctuation, fillers
(嗯、那个、就是), "我住在…" preambles, and house numbers read out as Chinese numerals
(一百二十三号, 幺二三号). Numerals are converted only where a house-number unit follows
(号、弄、室、栋、幢、楼、单元), so names such as 石门二路 or 三林镇 stay as they are.
Fillers and punctuation become a separator (a space), so no place name is matched across them.
"""

from __future__ import annotations

import re

SEPARATOR = " "

_FILLERS = (
    "我家住在",
    "我家就在",
    "我住在",
    "我家在",
    "我现在在",
    "我现在住",
    "住的是",
    "地址是",
    "我的地址",
    "我是在",
    "我在",
    "住在",
    "那个",
    "这个",
    "就是",
    "大概",
    "然后",
    "那边",
    "这边",
    "附近",
    "一带",
    "旁边",
    "上海市",
    "嗯",
    "呃",
    "额",
    "啊",
    "哦",
    "吧",
    "呢",
    "的",
)
_FILLER_RE = re.compile("|".join(re.escape(f) for f in sorted(_FILLERS, key=len, reverse=True)))
# A lone 在 ("在静安区") or 上海 is a filler only at the start of a phrase; inside a name it is kept.
_ZAI_RE = re.compile(r"(?:(?<=^)|(?<=\s))(?:在|上海(?!市))")
_ZAI_ONLY_RE = re.compile(r"(?:(?<=^)|(?<=\s))在")

_DIGITS = {
    "零": 0,
    "〇": 0,
    "洞": 0,
    "一": 1,
    "幺": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL_CHARS = "".join(_DIGITS) + "".join(_UNITS)
_HOUSE_UNITS = "号楼|单元|号|弄|室|栋|幢|楼|支弄"
_NUMERAL_RE = re.compile(f"([{_NUMERAL_CHARS}]+)(?=(?:{_HOUSE_UNITS}))")
_PUNCT_RE = re.compile(r"[\s,.;:!?、，。；：！？“”‘’\"'()（）《》<>\[\]【】{}·~—\-_/\\|]+")


def to_halfwidth(text: str) -> str:
    """Full-width ASCII (Ａ１，) to half-width, the ideographic space to a space."""
    out = []
    for ch in text:
        code = ord(ch)
        if code == 0x3000:
            out.append(" ")
        elif 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - 0xFEE0))
        else:
            out.append(ch)
    return "".join(out)


def chinese_numeral_to_int(numeral: str) -> int | None:
    """一百二十三 -> 123, 十八 -> 18, 幺二三 -> 123 (read digit by digit), 两千零五 -> 2005."""
    if not numeral or any(ch not in _DIGITS and ch not in _UNITS for ch in numeral):
        return None
    if not any(ch in _UNITS for ch in numeral):
        return int("".join(str(_DIGITS[ch]) for ch in numeral))
    total, digit = 0, None
    for ch in numeral:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
            continue
        unit = _UNITS[ch]
        total += (1 if digit is None else digit) * unit
        digit = None
    return total + (digit or 0)


def _numeral_sub(match: re.Match[str]) -> str:
    value = chinese_numeral_to_int(match.group(1))
    return match.group(1) if value is None else str(value)


def normalize(text: str, *, drop_city: bool = True) -> str:
    """The text to match against: half-width, numerals as digits, fillers and punctuation removed.

    Separators are single spaces; the result is stripped. With `drop_city=False` a leading 上海
    (not 上海市) is kept, for the names that begin with it (上海新村居委会).
    """
    text = to_halfwidth(text).lower()
    text = _NUMERAL_RE.sub(_numeral_sub, text)
    text = _FILLER_RE.sub(SEPARATOR, text)
    text = _PUNCT_RE.sub(SEPARATOR, text)
    text = (_ZAI_RE if drop_city else _ZAI_ONLY_RE).sub(SEPARATOR, text.strip())
    return re.sub(r"\s+", SEPARATOR, text).strip()
