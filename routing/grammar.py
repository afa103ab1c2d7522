"""The recogniser grammar for spoken addresses: the gazetteer's place names plus address words.

Constraining Vosk to these phrases makes address recognition far more robust than free decoding
(the issue asks to measure both). Names are given with and without their administrative suffix,
since callers drop them ("临汾路" for 临汾路街道).
"""

from __future__ import annotations

from routing.gazetteer import Gazetteer

ADDRESS_WORDS = (
    "我住在", "我家在", "住在", "在", "那边", "附近", "旁边", "就是", "那个", "嗯", "上海", "上海市",
    "区", "街道", "镇", "路", "街", "弄", "号", "室", "栋", "楼", "小区", "新村", "居委会", "村委会", "村",
    "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "百", "零",
)  # fmt: skip

_SUFFIXES = ("新区", "区", "街道", "镇", "居委会", "村委会", "居民委员会", "村民委员会", "社区", "村")


def _bare(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def address_grammar(gazetteer: Gazetteer, *, committees: bool = True) -> list[str]:
    """Unique phrases, district and street names first (the most useful), stable order."""
    phrases: list[str] = []
    for d in gazetteer.districts.values():
        phrases += [d.name, _bare(d.name)]
    for s in gazetteer.streets.values():
        phrases += [s.name, _bare(s.name)]
    if committees:
        for c in gazetteer.committees.values():
            phrases += [c.name, _bare(c.name)]
    phrases += ADDRESS_WORDS
    return list(dict.fromkeys(p for p in phrases if p))
