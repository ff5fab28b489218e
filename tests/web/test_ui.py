"""The web UI over HTTP: sign-in and sessions, CSRF, roles, escaping, the CSP, JSON twins, the queue,
deciding, screening a file, and the reconciliation API from the specification's examples."""

import csv
import json
import re
import time
from pathlib import Path
from typing import Any

from tests.web.conftest import sign_in


def vendors(path: Path, rows: list[list[str]] | None = None) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["vendor id", "name", "country", "transaction date"])
        writer.writerows(rows or [["V1", "Hangzhou Hikvision Digital Technology Co Ltd", "CN", "2024-01-01"],
                                  ["V2", "EZVIZ", "CN", "2025-01-10"], ["V3", "Acme Bolts Ltd", "US", "2024-01-01"],
                                  ["<script>alert(1)</script>", "Huawei Technologies Co Ltd", "CN", ""]])
    return path


def screen(client: Any, csrf: str, path: Path) -> dict[str, Any]:
    """Upload, accept the proposed mapping, wait for the run; the job's JSON twin."""
    upload = client.post("/ui/screen", data={"csrf": csrf}, files={"file": (path.name, path.read_bytes(), "text/csv")})
    assert upload.status_code == 200, upload.text
    token = re.search(r'name="token" value="([^"]+)"', upload.text).group(1)
    chosen = dict(re.findall(r'name="(\w+)"(?: required)?>\s*<option value="">[^<]*</option>(?:\s*<option value="[^"]*">[^<]*</option>)*?'
                             r'\s*<option value="([^"]+)" selected>', upload.text))
    started = client.post("/ui/screen/start", data={"csrf": csrf, "token": token, **chosen}, follow_redirects=False)
    assert started.status_code == 303, started.text
    job = started.headers["location"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = client.get(job + ".json").json()
        if state["job"]["status"] in ("done", "failed"):
            return state
        time.sleep(0.3)
    raise AssertionError("the screening job did not finish")


def test_pages_need_a_session_and_sign_in_sets_a_safe_cookie(ui: Any) -> None:
    client, keys, _store = ui
    away = client.get("/ui/alerts?status=open", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"].startswith("/ui/login?next=%2Fui%2Falerts%3Fstatus%3Dopen")
    wrong = client.post("/ui/login", data={"api_key": "rf_nope_nope"})
    assert wrong.status_code == 401 and "not a valid API key" in wrong.text
    done = client.post("/ui/login", data={"api_key": keys["viewer"], "next": "/ui/alerts?status=open"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/ui/alerts?status=open"
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain HTTP here
    assert keys["viewer"] not in cookie
    elsewhere = client.post("/ui/login", data={"api_key": keys["viewer"], "next": "https://evil.example/"},
                            follow_redirects=False)
    assert elsewhere.headers["location"] == "/ui/alerts"


def test_every_page_has_a_strict_csp_and_a_json_twin(ui: Any) -> None:
    client, keys, _store = ui
    sign_in(client, keys["analyst"])
    for path in ("/ui/search?q=Hikvision", "/ui/alerts", "/ui/lists", "/ui/audit", "/ui/portfolios", "/ui/screen",
                 "/ui/scan"):
        page = client.get(path)
        assert page.status_code == 200, (path, page.text)
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert "<script>" not in page.text and " style=" not in page.text and "http://" not in page.text.split("</head>")[0]
    twin = client.get("/ui/search.json?q=Hikvision").json()
    assert twin["hits"][0]["caption"].upper().startswith("HANGZHOU HIKVISION") and twin["hits"][0]["record"]
    asked = client.get("/ui/search?q=EZVIZ", headers={"Accept": "application/json"}).json()
    assert [h["kind"] for h in asked["hits"] if h["match"]] == ["linked", "linked"]
    assert client.get("/ui/lists.json").json()["datasets"][0]["dataset"] == "us_csl"


def test_a_revoked_key_or_an_expired_session_signs_out(ui: Any) -> None:
    from redflags.web import session

    client, keys, store = ui
    sign_in(client, keys["viewer"])
    assert client.get("/ui/alerts").status_code == 200
    store.revoke_key(keys["viewer"].split("_")[1])
    time.sleep(5.1)  # the key cache's lifetime
    gone = client.get("/ui/alerts", follow_redirects=False)
    assert gone.status_code == 303 and "why=revoked" in gone.headers["location"]
    value, _ = session.issue(keys["analyst"].split("_")[1], minutes=-1)
    client.cookies.clear()
    client.cookies.set(session.COOKIE, value)
    old = client.get("/ui/alerts", follow_redirects=False)
    assert old.status_code == 303 and "why=expired" in old.headers["location"]
    client.cookies.clear()
    fresh, _ = session.issue(keys["analyst"].split("_")[1])
    client.cookies.set(session.COOKIE, fresh.replace(".", "x."))  # a forged signature
    assert "why=expired" in client.get("/ui/alerts", follow_redirects=False).headers["location"]
    client.cookies.clear()
    client.cookies.set(session.COOKIE, fresh)
    assert client.get("/ui/alerts").status_code == 200


def test_forms_need_the_csrf_token_and_the_role(ui: Any, tmp_path: Path) -> None:
    client, keys, store = ui
    csrf = sign_in(client, keys["analyst"])
    state = screen(client, csrf, vendors(tmp_path / "vendors.csv"))
    assert state["job"]["status"] == "done" and state["progress"]["counts"]["alert"] == 2
    assert state["progress"]["counts"]["linked"] == 1
    alerts = client.get("/ui/alerts.json").json()["alerts"]
    first = alerts[0]["id"]
    forged = client.post(f"/ui/alerts/{first}/decide", data={"decision": "false_positive", "reason": "other"})
    assert forged.status_code == 403 and "CSRF" in forged.text
    assert client.get(f"/ui/alerts/{first}.json").json()["alert"]["status"] == "open"
    client.post("/ui/logout", data={"csrf": csrf})
    viewer_csrf = sign_in(client, keys["viewer"])
    refused = client.post(f"/ui/alerts/{first}/decide", data={"csrf": viewer_csrf, "decision": "false_positive",
                                                               "reason": "other"})
    assert refused.status_code == 403 and "needs the analyst role" in refused.text
    assert client.get("/ui/screen").status_code == 403


def test_a_hostile_name_is_shown_as_text(ui: Any, tmp_path: Path) -> None:
    client, keys, _store = ui
    csrf = sign_in(client, keys["analyst"])
    screen(client, csrf, vendors(tmp_path / "vendors.csv"))
    queue = client.get("/ui/alerts").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in queue and "<script>alert(1)" not in queue
    hostile = next(a for a in client.get("/ui/alerts.json").json()["alerts"] if "<script>" in a["party"]["key"])
    page = client.get(f"/ui/alerts/{hostile['id']}").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    found = client.get("/ui/search", params={"q": "<img src=x onerror=alert(1)>"}).text
    assert "<img src=x" not in found and "&lt;img src=x onerror=alert(1)&gt;" in found


def test_the_queue_filters_sorts_pages_assigns_and_decides_in_bulk(ui: Any, tmp_path: Path) -> None:
    client, keys, store = ui
    csrf = sign_in(client, keys["analyst"])
    rows = [[f"V{n}", "Hikvision Digital Technology" if n % 2 else "Dahua Technology", "CN", ""] for n in range(1, 61)]
    screen(client, csrf, vendors(tmp_path / "many.csv", rows))
    first = client.get("/ui/alerts.json").json()
    assert len(first["alerts"]) == 50 and first["next"]
    rest = client.get("/ui/alerts.json" + first["next"]).json()
    ids = [a["id"] for a in first["alerts"] + rest["alerts"]]
    # 30 Hikvision rows (on the Entity List and NS-CMIC: two alerts each), 30 Dahua rows
    assert len(ids) == len(set(ids)) == 90 and ids == sorted(ids, reverse=True) and rest["next"] is None
    dahua = client.get("/ui/alerts.json?lists=Entity+List&kind=direct&sort=score").json()["alerts"]
    assert dahua and all("Entity List" in a["lists"] for a in dahua)
    scores = [a["score"] for a in dahua]
    assert scores == sorted(scores, reverse=True)
    only_dahua = [a["id"] for a in client.get("/ui/alerts.json?max_score=1&min_score=0").json()["alerts"]
                  if "Dahua" in a["caption"]][:3]
    assigned = client.post("/ui/alerts/assign", data={"csrf": csrf, "assignee": "bob", "alert": only_dahua,
                                                      "back": "/ui/alerts"}, follow_redirects=False)
    assert assigned.status_code == 303
    mine = client.get("/ui/alerts.json?assignee=bob").json()["alerts"]
    assert sorted(a["id"] for a in mine) == sorted(only_dahua)
    bulk = client.post("/ui/alerts/bulk", data={"csrf": csrf, "decision": "false_positive",
                                                "reason": "different_entity", "comment": "our camera reseller",
                                                "alert": only_dahua}, follow_redirects=False)
    assert bulk.status_code == 303
    for alert_id in only_dahua:  # one decision per alert, each in the audit log
        detail = client.get(f"/ui/alerts/{alert_id}.json").json()["alert"]
        assert detail["status"] == "false_positive" and len(detail["decisions"]) == 1
    audit = client.get("/ui/audit.json").json()
    decided = [e for e in audit["entries"] if e["action"] == "alert.decided"]
    assert len(decided) == 3 and len([e for e in audit["entries"] if e["action"] == "alert.assigned"]) == 3
    assert client.get("/ui/audit.json?verify=true").json()["verify"]["ok"]
    exported = client.get("/ui/audit/export?format=jsonl")
    assert exported.headers["content-disposition"].endswith('redflags-audit.jsonl"')
    assert sum(json.loads(line)["action"] == "alert.decided" for line in exported.text.splitlines()) == 3
    one = client.get("/ui/alerts.json?listed=us_csl-lk-dahua-el").json()["alerts"]
    assert one and {a["listed_id"] for a in one} == {"us_csl-lk-dahua-el"}


def test_lists_show_versions_any_two_version_diff_and_issues(ui: Any, tmp_path: Path) -> None:
    from redflags import ingest

    client, keys, store = ui
    sign_in(client, keys["viewer"])
    changed = tmp_path / "csl.csv"
    text = (Path(__file__).parent.parent / "fixtures" / "links" / "csl.csv").read_text(encoding="utf-8")
    changed.write_text(text.replace("Acme Proliferation Trading LLC", "Acme Proliferation Trading FZE"), encoding="utf-8")
    ingest.load(store, [changed], force=True)
    datasets = client.get("/ui/lists.json").json()["datasets"]
    versions = [v["version"] for v in datasets[0]["versions"]]
    assert len(versions) == 2
    diff = client.get(f"/ui/lists/us_csl/diff.json?a={min(versions)}&b={max(versions)}").json()
    assert diff["modified"] == 1 and diff["changes"]["modified"][0]["caption"] == "Acme Proliferation Trading FZE"
    back = client.get(f"/ui/lists/us_csl/diff.json?a={max(versions)}&b={min(versions)}").json()
    assert back["modified"] == 1
    assert client.get(f"/ui/lists/versions/{max(versions)}/issues").status_code == 200


# --- OpenRefine reconciliation, from the specification's examples -------------------------------


def test_the_reconciliation_manifest(ui: Any) -> None:
    client, keys, _store = ui
    assert client.get("/reconcile").status_code == 401
    manifest = client.get(f"/reconcile?api_key={keys['viewer']}").json()
    assert manifest["versions"] and manifest["identifierSpace"].endswith("/entities/")
    assert {"id": "Company", "name": "Company"} in manifest["defaultTypes"]
    assert manifest["preview"]["url"].endswith(f"&api_key={keys['viewer']}") and "{{id}}" in manifest["preview"]["url"]
    assert manifest["suggest"]["entity"]["service_path"] == f"/reconcile/suggest/entity?api_key={keys['viewer']}"
    assert manifest["extend"]["propose_properties"]["service_path"].startswith("/reconcile/extend/propose")


def test_reconciliation_queries_as_openrefine_sends_them(ui: Any) -> None:
    client, keys, _store = ui
    auth = {"Authorization": f"Bearer {keys['analyst']}"}
    queries = {"q0": {"query": "Hangzhou Hikvision Digital Technology", "type": "Company", "limit": 3,
                      "properties": [{"pid": "country", "v": "cn"}], "type_strict": "should"},
               "q1": {"query": "EZVIZ"}, "q2": {"query": "Acme Bolts and Nuts"}}
    answer = client.post("/reconcile", data={"queries": json.dumps(queries)}, headers=auth)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"q0", "q1", "q2"}
    best = body["q0"]["result"][0]
    assert set(best) >= {"id", "name", "score", "match", "type"} and best["match"] is True
    assert 90 <= best["score"] <= 100 and best["type"][0]["id"] in ("LegalEntity", "Organization", "Company")
    assert body["q1"]["result"] and body["q1"]["result"][0]["description"].startswith("linked: EZVIZ")
    assert all(not r["match"] for r in body["q2"]["result"])
    viewer = client.post(f"/reconcile?api_key={keys['viewer']}", data={"queries": json.dumps(queries)})
    assert viewer.status_code == 403
    draft = client.post("/reconcile", json={"queries": [{"query": "Dahua Technology", "type": "Company"}]}, headers=auth)
    assert draft.json()["results"][0]["candidates"][0]["name"] == "Dahua Technology"
    bad = client.post("/reconcile", data={"queries": "{not json"}, headers=auth)
    assert bad.status_code == 400 and "not JSON" in bad.text


def test_reconciliation_preview_suggest_and_extension(ui: Any) -> None:
    client, keys, _store = ui
    auth = {"Authorization": f"Bearer {keys['analyst']}"}
    hit = client.post("/reconcile", data={"queries": json.dumps({"q0": {"query": "Dahua Technology"}})},
                      headers=auth).json()["q0"]["result"][0]
    preview = client.get(f"/reconcile/preview?id={hit['id']}", headers=auth)
    assert preview.status_code == 200 and "Dahua Technology" in preview.text and "Entity List" in preview.text
    suggested = client.get("/reconcile/suggest/entity?prefix=Hikvision", headers=auth).json()["result"]
    assert suggested and "Hikvision" in suggested[0]["name"].title()
    assert client.get("/reconcile/suggest/type?prefix=comp", headers=auth).json()["result"] == [
        {"id": "Company", "name": "Company"}]
    proposed = client.get("/reconcile/extend/propose?type=Company", headers=auth).json()
    assert {"id": "lists", "name": "Lists"} in proposed["properties"]
    extend = {"ids": [hit["id"]], "properties": [{"id": "lists"}, {"id": "country"}, {"id": "linked"}]}
    rows = client.post("/reconcile", data={"extend": json.dumps(extend)}, headers=auth).json()
    assert rows["meta"][0] == {"id": "lists", "name": "Lists"}
    assert rows["rows"][hit["id"]]["lists"] == [{"str": "Entity List"}]
    assert {"str": "Lorex"} in rows["rows"][hit["id"]]["linked"] or rows["rows"][hit["id"]]["linked"] == []


def test_an_alert_that_needs_review_shows_what_changed(ui: Any, tmp_path: Path) -> None:
    from redflags import ingest

    client, keys, store = ui
    csrf = sign_in(client, keys["analyst"])
    rows = [["V1", "Dahua Technology", "CN", ""]]
    screen(client, csrf, vendors(tmp_path / "v.csv", rows))
    alert = client.get("/ui/alerts.json").json()["alerts"][0]
    decided = client.post(f"/ui/alerts/{alert['id']}/decide", data={
        "csrf": csrf, "decision": "false_positive", "reason": "different_entity", "version": alert["version"]},
        follow_redirects=False)
    assert decided.status_code == 303
    changed = tmp_path / "csl.csv"
    text = (Path(__file__).parent.parent / "fixtures" / "links" / "csl.csv").read_text(encoding="utf-8")
    changed.write_text(text.replace("No. 1199 Bin'an Road", "No. 1187 Bin'an Road"), encoding="utf-8")
    ingest.load(store, [changed], force=True)
    state = screen(client, csrf, vendors(tmp_path / "v.csv", rows))
    assert state["progress"]["counts"]["review_required"] == 1
    page = client.get(f"/ui/alerts/{alert['id']}").text
    assert "What changed since the last decision" in page and "No. 1187 Bin&#39;an Road" in page
    again = client.get(f"/ui/alerts/{alert['id']}.json").json()["alert"]
    assert again["status"] == "review_required" and again["changes"][0]["side"] == "listed"


def test_an_upload_left_at_the_mapping_step_is_removed_a_day_later(ui: Any, tmp_path: Path) -> None:
    import os

    from redflags.web.screening import _staging

    client, keys, _store = ui
    csrf = sign_in(client, keys["analyst"])
    first = client.post("/ui/screen", data={"csrf": csrf}, files={"file": ("a.csv", b"name\nAcme\n", "text/csv")})
    assert first.status_code == 200
    (left,) = list(_staging().iterdir())
    os.utime(left, (time.time() - 25 * 3600, time.time() - 25 * 3600))
    client.post("/ui/screen", data={"csrf": csrf}, files={"file": ("b.csv", b"name\nAcme\n", "text/csv")})
    assert not left.exists() and len(list(_staging().iterdir())) == 1
    gone = client.post("/ui/screen/start", data={"csrf": csrf, "token": left.name, "name": "name"})
    assert gone.status_code == 404 and "upload the file again" in gone.text


def test_every_alert_a_filter_selects_is_decided_after_a_count(ui: Any, tmp_path: Path) -> None:
    """Clear every alert on one listed party for parties in another country: across pages, one
    decision per alert, and only once confirmed."""
    client, keys, _store = ui
    csrf = sign_in(client, keys["analyst"])
    rows = [[f"V{n}", "Dahua Technology", "United States" if n % 3 else "China", ""] for n in range(1, 91)]
    screen(client, csrf, vendors(tmp_path / "dahua.csv", rows))
    form = {"csrf": csrf, "listed": "us_csl-lk-dahua-el", "outside_country": "CN", "decision": "false_positive",
            "reason": "different_country", "comment": "US resellers"}
    counted = client.post("/ui/alerts/bulk-filter", data=form)
    assert counted.status_code == 200 and "<strong>60</strong> alerts match" in counted.text
    assert all(a["status"] == "open" for a in client.get("/ui/alerts.json?listed=us_csl-lk-dahua-el").json()["alerts"])
    done = client.post("/ui/alerts/bulk-filter", data={**form, "confirm": "yes"}, follow_redirects=False)
    assert done.status_code == 303
    first = client.get("/ui/alerts.json?status=false_positive").json()["alerts"]
    more = client.get(f"/ui/alerts.json?status=false_positive&before={first[-1]['id']}").json()["alerts"]
    assert len(first) + len(more) == 60
    rest = client.get("/ui/alerts.json?status=open").json()["alerts"]
    assert len(rest) == 30 and all(int(a["party"]["key"].rsplit("V", 1)[1]) % 3 == 0 for a in rest)  # China
    audit = client.get("/ui/audit/export?format=jsonl").text
    assert sum('"alert.decided"' in line for line in audit.splitlines()) == 60


def test_next_and_previous_follow_the_queue_the_alert_was_opened_from(ui: Any, tmp_path: Path) -> None:
    from urllib.parse import quote

    client, keys, _store = ui
    csrf = sign_in(client, keys["analyst"])
    rows = [[f"V{n}", "Dahua Technology" if n % 2 else "Huawei Technologies Co Ltd", "CN", ""] for n in range(1, 9)]
    screen(client, csrf, vendors(tmp_path / "mixed.csv", rows))
    queue = "?listed=us_csl-lk-dahua-el"
    dahua = [a["id"] for a in client.get(f"/ui/alerts.json{queue}").json()["alerts"]]
    assert len(dahua) == 4
    middle = client.get(f"/ui/alerts/{dahua[1]}.json?back={quote(queue)}").json()
    assert (middle["previous_id"], middle["next_id"]) == (dahua[0], dahua[2])  # newest first, Dahua only
    everything = client.get(f"/ui/alerts/{dahua[1]}.json").json()
    assert everything["next_id"] == dahua[1] - 1  # without a queue: every alert
    odd = client.get(f"/ui/alerts/{dahua[1]}.json?back={quote('?status=nonsense')}")
    assert odd.status_code == 200 and odd.json()["next_id"] is None


def test_a_screening_job_is_seen_only_by_its_key(ui: Any, tmp_path: Path) -> None:
    client, keys, _store = ui
    csrf = sign_in(client, keys["analyst"])
    state = screen(client, csrf, vendors(tmp_path / "v.csv"))
    job = state["job"]["id"]
    assert client.get(f"/ui/screen/jobs/{job}/results?format=csv").status_code == 200
    client.post("/ui/logout", data={"csrf": csrf})
    sign_in(client, keys["analyst2"])
    for path in (f"/ui/screen/jobs/{job}", f"/ui/screen/jobs/{job}/progress", f"/ui/screen/jobs/{job}/results",
                 "/ui/screen/jobs/a%2Eb", "/ui/screen/jobs/nosuchjob"):
        assert client.get(path).status_code == 404, path
