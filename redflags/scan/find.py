"""Mentions of listed parties in a text.

The listed names are a closed set, so they are looked for in the text rather than guessed from
it: one Aho-Corasick pass over the text's normalised words (the words a name is compared by:
"Technologies" reads as "technology", "Huawei's" as "huawei" "s", "Kim Jong-un" as "kim" "jong"
"un"), one over the characters of its Chinese runs. Each place a name is found becomes a span of
the text: the name, widened over the capitalised words, legal forms and connectors around it
that belong to the same name ("Hikvision Digital Technology Co., Ltd."; "Arsenal Football Club").
The span is then scored by the matcher against the parties carrying the name, so a listed name
inside a longer, different name does not alert. Chinese runs are ``chinese.py``'s.
"""

import re
from functools import lru_cache
from typing import Any

from redflags.normalise.chinese import has_han
from redflags.normalise.names import analyse_name
from redflags.scan.chinese import ChineseFinder
from redflags.scan.mention import CACHE, HIT_MARGIN, Mention, context
from redflags.scan.patterns import Patterns, english_words

CORROBORATION = 200
"""How near (characters) a country or another name of the party must be to corroborate."""
RIGHT = 6
MENTION_HITS = 5
"""Most listed parties one mention is a hit on (a group's short name is many affiliates')."""
LEFT = 3
TOKEN = re.compile(r"[^\W_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3007]+")
SENTENCE_END = re.compile(r"[!?;:\u3002\uff01\uff1f\uff1b]|\.\s|\n\s*\n")
AND = frozenset({"and", "&", "und", "et", "y", "e"})
CONNECTORS = frozenset({"of", "and", "for", "&", "de", "du", "des", "la", "el", "und", "fur", "für"})
FUNCTION_WORDS = frozenset({"der", "die", "das", "den", "dem", "des", "und", "ein", "eine", "le", "la", "les", "un",
                            "une", "el", "los", "las", "et", "y", "mit", "von", "bei", "fur", "für", "nach", "laut"})
"""Capitalised at the start of a sentence in German, French, Spanish: never the start of a name."""
ORG_WORDS = frozenset({"club", "football", "fc", "group", "groups", "company", "bank", "university", "institute",
                       "holdings", "holding", "foundation", "association", "society", "trust", "fund", "church",
                       "school", "college", "hospital", "museum", "team", "party", "union", "council"})
"""Words that make a longer name of the one before them ("Arsenal Football Club")."""
COUNTRY_WORDS = {
    "cn": ("china", "chinese", "prc", "beijing", "xinjiang", "hong kong"), "ru": ("russia", "russian", "moscow"),
    "ir": ("iran", "iranian", "tehran"), "kp": ("north korea", "north korean", "dprk", "pyongyang"),
    "sy": ("syria", "syrian", "damascus"), "by": ("belarus", "belarusian", "minsk"),
    "cu": ("cuba", "cuban"), "ve": ("venezuela", "venezuelan"), "mm": ("burma", "myanmar", "burmese"),
    "pk": ("pakistan", "pakistani"), "ae": ("uae", "emirates", "dubai"), "hk": ("hong kong",),
    "af": ("afghanistan", "afghan", "taliban"), "iq": ("iraq", "iraqi"), "lb": ("lebanon", "lebanese"),
    "ye": ("yemen", "yemeni"), "so": ("somalia", "somali"), "ly": ("libya", "libyan"), "sd": ("sudan", "sudanese"),
}

COUNTRY_RE = {code: re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b")
              for code, words in COUNTRY_WORDS.items()}


@lru_cache(maxsize=200_000)
def _norm(token: str) -> tuple[tuple[str, ...], bool]:
    """A token's words as names are compared by, and whether it is a legal form ("Ltd", "GmbH":
    read after a name, where the matcher reads legal forms)."""
    form = analyse_name(token)
    if len(form.words) != 1 or len(token) > 12:
        return form.words, False
    after = analyse_name(f"Acme {token}")
    return form.words, bool(after.legal_forms) and after.words == ("acme",)


