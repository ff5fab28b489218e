"""Review settings an admin changes at run time; each change is an audit entry.

- ``review.reasons``: the reason codes a decision may give, with what each means.
- ``review.rescore_margin``: how far a suppressed alert's score may rise before it needs review.
- ``review.four_eyes``: which decisions wait for a second actor: ``decisions`` (which kinds),
  ``min_score`` (at or above this best score) and ``lists`` (on any of these lists, by list or
  dataset name: "Entity List", "us_csl"); off while
  neither ``min_score`` nor ``lists`` is set. ``approver_role``: who may approve over the API.
- ``retention.years``: after how many years screened parties' details are purged.
"""

import copy
from typing import Any

import sqlalchemy as sa

from redflags.audit.chain import audited
from redflags.audit.records import now
from redflags.exc import QueryError
from redflags.store import tables as t

DEFAULTS: dict[str, Any] = {
    "review.reasons": {
        "different_person": "the party is another person than the listed one",
        "different_entity": "the party is another organisation than the listed one",
        "different_country": "the party's country differs from the listed party's",
        "different_dob": "the party's birth date differs from the listed person's",
        "different_entity_type": "a person matched an organisation, or the reverse",
        "name_common": "only a common name or word is shared",
        "confirmed_listed": "the party is the listed party",
        "needs_information": "more information is needed to decide",
        "other": "explained in the comment",
    },
    "review.rescore_margin": 0.05,
    "review.four_eyes": {"decisions": ["false_positive"], "min_score": None, "lists": [], "approver_role": "admin"},
    "retention.years": 10,
}

_CHECKS: dict[str, Any] = {
    "review.reasons": lambda v: isinstance(v, dict) and v and all(isinstance(k, str) and k for k in v),
    "review.rescore_margin": lambda v: isinstance(v, int | float) and 0 <= v <= 1,
    "review.four_eyes": lambda v: isinstance(v, dict) and set(v) <= {"decisions", "min_score", "lists",
                                                                     "approver_role"},
    "retention.years": lambda v: isinstance(v, int) and v >= 1,
}


def get_config(store: Any, name: str | None = None) -> Any:
    """One setting, or all of them, with the defaults filled in."""
    with store.engine.connect() as conn:
        stored = dict(conn.execute(sa.select(t.config.c.name, t.config.c.value)).all())
    values = {k: stored.get(k, copy.deepcopy(v)) for k, v in DEFAULTS.items()}
    if isinstance(values["review.four_eyes"], dict):
        values["review.four_eyes"] = {**DEFAULTS["review.four_eyes"], **values["review.four_eyes"]}
    if name is None:
        return values
    if name not in values:
        raise QueryError(f"no setting {name!r}; one of {', '.join(DEFAULTS)}")
    return values[name]


def set_config(store: Any, name: str, value: Any, actor: str) -> Any:
    if name not in DEFAULTS:
        raise QueryError(f"no setting {name!r}; one of {', '.join(DEFAULTS)}")
    if not _CHECKS[name](value):
        raise QueryError(f"{name}: {value!r} is not a valid value (the default is {DEFAULTS[name]!r})")
    with audited(store.engine) as log:
        before = log.conn.execute(sa.select(t.config.c.value).where(t.config.c.name == name)).scalar()
        log.conn.execute(t.config.delete().where(t.config.c.name == name))
        log.conn.execute(t.config.insert().values(name=name, value=value, actor=actor, updated_at=now()))
        log.add("config.changed", f"config:{name}", actor, {"name": name, "before": before, "after": value})
    return get_config(store, name)
