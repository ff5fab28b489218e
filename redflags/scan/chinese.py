"""Mentions in Chinese text.

Chinese is written without spaces, so a listed name is found by its characters (an Aho-Corasick
pass over each run of Chinese characters) and counts only as a whole word: at jieba's word
boundaries, jieba being taught the listed Chinese names and aliases first, or before a legal
form (华为 in 中华为民族 is not Huawei). Organisation names ending in a legal form or an
institutional word (公司, 集团, 大学, 研究所, 公安厅...) are screened whole by the matcher, from
the longest plausible start, which finds the parties the lists carry in Latin script only
(海康威视 -> Hikvision, 新疆生产建设兵团 -> XPCC) through its pinyin, dictionary and alias readings.
"""

import logging
import re
from functools import lru_cache
from typing import Any

from redflags.normalise.chinese import HAN, to_simplified
from redflags.scan.mention import CACHE, HIT_MARGIN, Mention, context
from redflags.scan.patterns import Patterns

HAN_RUN = re.compile(HAN.pattern + "+")
ZH_SUFFIX = re.compile(r"(股份有限公司|有限责任公司|有限公司|集团|公司|大学|学院|科学院|研究所|研究院|研究中心|中心|"
                       r"公安局|公安厅|局|厅|医院|工厂|厂|银行|部)")
ZH_LEGAL = ("股份", "有限", "公司", "集团")
ZH_JOINERS = frozenset("和与及、或的了在是为由对从向被将等")
"""A Chinese name does not start with a conjunction or a particle."""
ZH_SPAN = 20
"""Most characters of a Chinese organisation name screened whole."""
ZH_STARTS = 4
ZH_SCORED = 3
"""Candidates a Chinese span is aligned with (a screening aligns 10: a text has many spans)."""
ZH_SURE = 0.9
"""A Chinese name scoring this much is taken without trying the shorter spans."""


class ChineseFinder:
    """Finds the mentions of a screener's listed parties in the Chinese runs of texts."""

    def __init__(self, screener: Any, patterns: Patterns, threshold: float) -> None:
        self.screener = screener
        self.patterns = patterns
        self.threshold = threshold
        self._matched: dict[str, list[dict[str, Any]]] = {}
        self._taught = False


    def find(self, text: str, offset: int, page: int | None) -> list[Mention]:
        out: list[Mention] = []
        if not self._taught and self.patterns.han_count:
            _teach_jieba(key for key, _pattern in self.patterns.han.items())
            self._taught = True
        for run in HAN_RUN.finditer(text):
            chars = run.group()
            if len(chars) < 2:
                continue
            simple = to_simplified(chars)
            if len(simple) != len(chars):
                simple = chars
            bounds = _boundaries(simple)
            found: list[tuple[int, int, list[dict[str, Any]]]] = []
            if self.patterns.han_count:
                for end, (key, _pattern) in self.patterns.han.iter(simple):
                    start = end - len(key) + 1
                    stop = end + 1
                    if start not in bounds or (stop not in bounds and not simple.startswith(ZH_LEGAL, stop)):
                        continue
                    # the name with the legal form or institutional word after it, when there is one
                    tail = ZH_SUFFIX.match(simple, stop)
                    hits = self._match(chars[start:tail.end() if tail else stop])
                    if not hits and tail:
                        hits = self._match(chars[start:stop])
                    if hits:
                        found.append((start, tail.end() if tail else stop, hits))
            after = 0  # a name does not reach back over another organisation's legal form or word
            for suffix in ZH_SUFFIX.finditer(simple):
                stop = suffix.end()
                floor, after = after, stop
                # the institutional word as a word of its own ("部" of 部分 is not a ministry)
                if stop not in bounds or any(s <= suffix.start() and stop <= e for s, e, _h in found):
                    continue
                starts = sorted(b for b in bounds if max(floor, stop - ZH_SPAN) <= b <= suffix.start() - 2
                                and simple[b] not in ZH_JOINERS)
                best: tuple[float, int, list[dict[str, Any]]] | None = None
                for start in starts[:ZH_STARTS]:  # the longest name first
                    hits = self._match(chars[start:stop])
                    if hits and (best is None or hits[0]["score"] > best[0]):
                        best = (hits[0]["score"], start, hits)
                        if best[0] >= ZH_SURE:
                            break
                if best is not None:
                    found.append((best[1], stop, best[2]))
            for start, stop, hits in found:
                s, e = run.start() + start, run.start() + stop
                out.append(Mention(offset + s, offset + e, page, text[s:e], context(text, s, e), hits))
        return _dedupe(out)

    def _match(self, name: str) -> list[dict[str, Any]]:
        from redflags.screen.screen import make_query

        if name in self._matched:
            return self._matched[name]
        try:
            query = make_query(name)
        except Exception:  # noqa: BLE001
            return []
        hits = [h for h in self.screener.match(query, limit=3, threshold=self.threshold, fully=ZH_SCORED,
                                                linked=False) if h["match"]]
        hits = [h for h in hits if h["score"] >= hits[0]["score"] - HIT_MARGIN]
        if len(self._matched) > CACHE:
            self._matched.clear()
        self._matched[name] = hits
        return hits


_JIEBA_WORDS: set[str] = set()
JIEBA_FREQ = 50
"""The frequency the listed Chinese names are known to jieba by: enough to be cut out whole
(科大讯飞, not 科大 讯 飞), too little to win over the words around them (中华 为 民族)."""


def _teach_jieba(words: Any) -> None:
    """The listed Chinese names and aliases as words jieba knows (once per process and word)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    new = [w for w in words if w not in _JIEBA_WORDS]
    for word in new:
        jieba.add_word(word, freq=JIEBA_FREQ)
    _JIEBA_WORDS.update(new)
    if new:
        _boundaries.cache_clear()


@lru_cache(maxsize=4096)
def _boundaries(run: str) -> frozenset[int]:
    """Word boundaries of a run of Chinese characters (jieba)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    bounds = {0}
    for _word, _start, end in jieba.tokenize(run):
        bounds.add(end)
    return frozenset(bounds)


def _dedupe(mentions: list[Mention]) -> list[Mention]:
    """One mention per place: the longer of two that overlap."""
    mentions.sort(key=lambda m: (m.start, -(m.end - m.start)))
    out: list[Mention] = []
    for m in mentions:
        if out and m.start < out[-1].end:
            continue
        out.append(m)
    return out

