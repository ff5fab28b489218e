"""A run's results, recorded as screenings as they are made (``redflags.review``): each chunk of
result lines is recorded, then rewritten with what the record says (``suppressed``,
``review_required``, the alert and decision behind each hit) before it is written out."""

from typing import Any

import orjson

from redflags.batch.engine import Params, Stats
from redflags.review.record import Item, Recorder


class RunRecorder:
    def __init__(self, store: Any, params: Params, source: str, actor: str, versions: str, run_id: str,
                 resumed: bool) -> None:
        from redflags.index.persist import matcher_version

        self.params = params
        self.recorder = Recorder(store, source, actor, versions, matcher_version(scoring=True), run_id, resumed)

    def record(self, data: bytes) -> tuple[bytes, Stats]:
        results = [orjson.loads(line) for line in data.splitlines()]
        items = [Item(r["row"], self.params.columns.input_id(r.get("input") or {}), r["query"] if not r["error"] else None,
                      r["status"], r["hits"], r["error"]) for r in results]
        stats = Stats()
        lines = []
        for result, (status, hits) in zip(results, self.recorder.record(items), strict=True):
            result["status"], result["hits"] = status, hits
            stats.add_result(status, hits)
            lines.append(orjson.dumps(result, option=orjson.OPT_APPEND_NEWLINE))
        return b"".join(lines), stats
