"""Two names aligned word by word: each query word to its most similar listed word, weighted by
rarity, in both directions; glued and split words, acronyms, and, for a Chinese name, the
reading of each segment that meets the other name."""

from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from redflags.match.similarity import BRAND_SIMILARITY, SCRIPT_SOURCES, similar, skeleton, variant_groups
from redflags.match.types import TokenMatch
from redflags.normalise.chinese import place_words
from redflags.normalise.names import STOPWORDS, Alternative, NameForm, Token, span_texts, with_readings

PLAIN_EXCEPT = (*SCRIPT_SOURCES, "abbreviated")
"""Sources of words compared in full whatever their lengths: another script's, and a word cut
short ("Man." is "manufacturing")."""


def align_tokens(query: NameForm, listed: NameForm, weight: Callable[[str], float],
                 people: bool = False) -> tuple[float, list[TokenMatch]]:
    """Name tokens aligned one to one; each query token to its most similar listed token.

    Both directions count: the score is the harmonic mean of the weighted share of the
    query's tokens that found a partner and of the listed name's tokens that did, with
    each token weighted by its rarity across all listed names.
    """
    q_tokens, c_tokens = query.core, listed.core
    if not q_tokens or not c_tokens:
        return 0.0, []
    pairs = []
    groups = variant_groups()
    for i, q in enumerate(q_tokens):
        qt, q_len = q.text, len(q.text)
        q_plain = not q.written and q.source not in PLAIN_EXCEPT
        q_group = groups.get(qt)
        for j, c in enumerate(c_tokens):
            if q_plain and not c.written and c.source not in PLAIN_EXCEPT and qt != c.text:
                # Plain words too different in length for a typo or a sound-alike meet only
                # as given-name variants: skip the full comparison (same result, less work).
                c_len = len(c.text)
                if (q_len - c_len > 3 or c_len - q_len > 3 or q_len < 3 or c_len < 3) and (
                        q_group is None or q_group != groups.get(c.text)):
                    continue
            sim, how = similar(q, c, people)
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
    q_weights = [_weight(weight, t, i in used_q) for i, t in enumerate(q_tokens)]
    if any(_trade_name(q_tokens, i) and used_q[i][0] >= BRAND_SIMILARITY for i in used_q):
        # A Chinese firm's name is its place, trade name, trade and legal form; once the trade
        # name is met, the trade's words are the ones English renderings drop or change
        # ("海思半导体" is "HiSilicon Technologies")
        q_weights = [w * TRADE_WORD_WEIGHT if i not in used_q and q_tokens[i].source == "dictionary" else w
                     for i, w in enumerate(q_weights)]
    c_matched = {y for _s, j, _h in used_q.values() for y in (j if isinstance(j, tuple) else (j,))}
    c_weights = [_weight(weight, t, j in c_matched) for j, t in enumerate(c_tokens)]
    # a word the name repeats, met once, is not missing the second time ("HiSilicon
    # Technologies Co., Ltd (HiSilicon)")
    met_words = {c_tokens[y].text for y in c_matched}
    c_weights = [0.0 if j not in c_matched and t.text in met_words else w
                 for j, (t, w) in enumerate(zip(c_tokens, c_weights, strict=True))]
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
            if isinstance(target, int):
                listed_note = c_tokens[target].note
            else:
                listed_note = "; ".join(sorted({c_tokens[y].note for y in span if c_tokens[y].note}))
            matches.append(TokenMatch(q.text, listed_text, how, sim, q_weights[i], q.original, listed_written,
                                      q.note, listed_note))
        else:
            matches.append(TokenMatch(q.text, None, "none", 0.0, q_weights[i], q.original, "", q.note))
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


def acronym_match(query: NameForm, listed: NameForm) -> tuple[float, TokenMatch] | None:
    """One name is an acronym of the other's words, legal form included ("CEIEC" / "China
    Electronics Import and Export Corporation", "ZTE" / "Zhongxing Telecommunication
    Equipment"): every word's initial, in order."""
    for short, long in ((listed, query), (query, listed)):
        if len(short.core) != 1 or len(short.tokens) != 1:
            continue
        word = short.core[0].text
        words = _spelled_out(long)
        if not 3 <= len(word) <= 8 or not word.isalpha() or len(words) < 3:
            continue
        initials = "".join(w[0] for w in words if not w.isdigit())
        legal = "".join(_LEGAL_INITIAL.get(code, "") for code in long.legal_forms)
        if word in (initials, initials + legal):
            return ACRONYM_SIMILARITY, TokenMatch(" ".join(query.words), " ".join(listed.words), "acronym",
                                                  ACRONYM_SIMILARITY, 1.0)
    return None


ACRONYM_SIMILARITY = 0.9


def _spelled_out(form: NameForm) -> list[str]:
    """The form's core words, each Chinese segment read in its longest English reading
    (中国电子 as "china electronics", not its short form "cec")."""
    if not form.choices:
        return [t.text for t in form.core]
    picked = []
    for choice in form.choices:
        readings = [alt for option in choice.options for part in option for alt in part
                    if alt and all(t.source not in ("pinyin", "surname") for t in alt)]
        best = max(readings, key=len, default=())
        picked.append(best if len(best) > choice.size else form.tokens[choice.start:choice.start + choice.size])
    return [t.text for t in with_readings(form, picked).core if t.text not in _LEGAL_IN_READINGS]


_LEGAL_IN_READINGS = frozenset({"corporation", "company", "limited", "group"})
_LEGAL_INITIAL = {"co": "c", "corp": "c", "coltd": "c", "ltd": "l", "llc": "l", "jsc": "j", "inc": "i", "plc": "p"}


JOINED_SAME = 0.95
"""Names of the same letters split into the same number of words at other places."""