class Finder:
    """Finds the mentions of a screener's listed parties in texts."""

    def __init__(self, screener: Any, patterns: Patterns, threshold: float) -> None:
        self.screener = screener
        self.index = screener.index
        self.patterns = patterns
        self.threshold = threshold
        self.common = patterns.common or english_words()
        # a name recurs in a text, and across texts: each span is scored once (the hits are shared)
        self._scored: dict[Any, tuple[list[dict[str, Any]], list[Any]]] = {}
        self._base: dict[str, str] = {}
        self._nouns = False
        self.chinese = ChineseFinder(screener, patterns, threshold)

    def find(self, text: str, offset: int = 0, page: int | None = None, lang: str | None = None) -> list[Mention]:
        """The mentions in ``text`` (offsets from ``offset``); ``lang`` "de" says that capitals
        mark nouns, not names, so a name is not widened over the capitalised words around it."""
        self._nouns = lang == "de"
        mentions = self._latin(text, offset, page)
        if has_han(text):
            mentions.extend(self.chinese.find(text, offset, page))
        mentions.sort(key=lambda m: m.start)
        return mentions

    # --- Latin script -------------------------------------------------------------------

    def _latin(self, text: str, offset: int, page: int | None) -> list[Mention]:
        tokens = [(m.start(), m.end()) for m in TOKEN.finditer(text)]
        if not tokens or self.patterns.latin_count == 0:
            return []
        raws = [text[s:e] for s, e in tokens]
        parts: list[str] = []
        word_start: dict[int, int] = {}  # offset of a word in the joined text -> word number
        word_token: list[int] = []
        legal: list[bool] = []
        at = 1
        vocabulary = self.patterns.vocabulary
        fixed: dict[int, str] = {}  # token -> the listed word it is an inflection of
        for number, raw in enumerate(raws):
            words, is_legal = _norm(raw) if len(raw) <= 60 else ((), False)
            if len(words) == 1 and words[0] not in vocabulary:
                base = self._base.get(words[0])
                if base is None:
                    base = self._base[words[0]] = _uninflected(words[0], vocabulary)
                if base != words[0]:
                    fixed[number] = base
                    words = (base,)
            legal.append(is_legal)
            for word in words:
                word_start[at] = len(word_token)
                word_token.append(number)
                parts.append(word)
                at += len(word) + 1
        joined = " " + " ".join(parts) + " "
        spans: dict[tuple[int, int], set[int]] = {}
        widened: dict[tuple[int, int], tuple[int, int]] = {}  # a found name -> the span it was widened to
        weak: dict[tuple[int, int], bool] = {}
        shorts: dict[int, str] = {}  # party -> its short name found in this text
        lowercase_text = not any(c.isupper() for c in text[:10000])
        for end, (key, pattern) in self.patterns.latin.iter(joined):
            first = word_start.get(end - len(key) + 2)
            if first is None:
                continue
            t0, t1 = word_token[first], word_token[first + pattern.words - 1]
            surface = text[tokens[t0][0]:tokens[t1][1]]
            if pattern.acronym and not re.sub(r"[\W_]", "", surface).isupper():
                continue
            if not lowercase_text and not any(c.isupper() for c in surface):
                continue  # "an arsenal of weapons": a name is written with a capital
            if pattern.short:
                shorts.update((number, key.strip()) for number in pattern.parties)
            span = self._widen(text, tokens, raws, legal, t0, t1)
            spans.setdefault(span, set()).update(pattern.parties)
            weak[span] = weak.get(span, True) and pattern.weak
            core = (t0, self._legal_tail(text, tokens, legal, t1))
            if core != span:
                spans.setdefault(core, set()).update(pattern.parties)
                weak[core] = weak.get(core, True) and pattern.weak
                widened[core] = span
        out: list[Mention] = []
        owner = [-1] * len(tokens)  # token -> the mention (number) whose span covers it
        failed: set[tuple[int, int]] = set()
        # the widest span first: a name inside a longer one is that longer name's
        for (c0, c1) in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
            wide = widened.get((c0, c1))
            if owner[c0] != -1 and owner[c0] == owner[c1] or \
                    (wide in failed and self._inside_other_name(raws, (c0, c1), wide)):
                continue
            start, end = tokens[c0][0], tokens[c1][1]
            surface = text[start:end]
            if any(t in fixed for t in range(c0, c1 + 1)):  # scored as the listed word it inflects
                surface = "".join(fixed.get(t, raws[t]) + text[tokens[t][1]:tokens[t + 1][0] if t < c1 else end]
                                  for t in range(c0, c1 + 1))
            parties = spans[(c0, c1)]
            key = (surface, frozenset(parties), frozenset((n, shorts[n]) for n in parties if n in shorts))
            if key not in self._scored:
                if len(self._scored) > CACHE:
                    self._scored.clear()
                self._scored[key] = self._score(surface, parties, shorts)
            hits, found = self._scored[key]
            if not hits:
                failed.add((c0, c1))
                continue
            reasons = self._corroboration(text, start, end, found, any(legal[c0:c1 + 1]))
            if weak[(c0, c1)] and not reasons:
                continue
            owner[c0:c1 + 1] = [len(out)] * (c1 - c0 + 1)
            out.append(Mention(offset + start, offset + end, page, text[start:end], context(text, start, end),
                               hits, reasons))
        return out

    def _inside_other_name(self, raws: list[str], span: tuple[int, int], wide: tuple[int, int]) -> bool:
        """The found name is part of a longer name (``wide``, which did not match) that is not
        the listed party's: a proper noun before it, or after it a word that makes another name
        of it ("Arsenal Football Club", "Schneider Electric"; not "Huawei Monday")."""
        if wide[0] < span[0]:
            return True
        if span[1] >= wide[1] or raws[span[1] + 1].lower() in AND:
            return False  # "China Telecom and China Unicom": two names
        words = set(_norm(raws[span[1] + 1])[0])
        return bool(words & ORG_WORDS) or bool(words) and words <= self.common

    def _legal_tail(self, text: str, tokens: list[tuple[int, int]], legal: list[bool], t1: int) -> int:
        """``t1`` widened over the legal forms after it ("Co., Ltd.")."""
        while t1 + 1 < len(tokens) and legal[t1 + 1] and not _ends_sentence(text[tokens[t1][1]:tokens[t1 + 1][0]],
                                                                             text[tokens[t1][0]:tokens[t1][1]]):
            t1 += 1
        return t1

    def _widen(self, text: str, tokens: list[tuple[int, int]], raws: list[str], legal: list[bool], t0: int,
               t1: int) -> tuple[int, int]:
        """The name around the found words: capitalised words, legal forms and connectors after it,
        proper nouns (capitalised, not everyday words) before it, within the sentence."""
        end = t1
        while end + 1 < len(tokens) and end - t1 < RIGHT:
            gap = text[tokens[end][1]:tokens[end + 1][0]]
            if _ends_sentence(gap, raws[end]) or len(gap) > 3 or ("," in gap and not legal[end + 1]):
                break
            nxt = raws[end + 1]
            capital = nxt[:1].isupper() and (not self._nouns or bool(set(_norm(nxt)[0]) & ORG_WORDS))
            if legal[end + 1] or capital or (nxt.isdigit() and len(nxt) <= 4):
                end += 1
            elif nxt.lower() in CONNECTORS and end + 2 < len(tokens) and raws[end + 2][:1].isupper() \
                    and not _ends_sentence(text[tokens[end + 1][1]:tokens[end + 2][0]], nxt):
                end += 2
            else:
                break
        start = t0
        while start > 0 and t0 - start < LEFT and not self._nouns:
            gap = text[tokens[start - 1][1]:tokens[start][0]]
            prev = raws[start - 1]
            if _ends_sentence(gap, prev) or len(gap) > 2 or "," in gap or not prev[:1].isupper():
                break
            words, _legal = _norm(prev)
            if not words or all(w in self.common or w in FUNCTION_WORDS for w in words):
                break
            start -= 1
        return start, end

    def _score(self, surface: str, parties: set[int], shorts: dict[int, str]) -> tuple[list[dict[str, Any]], list[Any]]:
        """The hits of the span against the parties its names belong to, at the threshold (an
        organisation's short name counting as one of its names)."""
        from dataclasses import replace

        from redflags.match.logic import score
        from redflags.screen.screen import hit_dict, make_query

        try:
            query = make_query(surface)
        except Exception:  # noqa: BLE001 - nothing readable: no mention
            return [], []
        if not query.forms:
            return [], []
        scored = []
        for number in parties:
            cand = self.index.entity(number)
            short = shorts.get(number)
            scored_cand = cand if short is None else replace(cand, names=[("alias", analyse_name(short)), *cand.names])
            result = score(query, scored_cand, self.index.weight, self.index.max_idf)
            if result.score >= self.threshold:
                scored.append((result, cand, short))
        # ties (a short name several affiliates share) go to the plainest name: the group's own
        scored.sort(key=lambda item: (-item[0].score, len(item[1].caption), item[1].id))
        hits = []
        scored = [item for item in scored if item[0].score >= scored[0][0].score - HIT_MARGIN] if scored else []
        for result, cand, short in scored[:MENTION_HITS]:
            hit = hit_dict(cand, result, self.threshold, query)
            if short is not None and result.matched_name == short:
                hit["matched_name"] = cand.caption
                hit["explanation"]["summary"] += (f" | '{short}' is the short name of {cand.caption} (its one "
                                                  "distinctive word; places and generic words dropped)")
            hits.append(hit)
        return hits, [c for _r, c, _s in scored[:MENTION_HITS]]

    def _corroboration(self, text: str, start: int, end: int, cands: list[Any], legal: bool) -> list[str]:
        """What near the mention confirms it is the listed party: its country, a legal form, another of its names."""
        reasons = []
        if legal:
            reasons.append("legal form")
        near = text[max(0, start - CORROBORATION):end + CORROBORATION].lower()
        for cand in cands[:3]:
            for code in sorted(cand.countries):
                if code in COUNTRY_RE and COUNTRY_RE[code].search(near):
                    reasons.append(f"country {code}")
                    break
            mentioned = set(_norm_words(text[start:end]))
            for _prop, form in cand.names[:20]:
                other = form.original.lower()
                if len(other) >= 6 and not set(form.words) <= mentioned and other in near:
                    reasons.append(f"also named {form.original}")
                    break
        return sorted(set(reasons))



INFLECTIONS = ("s", "es", "ns", "n", "en", "e")
"""Endings a name takes in running text ("Hikvisions Kameras", "des Huawei-Konzerns"), tried
longest first when the word as written is no listed word."""


def _uninflected(word: str, vocabulary: frozenset[str]) -> str:
    if len(word) < 5:
        return word
    for ending in sorted(INFLECTIONS, key=len, reverse=True):
        if word.endswith(ending) and word[:-len(ending)] in vocabulary and len(word) - len(ending) >= 4:
            return word[:-len(ending)]
    return word


def _norm_words(text: str) -> list[str]:
    return [w for token in TOKEN.findall(text) for w in _norm(token)[0]]


def _ends_sentence(gap: str, before: str) -> bool:
    if SENTENCE_END.search(gap) is None:
        return False
    # "Co." "Ltd." "Inc." "No." "St." end abbreviations, not sentences
    if gap[:1] == "." and gap[1:2].isspace() and (len(before) <= 3 or _norm(before)[1]) \
            and not any(c in gap for c in "!?;:") and "\n\n" not in gap:
        return False
    return True


