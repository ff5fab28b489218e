"""A mention of listed parties in a text, as every finder returns it."""

from dataclasses import dataclass, field
from typing import Any

CONTEXT = 80
"""Characters of context either side of a mention."""
CACHE = 50_000
"""Spans whose hits a finder remembers (a name recurs in a text, and across texts)."""
HIT_MARGIN = 0.1
"""A mention's hits are those scoring within this of its best (浪潮集团 is Inspur Group at 0.93,
not also "Wave Tech Group" at 0.78)."""


@dataclass
class Mention:
    start: int
    end: int
    page: int | None
    text: str
    context: str
    hits: list[dict[str, Any]]
    corroborated: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "page": self.page, "text": self.text, "context": self.context,
                "corroborated": self.corroborated, "hits": self.hits}


def context(text: str, start: int, end: int) -> str:
    """The mention with ``CONTEXT`` characters either side, its whitespace collapsed."""
    return " ".join(text[max(0, start - CONTEXT):min(len(text), end + CONTEXT)].split())
