"""What a listed party is retrieved by: keys made of its names and identifiers.

Keys per name (see ``name_keys``): each token, each pair of adjacent tokens glued
("hik vision" -> "hikvision") and each token's phonetic key; character trigrams of long tokens
(``gram_keys``) for typos and glued words; identifiers (``i:``). ``e:`` keys find a party by
the id of any record it was merged from. In the index a key is a 64-bit fingerprint
(``fingerprint``); a build that meets two keys with one fingerprint takes another seed.
"""

from typing import Any

import xxhash
from rigour.text import metaphone

from redflags.normalise.names import NameForm

NAME_PROPS = ("name", "alias", "previousName", "weakAlias")
ID_PROPS = ("registrationNumber", "idNumber", "taxNumber", "passportNumber", "uscCode",
            "innCode", "ogrnCode", "swiftBic", "leiCode", "imoNumber", "isinCode", "dunsCode")
COUNTRY_PROPS = ("country", "nationality", "citizenship", "jurisdiction", "birthCountry")


def name_keys(form: NameForm) -> set[str]:
    words = [w for w in form.words if w]
    keys = {f"t:{w}" for w in words}
    keys.update(f"t:{a}{b}" for a, b in zip(words, words[1:]))
    # glued as written too: "nano tech" -> "nanotech" (the tokens say "nano technology")
    keys.update(f"t:{a.written or a.text}{b.written or b.text}" for a, b in zip(form.tokens, form.tokens[1:])
                if a.written or b.written)
    keys.update(f"p:{metaphone(w)}" for w in words if len(w) >= 4 and not w.isdigit())
    # the other readings of a Chinese name's words (glosses, aliases, pinyin) retrieve too
    keys.update(f"t:{w}" for w in form.alt_words if w)
    return keys


def gram_keys(word: str) -> set[str]:
    """Character trigrams of a word: retrieval for typos and glued words."""
    padded = f"^{word}$"
    return {f"g:{padded[i:i + 3]}" for i in range(len(padded) - 2)}


def normalise_identifier(value: str) -> str:
    return "".join(c for c in value.upper() if c.isalnum())


def identifiers_of(data: dict[str, Any]) -> frozenset[str]:
    """A stored record's identifiers, normalised; too short ones say nothing."""
    props = data.get("properties", {})
    ids = {normalise_identifier(v) for p in ID_PROPS for v in props.get(p, [])}
    ids.update(normalise_identifier(i["number"]) for i in data.get("identifiers", []))
    return frozenset(i for i in ids if len(i) >= 4)


def fingerprint(key: str, seed: int) -> int:
    """The 64-bit fingerprint a key is found by (XXH3)."""
    return xxhash.xxh3_64_intdigest(key.encode("utf-8"), seed)
