"""Which rule each list applies to a linked party, and whether it applied on a given day.

The rules are data (``data/rules.yml``): a rule's dates change (the BIS affiliates rule was
suspended a month after it took effect), and its status on the day in question is part of the
answer a buyer files.
"""

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from redflags.links.model import OWNERSHIP, Link, parse_partial

RULES_FILE = Path(__file__).parent / "data" / "rules.yml"


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    lists: tuple[str, ...]
    reaches: str  # ownership | none
    source: str
    min_share: float | None = None
    in_force: tuple[tuple[dt.date | None, dt.date | None], ...] = ()
    suspended: tuple[tuple[dt.date | None, dt.date | None], ...] = ()
    note: str = ""

    def status(self, on: dt.date) -> str:
        """``in force``, ``suspended`` or ``not in force`` on ``on``."""
        def within(periods: tuple[tuple[dt.date | None, dt.date | None], ...]) -> bool:
            return any((start is None or start <= on) and (until is None or on <= until) for start, until in periods)

        if self.suspended and within(self.suspended):
            return "suspended"
        return "in force" if within(self.in_force) else "not in force"


def _periods(values: Any) -> tuple[tuple[dt.date | None, dt.date | None], ...]:
    return tuple((parse_partial(p.get("from")), parse_partial(p.get("until"), end=True)) for p in values or [])


@lru_cache(maxsize=1)
def load_rules(path: Path = RULES_FILE) -> tuple[Rule, ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return tuple(Rule(id=r["id"], title=r["title"], lists=tuple(r["lists"]), reaches=r["reaches"], source=r["source"],
                      min_share=r.get("min_share"), in_force=_periods(r.get("in_force")),
                      suspended=_periods(r.get("suspended")), note=r.get("note", ""))
                 for r in data.get("rules", []))


def rules_for(lists: tuple[str, ...] | list[str], link: Link, on: dt.date) -> list[dict[str, Any]]:
    """For each of the listed party's lists with a rule: the rule, its status on ``on`` and whether
    it reaches this linked party (``yes``, ``no``, or ``check`` when the share is not known)."""
    out = []
    for rule in load_rules():
        matched = [name for name in lists if name in rule.lists]
        if not matched:
            continue
        status = rule.status(on)
        if link.named:
            reaches, why = "yes", "the list's own entry names it"
        elif rule.reaches == "none":
            reaches, why = "no", "reaches only the listed entity"
        elif link.relation not in OWNERSHIP:
            reaches, why = "check", f"a {link.reads().removesuffix(' of')} is not owned as such: check ownership"
        elif link.share is None:
            reaches, why = "check", f"share not known: reaches it if owned {rule.min_share:g} % or more"
        elif link.share >= (rule.min_share or 0):
            reaches, why = "yes", f"owned {link.share:g} % (at least {rule.min_share:g} %)"
        else:
            reaches, why = "no", f"owned {link.share:g} % (under {rule.min_share:g} %)"
        if status != "in force" and reaches != "no":
            reaches, why = "no", f"{why}; but the rule is {status} on {on.isoformat()}"
        out.append({"rule": rule.id, "title": rule.title, "lists": matched, "status": status,
                    "reaches": reaches, "why": why, "source": rule.source})
    return out
