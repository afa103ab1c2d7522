"""The citation check (引用核对): every 《…法》第…条 in a consultation record, looked up in the base.

A lawyer writes 《劳动合同法》第八十二条, 《中华人民共和国劳动合同法》第82条, or a list
《民法典》第一千零八十四条、第一千零八十五条; each article cited is checked: the law is known, the
article exists, and the version held is in force. Nothing is refused: the seat is shown the problems
before submitting (wrong number, repealed law such as 《婚姻法》, a historical version).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from core.labels import LabelledEnum
from knowledge.models import LawArticle, LawStatus
from knowledge.numerals import article_label, chinese_to_int

_NUM = r"[0-9０-９零〇一二两三四五六七八九十百千]+"
_CITE = re.compile(
    rf"《([^《》\n]{{1,60}})》\s*((?:第\s*{_NUM}\s*条(?:\s*第\s*{_NUM}\s*款)?\s*(?:[、，,和及与至]\s*)?)+)"
)
_ARTICLE = re.compile(rf"第\s*({_NUM})\s*条")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


@dataclass(frozen=True, slots=True)
class Citation:
    law: str  # as written between 《》
    number: int
    text: str  # 《劳动合同法》第八十二条, as the console shows it
    start: int  # where in the record's text the citation begins


def find_citations(text: str) -> list[Citation]:
    """Every article cited in `text`, in order (a list after one 《…》 gives one citation each)."""
    found: list[Citation] = []
    for m in _CITE.finditer(text):
        law = m.group(1).strip()
        for a in _ARTICLE.finditer(m.group(2)):
            number = chinese_to_int(a.group(1).translate(_FULL_WIDTH))
            if number is not None:
                found.append(Citation(law, number, f"《{law}》{article_label(number)}", m.start()))
    return found


class Problem(LabelledEnum):
    UNKNOWN_LAW = "unknown_law", "知识库中没有这部法律"
    NO_ARTICLE = "no_article", "该法没有这一条"
    REPEALED = "repealed", "该法已废止"
    HISTORICAL = "historical", "引用的是历史版本"
    AMENDED = "amended", "该法已被修改，请核对现行条文"


class LawBook(Protocol):
    """What the check asks of the base (`knowledge.base.KnowledgeBase`)."""

    def laws_named(self, name: str) -> Sequence[str]:
        """The full names of the laws a cited name means (劳动合同法 -> 中华人民共和国劳动合同法)."""
        ...

    def article_versions(self, law: str, number: int) -> Sequence[LawArticle]:
        """Every held version of that article (in force, amended, repealed, historical)."""
        ...


# Laws the 民法典 repealed on 2021-01-01 (its article 1260), which the law database does not hold:
# lawyers still cite them out of habit; the check says what replaced them.
REPEALED_BY_CIVIL_CODE = frozenset(
    ["婚姻法", "继承法", "合同法", "物权法", "侵权责任法", "民法通则", "民法总则", "担保法", "收养法"]
)
CIVIL_CODE_NOTE = "已于 2021 年 1 月 1 日被《民法典》取代，请引用《民法典》的相应条文"


@dataclass(frozen=True, slots=True)
class CitationCheck:
    citation: Citation
    problem: Problem | None  # None: it exists and is in force
    article: LawArticle | None  # the version found (the one in force where there is one)
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.problem is None


_STATUS_PROBLEM = {
    LawStatus.REPEALED: Problem.REPEALED,
    LawStatus.HISTORICAL: Problem.HISTORICAL,
    LawStatus.AMENDED: Problem.AMENDED,
}
_PREFERENCE = (LawStatus.IN_FORCE, LawStatus.AMENDED, LawStatus.HISTORICAL, LawStatus.REPEALED)


def check_citation(citation: Citation, book: LawBook) -> CitationCheck:
    laws = book.laws_named(citation.law)
    if not laws:
        if citation.law.removeprefix("中华人民共和国") in REPEALED_BY_CIVIL_CODE:
            return CitationCheck(citation, Problem.REPEALED, None, CIVIL_CODE_NOTE)
        return CitationCheck(citation, Problem.UNKNOWN_LAW, None)
    versions = [a for law in laws for a in book.article_versions(law, citation.number)]
    if not versions:
        return CitationCheck(citation, Problem.NO_ARTICLE, None)
    best = min(versions, key=lambda a: _PREFERENCE.index(a.status))
    return CitationCheck(citation, _STATUS_PROBLEM.get(best.status), best)


def check_text(text: str, book: LawBook) -> list[CitationCheck]:
    return [check_citation(c, book) for c in find_citations(text)]
