"""The OpenSanctions reference, run in its own virtual environment (see setup.sh).

Reads the listed entities (FtM JSON lines), the dev queries and the labelled pairs that
bench/match_dev.py hands it, and scores them with nomenklatura's ``logic-v2`` (yente's
default algorithm). Candidates come from an IDF-weighted token + trigram index that
stands in for yente's Elasticsearch query: the 50 best per query, as in
../shared/bench/README.md. Writes one JSON line per query and per pair.

    bench/.refvenv/bin/python bench/reference/nk_logic_v2.py ENTITIES QUERIES PAIRS OUT
"""

import csv
import json
import math
import sys
import time
from collections import defaultdict

import yaml
from followthemoney import EntityProxy, model
from nomenklatura.matching import get_algorithm
from nomenklatura.matching.types import ScoringConfig
from normality import normalize

CANDIDATES = 50
NAME_PROPS = ("name", "alias", "previousName", "weakAlias")


def tokens(name: str) -> list[str]:
    return (normalize(name) or "").split()


def grams(token: str) -> set[str]:
    padded = f"^{token}$"
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


class Retrieval:
    def __init__(self, entities: list[EntityProxy]) -> None:
        self.entities = entities
        postings: dict[str, set[int]] = defaultdict(set)
        for number, entity in enumerate(entities):
            for prop in NAME_PROPS:
                for name in entity.get(prop, quiet=True):
                    for tok in tokens(name):
                        postings[f"t:{tok}"].add(number)
                        for gram in grams(tok):
                            postings[f"g:{gram}"].add(number)
        total = len(entities) + 1
        self.postings = {k: list(v) for k, v in postings.items()}
        self.idf = {k: math.log(total / (len(v) + 0.5)) for k, v in self.postings.items()}

    def search(self, name: str) -> list[EntityProxy]:
        scores: dict[int, float] = defaultdict(float)
        keys: dict[str, float] = {}
        for tok in tokens(name):
            keys[f"t:{tok}"] = 1.0
            for gram in grams(tok):
                keys[f"g:{gram}"] = 0.2
        for key, boost in keys.items():
            for number in self.postings.get(key, ()):
                scores[number] += boost * self.idf[key]
        best = sorted(scores.items(), key=lambda kv: -kv[1])[:CANDIDATES]
        return [self.entities[n] for n, _ in best]


def main() -> int:
    entities_path, queries_path, pairs_path, out_path = sys.argv[1:5]
    algorithm = get_algorithm("logic-v2")
    assert algorithm is not None
    config = ScoringConfig.defaults()
    entities = []
    with open(entities_path, encoding="utf-8") as fh:
        for line in fh:
            entities.append(EntityProxy.from_dict(json.loads(line)))
    start = time.perf_counter()
    retrieval = Retrieval(entities)
    build = time.perf_counter() - start
    with open(out_path, "w", encoding="utf-8") as out:
        out.write(json.dumps({"kind": "meta", "build_seconds": build, "entities": len(entities)}) + "\n")
        rows = list(csv.DictReader(open(queries_path, encoding="utf-8")))
        start = time.perf_counter()
        for row in rows:
            t0 = time.perf_counter()
            query = model.make_entity(row["schema"] or "LegalEntity")
            query.id = row["id"]
            query.add("name", row["name"])
            if row["country"]:
                query.add("country", row["country"])
            hits = []
            for cand in retrieval.search(row["name"]):
                if not query.schema.can_match(cand.schema):
                    continue
                result = algorithm.compare(query, cand, config)
                hits.append((result.score, cand.id))
            hits.sort(key=lambda h: -h[0])
            out.write(json.dumps({"kind": "query", "id": row["id"], "seconds": time.perf_counter() - t0,
                                  "hits": [{"id": i, "score": s} for s, i in hits[:5]]}) + "\n")
        out.write(json.dumps({"kind": "queries_done", "seconds": time.perf_counter() - start}) + "\n")
        checks = (yaml.safe_load(open(pairs_path, encoding="utf-8")) or {}).get("checks", [])
        for number, check in enumerate(checks):
            try:
                left = model.make_entity(check["schema"])
                right = model.make_entity(check["schema"])
                left.id, right.id = "q", "c"
                for entity, props in ((left, check["query"]), (right, check["candidate"])):
                    for prop, values in props.items():
                        entity.add(prop, values)
                score = algorithm.compare(left, right, config).score
            except Exception as exc:  # a pair the reference cannot read is reported, not fatal
                out.write(json.dumps({"kind": "pair", "n": number, "error": str(exc)}) + "\n")
                continue
            out.write(json.dumps({"kind": "pair", "n": number, "score": score}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
