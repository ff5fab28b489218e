"""Match features: one small function each; the docstring is the explanation."""

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA
from rigour.text import metaphone

from redflags.index.blocker import Candidate
from redflags.match.types import FeatureResult, Query, TokenMatch
from redflags.normalise.chinese import place_words, syllable_initials
from redflags.normalise.names import NameForm, Token

_VARIANTS: dict[str, int] = {}


def _variant_groups() -> dict[str, int]:
    """Token -> the number of its group in ``normalise/data/name_variants.yml``."""
    if _VARIANTS:
        return _VARIANTS
    path = Path(__file__).parents[1] / "normalise" / "data" / "name_variants.yml"
    groups: dict[str, int] = {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    number = 0
    for family in data.values():
        for group in family:
            number += 1
            for name in group:
                groups[str(name)] = number
    _VARIANTS.update(groups)
    return _VARIANTS


_NOT_CONSONANT = re.compile(r"[aeiouwyv']+")
_DOUBLE = re.compile(r"(.)\1+")


_FOLD = str.maketrans({"c": "k", "q": "k"})


@lru_cache(maxsize=65536)
def skeleton(text: str) -> str:
    """Consonants only, doubles collapsed: how an abjad spelling and a Latin one meet
    ("mhmd" / "mohammed", "hsn" / "hassan", "khn" / "cohen"). w, y and v go too: they
    stand for vowels in Arabic and Hebrew romanisation (و/ו as "w", ي as "y"); c and q
    fold into k."""
    return _DOUBLE.sub(r"\1", _NOT_CONSONANT.sub("", text.translate(_FOLD)))


def _similar(q: Token, c: Token) -> tuple[float, str]:
    sim, how = _similar_text(q, c)
    if sim < 1.0 and (q.written or c.written):
        # "telecom" was expanded or "technologies" made singular on one side; the other side
        # may hold a typo of the form as written ("telecon", "techhnologies")
        alt = _similar_text(Token(q.written or q.text, "text", q.original),
                            Token(c.written or c.text, "text", c.original))
        if alt[0] > sim:
            return alt
    return sim, how


_metaphone = lru_cache(maxsize=131072)(metaphone)


def _similar_text(q: Token, c: Token) -> tuple[float, str]:
    qt, ct = q.text, c.text
    if qt == ct:
        how = "exact"
        if "pinyin" in (q.source, c.source):
            how = "pinyin"
        elif "dictionary" in (q.source, c.source):
            how = "dictionary"
        elif "abbreviation" in (q.source, c.source):
            how = "abbreviation"
        return 1.0, how
    if qt.isdigit() or ct.isdigit():
        return 0.0, "none"  # numbers are compared strictly
    groups = _VARIANTS or _variant_groups()
    group = groups.get(qt)
    if group is not None and group == groups.get(ct):
        return 0.95, "variant"
    if q.source == "abjad" or c.source == "abjad":
        q_skel = skeleton(qt)
        if q_skel and q_skel == skeleton(ct):
            return 0.85, "consonants"
    q_len, c_len = len(qt), len(ct)
    shorter = q_len if q_len < c_len else c_len
    gap = q_len - c_len if q_len > c_len else c_len - q_len
    if shorter >= 4:
        allowed = 1 if shorter < 7 else 2 if shorter < 11 else 3
        if gap <= allowed:
            dist = OSA.distance(qt, ct, score_cutoff=allowed)
            if dist <= allowed:
                # An edit costs more in a short word: "alcoa"/"alco" is another name.
                return 1.0 - 1.2 * dist / (q_len if q_len > c_len else c_len), "fuzzy"
    if shorter >= 3 and gap <= 2 and qt[0] == ct[0] and _metaphone(qt) == _metaphone(ct):
        return 0.8, "phonetic"
    if q.source == "pinyin" and c.source == "text" and brand_initials(q.original, ct):
        return BRAND_SIMILARITY, "pinyin initials"
    if c.source == "pinyin" and q.source == "text" and brand_initials(c.original, qt):
        return BRAND_SIMILARITY, "pinyin initials"
    return 0.0, "none"


BRAND_SIMILARITY = 0.75
"""How far a Chinese brand and a Latin word sharing its syllables' initials count as one."""

# A pinyin initial and the Latin letters brand names write it with ("威" wei -> "v").
_INITIAL_LETTERS = {"w": "wv", "x": "xsh", "q": "qck", "j": "jgz", "zh": "zj", "ch": "ck",
                    "sh": "s", "z": "zs", "c": "ckts", "h": "h", "y": "yie", "g": "gk", "k": "kc",
                    "b": "bp", "d": "dt"}


@lru_cache(maxsize=65536)
def brand_initials(han: str, latin: str) -> bool:
    """A Chinese brand of 2-4 syllables and a coined Latin name that starts with the first
    syllable's sound and holds every other syllable's initial, in order ("海康威视" h-k-w-sh
    in "hikvision"). Brand names are coined this way; plain pinyin meets its Latin
    spelling through the other comparisons."""
    initials = syllable_initials(han)
    if (not 2 <= len(initials) <= 4 or not 2 * len(initials) <= len(latin) <= 4 * len(initials)
            or not latin.isalpha()):
        return False
    position = 0
    for number, initial in enumerate(initials):
        letters = _INITIAL_LETTERS.get(initial, initial[0])
        if number == 0:
            if latin[0] not in letters:
                return False
            position = 1
            continue
        found = next((i for i in range(position, len(latin)) if latin[i] in letters), None)
        if found is None:
            return False
        position = found + 1
    return True


_SCRIPT_SOURCES = ("abjad", "pinyin")


def align_tokens(query: NameForm, listed: NameForm,
                 weight: Callable[[str], float]) -> tuple[float, list[TokenMatch]]:
    """Name tokens aligned one to one; each query token to its most similar listed token.

    Both directions count: the score is the harmonic mean of the weighted share of the
    query's tokens that found a partner and of the listed name's tokens that did, with
    each token weighted by its rarity across all listed names.
    """
    q_tokens, c_tokens = query.core, listed.core
    if not q_tokens or not c_tokens:
        return 0.0, []
    pairs = []
    groups = _VARIANTS or _variant_groups()
    for i, q in enumerate(q_tokens):
        qt, q_len = q.text, len(q.text)
        q_plain = not q.written and q.source not in _SCRIPT_SOURCES
        q_group = groups.get(qt)
        for j, c in enumerate(c_tokens):
            if q_plain and not c.written and c.source not in _SCRIPT_SOURCES and qt != c.text:
                # Plain words too different in length for a typo or a sound-alike meet only
                # as given-name variants: skip the full comparison (same result, less work).
                c_len = len(c.text)
                if (q_len - c_len > 3 or c_len - q_len > 3 or q_len < 3 or c_len < 3) and (
                        q_group is None or q_group != groups.get(c.text)):
                    continue
            sim, how = _similar(q, c)
            if sim > 0:
                pairs.append((sim, i, j, how))
    # glued / split tokens: "hikvision" against "hik"+"vision", and the reverse; only
    # tokens without an exact partner can be glued ones
    exact_q = {p[1] for p in pairs if p[0] == 1.0}
    exact_c = {p[2] for p in pairs if p[0] == 1.0}
    # a glued token pairs with 2+ tokens of the other side that have no exact partner
    open_q, open_c = len(q_tokens) - len(exact_q), len(c_tokens) - len(exact_c)
    if (open_q >= 1 and open_c >= 2) or (open_q >= 2 and open_c >= 1):
        _glue_pairs(q_tokens, listed, pairs, reverse=False, skip=exact_q)
        _glue_pairs(c_tokens, query, pairs, reverse=True, skip=exact_c)
    pairs.sort(key=lambda p: -p[0])
    used_q: dict[int, tuple[float, int | tuple[int, ...], str]] = {}
    used_c: set[int] = set()
    for sim, i, j, how in pairs:
        i_set = i if isinstance(i, tuple) else (i,)
        j_set = j if isinstance(j, tuple) else (j,)
        if any(x in used_q for x in i_set) or any(y in used_c for y in j_set):
            continue
        for x in i_set:
            used_q[x] = (sim, j, how)
        used_c.update(j_set)
    q_weights = [_weight(weight, t.text, i in used_q) for i, t in enumerate(q_tokens)]
    c_matched = {y for _s, j, _h in used_q.values() for y in (j if isinstance(j, tuple) else (j,))}
    c_weights = [_weight(weight, t.text, j in c_matched) for j, t in enumerate(c_tokens)]
    q_hit = sum(w * used_q[i][0] for i, w in enumerate(q_weights) if i in used_q)
    c_sims: dict[int, float] = {}
    for sim, target, _how in used_q.values():
        for y in (target if isinstance(target, tuple) else (target,)):
            c_sims[y] = max(c_sims.get(y, 0.0), sim)
    c_hit = sum(w * c_sims.get(j, 0.0) for j, w in enumerate(c_weights))
    precision = q_hit / sum(q_weights)
    recall = c_hit / sum(c_weights)
    score = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    matches = []
    for i, q in enumerate(q_tokens):
        if i in used_q:
            sim, target, how = used_q[i]
            span = target if isinstance(target, tuple) else (target,)
            listed_text = " ".join(c_tokens[y].text for y in span)
            listed_written = " ".join(c_tokens[y].original for y in span)
            matches.append(TokenMatch(q.text, listed_text, how, sim, q_weights[i], q.original, listed_written))
        else:
            matches.append(TokenMatch(q.text, None, "none", 0.0, q_weights[i], q.original))
    return score, matches


def closeness(query: NameForm, listed: NameForm) -> float:
    """A C-speed character-level screen (0-100) that picks which candidates and names get
    the full alignment: rapidfuzz's ``token_sort_ratio``, on word orders sorted once when
    the name was analysed. (``token_set_ratio`` would rate any subset 100: "al aqsa"
    inside "foreningen al aqsa".)"""
    return fuzz.ratio(query.sorted_text, listed.sorted_text)


def closeness_all(query: NameForm, listed: list[str]) -> list[float]:
    """``closeness`` of one query name to many listed names' ``sorted_text``, in one C loop."""
    scores = [0.0] * len(listed)
    for _text, value, index in process.extract(query.sorted_text, listed, scorer=fuzz.ratio, limit=None):
        scores[index] = value
    return scores


def joined_match(query: NameForm, listed: NameForm) -> tuple[float, TokenMatch] | None:
    """The names split into words differently ("Consultingand Lgoistics" / "Consulting and
    Logistics", "Nafezelmir" / "Nafez El Mir"): compared as one string without spaces,
    at character level, each edit costing as much as in a single word. Numbers must agree."""
    q_words, c_words = query.words, listed.words
    if len(q_words) == len(c_words) or not q_words or not c_words:
        return None
    if sorted(w for w in q_words if w.isdigit()) != sorted(w for w in c_words if w.isdigit()):
        return None
    q_joined, c_joined = "".join(q_words), "".join(c_words)
    weight = float(len(q_joined))
    if any(t.source == "abjad" for t in (*query.tokens, *listed.tokens)):
        q_skel, c_skel = skeleton(q_joined), skeleton(c_joined)
        if len(q_skel) >= 3 and q_skel == c_skel:
            return 0.85, TokenMatch(" ".join(q_words), " ".join(c_words), "consonants", 0.85, weight)
    longer = max(len(q_joined), len(c_joined))
    if min(len(q_joined), len(c_joined)) < 8:
        return None
    allowed = max(1, longer // 10)
    dist = OSA.distance(q_joined, c_joined, score_cutoff=allowed)
    if dist > allowed:
        return None
    sim = 1.0 - 1.2 * dist / longer
    return sim, TokenMatch(" ".join(q_words), " ".join(c_words), "joined", sim, weight)


_LEGAL_WORDS = ("limited", "company", "corporation", "incorporated", "gmbh")


PLACE_WEIGHT = 0.3
"""Share of its rarity an unmatched place name keeps: vendor files drop the city
("Huawei Software Technologies" for "..., Nanjing, Jiangsu")."""


def _weight(rarity: Callable[[str], float], text: str, matched: bool) -> float:
    """A token's weight: its rarity; unmatched noise (single letters, legal-form typos) ~0,
    an unmatched place name little."""
    weight = rarity(text)
    if len(text) == 1:
        return 0.1  # initials and split-up legal forms ("S A DE C V") say little either way
    if matched:
        return weight
    if _legal_typo(text):
        return 0.1
    if text in place_words():
        return weight * PLACE_WEIGHT
    return weight



_LEGAL_CODES = ("ojsc", "pjsc", "cjsc", "gmbh", "corp")


@lru_cache(maxsize=65536)
def _legal_typo(text: str) -> bool:
    """A misspelt legal form ("limted", "ojscc"), left in the name because rigour did not
    recognise it."""
    if len(text) >= 5 and any(OSA.distance(text, w, score_cutoff=2) <= 2 for w in _LEGAL_WORDS):
        return True
    return len(text) == 5 and any(OSA.distance(text, w, score_cutoff=1) <= 1 for w in _LEGAL_CODES
                                  if len(w) == 4)


def _glue_pairs(one: Sequence[Token], other: NameForm, pairs: list, reverse: bool, skip: set[int]) -> None:
    """Pair a long token with 2 or 3 adjacent tokens of the other name glued together."""
    long_ones = [(i, tok) for i, tok in enumerate(one) if len(tok.text) >= 5 and i not in skip]
    if not long_ones:
        return
    # cheap length test first: most spans are nowhere near any long token's length
    near = {len(tok.text) + d for _i, tok in long_ones for d in range(-3, 4)}
    for start, span, size, size_written, glued_forms in other.spans:
        if size not in near and size_written not in near:
            continue
        for i, tok in long_ones:
            best = None
            for glued in glued_forms:
                if abs(len(tok.text) - len(glued)) > 3:
                    continue
                allowed = 1 if len(glued) < 9 else 2 if len(glued) < 14 else 3
                dist = OSA.distance(tok.text, glued, score_cutoff=allowed)
                if dist <= allowed and (best is None or dist < best):
                    best = dist
            if best is None:
                continue
            sim = 1.0 - 0.06 * best
            group = tuple(range(start, start + span))
            pairs.append((sim, group, i, "glued") if reverse else (sim, i, group, "glued"))


def country_mismatch(query: Query, cand: Candidate) -> FeatureResult | None:
    """Both sides name countries and none is shared."""
    if not query.countries or not cand.countries:
        return None
    if query.countries & cand.countries:
        shared = ", ".join(sorted(query.countries & cand.countries))
        return FeatureResult("country_match", 1.0, 0.0, f"Shared country: {shared}")
    return FeatureResult("country_mismatch", 1.0, 0.0,
                         f"Different countries: {', '.join(sorted(query.countries))} / "
                         f"{', '.join(sorted(cand.countries))}")


def identifier_match(query: Query, cand: Candidate) -> FeatureResult | None:
    """An identifier of the query (registration, tax, passport number...) is on the listing."""
    from redflags.index.blocker import normalise_identifier

    shared = {normalise_identifier(i) for i in query.identifiers} & cand.identifiers
    if not shared:
        return None
    return FeatureResult("identifier_match", 1.0, 0.0, f"Shared identifier: {', '.join(sorted(shared))}")


def dob_year_disjoint(query: Query, cand: Candidate) -> FeatureResult | None:
    """Both are people with birth dates, and no birth year is shared."""
    if not query.birth_dates or not cand.birth_dates:
        return None
    q_years = {d[:4] for d in query.birth_dates}
    c_years = {d[:4] for d in cand.birth_dates}
    if q_years & c_years:
        return FeatureResult("dob_year_match", 1.0, 0.0, f"Same birth year: {', '.join(sorted(q_years & c_years))}")
    return FeatureResult("dob_year_disjoint", 1.0, 0.0,
                         f"Different birth years: {', '.join(sorted(q_years))} / {', '.join(sorted(c_years))}")


_PARTY = {"Person": "person", "Company": "org", "Organization": "org", "PublicBody": "org",
          "Vessel": "vessel", "Airplane": "airplane"}


def schema_mismatch(query: Query, cand: Candidate) -> FeatureResult | None:
    """The query is one kind of party (a person, a company) and the listing another."""
    if not query.schema:
        return None
    q_kind, c_kind = _PARTY.get(query.schema), _PARTY.get(cand.schema)
    if q_kind is None or c_kind is None or q_kind == c_kind:
        return None
    if {q_kind, c_kind} <= {"org", "vessel", "airplane"} and "org" in (q_kind, c_kind):
        return None
    return FeatureResult("schema_mismatch", 1.0, 0.0, f"{query.schema} query, {cand.schema} listing")


def legal_form_mismatch(query_form: NameForm, listed: NameForm) -> FeatureResult | None:
    """Both names carry legal forms and they differ (a weak signal: forms get dropped)."""
    if not query_form.legal_forms or not listed.legal_forms:
        return None
    if set(query_form.legal_forms) & set(listed.legal_forms):
        return FeatureResult("legal_form_match", 1.0, 0.0, f"Same legal form: {'/'.join(query_form.legal_forms)}")
    return FeatureResult("legal_form_mismatch", 1.0, 0.0,
                         f"Legal forms {'/'.join(query_form.legal_forms)} vs {'/'.join(listed.legal_forms)}")
