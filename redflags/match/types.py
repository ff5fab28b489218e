"""Slotted types for the scoring loop."""

from dataclasses import dataclass, field
from typing import Any

from redflags.normalise.names import NameForm


@dataclass(slots=True)
class Query:
    names: list[str]
    schema: str | None = None
    countries: frozenset[str] = frozenset()
    identifiers: tuple[str, ...] = ()
    birth_dates: tuple[str, ...] = ()
    on: str | None = None
    """The transaction date (ISO) on which linked parties are judged; None: today."""
    forms: list[NameForm] = field(default_factory=list)


@dataclass(slots=True)
class TokenMatch:
    query: str
    listed: str | None
    how: str  # exact | fuzzy | phonetic | glued | pinyin | dictionary | abbreviation | none
    similarity: float
    weight: float
    query_written: str = ""
    listed_written: str = ""
    """The words as they are written in the names, where the token rewrote them."""
    query_source: str = ""
    listed_source: str = ""
    """Where a reading of a Chinese word came from: the dictionary gloss, convention or alias."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"query": self.query, "listed": self.listed, "how": self.how,
                               "similarity": round(self.similarity, 3), "weight": round(self.weight, 3)}
        if self.query_written and self.query_written.casefold() != self.query:
            out["query_written"] = self.query_written
        if self.listed_written and self.listed is not None and self.listed_written.casefold() != self.listed:
            out["listed_written"] = self.listed_written
        if self.query_source:
            out["query_source"] = self.query_source
        if self.listed_source:
            out["listed_source"] = self.listed_source
        return out


@dataclass(slots=True)
class FeatureResult:
    name: str
    score: float  # the feature's own value in [0, 1] (or [-1, 1] for agreement)
    contribution: float  # what it added to the final score
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.name, "value": round(self.score, 3),
                "contribution": round(self.contribution, 4), "detail": self.detail}


@dataclass(slots=True)
class MatchResult:
    score: float
    matched_name: str
    query_name: str
    tokens: list[TokenMatch]
    features: list[FeatureResult]
    altered: tuple[str, ...] = ()
    """What had to be undone in the query name before it could be compared (see
    ``normalise.text``): a name hidden this way is a red flag of its own."""

    def explanation(self) -> dict[str, Any]:
        out = {"query_name": self.query_name, "matched_name": self.matched_name,
               "tokens": [t.to_dict() for t in self.tokens],
               "features": [f.to_dict() for f in self.features],
               "summary": summarise(self)}
        if self.altered:
            out["input_altered"] = list(self.altered)
        return out


def summarise(result: MatchResult) -> str:
    parts = []
    for t in result.tokens:
        if t.listed is None:
            parts.append(f"{t.query!r} unmatched")
        else:
            # a Chinese word shows its characters and, where it was read with one, the source
            shown = f"{t.query_written}={t.query!r}" if t.query_source else repr(t.query)
            source = f", {t.query_source}" if t.query_source and t.query_source != "pinyin" else ""
            if t.how == "exact":
                parts.append(f"{shown}={t.listed!r}")
            else:
                parts.append(f"{shown}~{t.listed!r} ({t.how} {t.similarity:.2f}{source})")
    feats = ", ".join(f"{f.name} {f.contribution:+.2f}" for f in result.features if f.contribution)
    altered = f"INPUT ALTERED: {'; '.join(result.altered)} | " if result.altered else ""
    return altered + "; ".join(parts) + (f" | {feats}" if feats else "")