def joined_match(query: NameForm, listed: NameForm) -> tuple[float, TokenMatch] | None:
    """The names split into words differently ("Consultingand Lgoistics" / "Consulting and
    Logistics", "Nafezelmir" / "Nafez El Mir"): compared as one string without spaces,
    at character level, each edit costing as much as in a single word. Numbers must agree."""
    q_words, c_words = query.words, listed.words
    if not q_words or not c_words:
        return None
    if len(q_words) == len(c_words):
        # as many words, split elsewhere ("KIM CHOLM-IN" / "KIM CHOL-MIN"): the same letters only
        q_written = "".join(t.written or t.text for t in query.tokens)
        if q_words != c_words and q_written == "".join(t.written or t.text for t in listed.tokens) \
                and len(q_written) >= 8:
            return JOINED_SAME, TokenMatch(" ".join(q_words), " ".join(c_words), "joined", JOINED_SAME,
                                           float(len("".join(q_words))))
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


NOISE_WEIGHT = 0.1
"""The weight of an unmatched word that says little about the name (an initial, a legal-form typo)."""

TRADE_WORD_WEIGHT = 0.5
"""Share of its rarity an unmatched word of a Chinese firm's trade keeps once its trade name
(an alias or pinyin word) is met."""


def _trade_name(tokens: Sequence[Token], i: int) -> bool:
    """Whether a Chinese name's token is its trade name: pinyin, or an alias of one or two words
    (the brand "hikvision", "quantum ctek"; not a group's name spelt out, "semiconductor
    manufacturing international" for 中芯)."""
    token = tokens[i]
    if token.source == "pinyin":
        return True
    return token.source == "alias" and sum(t.original == token.original and t.source == "alias" for t in tokens) <= 2

PLACE_WEIGHT = 0.3
"""Share of its rarity an unmatched place name keeps: vendor files drop the city
("Huawei Software Technologies" for "..., Nanjing, Jiangsu")."""


def _weight(rarity: Callable[[str], float], token: Token, matched: bool) -> float:
    """A token's weight: its rarity; unmatched noise (single letters, legal-form typos, the
    name's own acronym) ~0, an unmatched place name little."""
    text = token.text
    weight = rarity(text)
    if matched:
        return weight
    if len(text) == 1:
        return NOISE_WEIGHT  # initials and split-up legal forms ("S A DE C V"); numbers: see number_mismatch
    if _legal_typo(text) or token.source == "acronym":
        return NOISE_WEIGHT
    if text in place_words() or token.source == "address":
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
    for start, span, glued_text in other.spans:
        glued_forms = span_texts(glued_text)
        if len(glued_forms[0]) not in near and len(glued_forms[-1]) not in near:
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


READING_COST = 0.5
"""How much a reading's words that the other name lacks count against it, against the
words it shares: "research institute" is read as "institute" when the other name has only that."""


def _reading_value(alternative: Alternative, other: NameForm, texts: frozenset[str],
                   weight: Callable[[str], float], people: bool) -> tuple[float, float]:
    """(weighted similarity of the reading's words to the other name, that minus the weighted
    shortfall of its words that meet nothing)."""
    matched = missed = 0.0
    for token in alternative:
        if token.text in STOPWORDS:
            continue
        if token.text in texts:
            # weighed as the other name's word it meets: a rare reading is not worth more
            best, met = 1.0, token.text
        else:
            best, met = 0.0, token.text
            for o in other.core:
                sim = similar(token, o, people)[0]
                if sim > best:
                    best, met = sim, o.text
        matched += weight(met) * best
        missed += weight(token.text) * (1.0 - best)
    return matched, matched - READING_COST * missed


def select_readings(form: NameForm, other: NameForm, weight: Callable[[str], float],
                    people: bool = False) -> NameForm:
    """``form`` read, segment by segment, the way that best meets ``other``: of a Chinese
    segment's readings (glosses, conventions, aliases, pinyin) the one sharing the most with the
    other name, net of its words the other lacks; where no reading meets anything, the default."""
    if not form.choices:
        return form
    # The other name's words, each usable once: a reading picked for one segment uses them up,
    # so that two segments are not both read as the same word ("medical" for 医学 and for 军事医学).
    available = Counter(t.text for t in other.core)
    glued = frozenset(g for span in other.spans for g in span_texts(span[2]))
    fixed = set(range(len(form.tokens))) - {i for c in form.choices for i in range(c.start, c.start + c.size)}
    for i in fixed:
        if available[form.tokens[i].text] > 0:
            available[form.tokens[i].text] -= 1
    picked: list[Alternative] = []
    for choice in form.choices:
        texts = frozenset(w for w, n in available.items() if n > 0) | glued
        best: tuple[float, list[Alternative]] | None = None
        default: list[Alternative] = []
        for number, option in enumerate(choice.options):
            total = 0.0
            any_match = False
            chosen: list[Alternative] = []
            for part in option:
                part_best: tuple[float, Alternative] | None = None
                for alternative in part:
                    matched, net = _reading_value(alternative, other, texts, weight, people)
                    if matched > 0 and (part_best is None or net > part_best[0]):
                        part_best = (net, alternative)
                if part_best is None:
                    # nothing meets the other name: the default, or nothing where the word is one
                    # English renderings often leave out (a reading "-": 集团, 中国)
                    chosen.append(() if () in part else part[0])
                else:
                    any_match = True
                    total += part_best[0]
                    chosen.append(part_best[1])
            if number == 0:
                default = chosen
            if any_match and (best is None or total > best[0]):
                best = (total, chosen)
        reading = tuple(t for alternative in (best[1] if best is not None else default) for t in alternative)
        for token in reading:
            if available[token.text] > 0:
                available[token.text] -= 1
        picked.append(reading)
    return with_readings(form, picked)
