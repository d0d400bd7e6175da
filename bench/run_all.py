"""Run every benchmark of issue 9 and write bench/RESULTS.md: `make bench`, or

    .venv/bin/python -m bench.run_all [--quick] [--items 1,2,3,4,5] [--rebuild] [--no-national]

--quick tries the harness in a few minutes on the small data sets (written to
bench/.cache/RESULTS-quick.md, so the real results are never overwritten by a trial). The full run
builds any data set it lacks first (the national one takes about 20 minutes; they are kept in
bench/.cache/datasets.json and reused; --rebuild makes them again).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import dashboards, import_export, load, taking
from bench.common import BENCH, CACHE, dataset, fmt, forget_datasets, git_revision, log, machine, postgres_reachable

RESULTS = BENCH / "RESULTS.md"


def build_datasets(quick: bool, national: bool, rebuild: bool) -> list:
    wanted = [("sqlite", "small"), ("postgresql", "small")]
    if not quick:
        wanted += [("sqlite", "trust"), ("postgresql", "trust")] + ([("postgresql", "national")] if national else [])
    if not postgres_reachable():
        raise SystemExit("PostgreSQL is not reachable at BENCH_POSTGRES_URL; the benchmarks need it")
    return [dataset(backend, size, rebuild=rebuild) for backend, size in wanted]


def _command() -> str:
    return " ".join(["python -m bench.run_all", *sys.argv[1:]])


def _loadavg() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def run(args, previous: dict | None = None) -> dict:
    """Measure the items asked for; with `previous`, keep its other items (a partial re-run)."""
    items = {int(i) for i in args.items.split(",")}
    if 1 in items and shutil.which("wrk") is None:
        raise SystemExit("item 1 needs wrk: apt-get install -y wrk (or leave it out: --items 2,3,4,5)")
    started = time.perf_counter()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if previous is not None:
        results = previous
        which = f"item{'s' if ',' in args.items else ''} {args.items}"
        results.setdefault("remeasured", []).append(f"{which} measured again at {now} (`{_command()}`)")
    else:
        results = {"date": now, "quick": args.quick, "revision": git_revision(), "machine": machine(),
                   "command": _command(), "loadavg": {}}
    data = build_datasets(args.quick, not args.no_national, args.rebuild)
    results["datasets"] = [{"label": d.label, "backend": d.backend, "size": d.size,
                            **{k: v for k, v in d.info.items() if k not in ("takers", "api_token")}} for d in data]
    sizes = ["small"] if args.quick else ["small", "trust"] + ([] if args.no_national else ["national"])
    taking_size = "small" if args.quick else "trust"
    loadavg = results.setdefault("loadavg", {})
    if items & {2, 3}:
        loadavg["2, 3"] = _loadavg()
        log("items 2 and 3: dashboards and statements per page")
        results["dashboards"] = dashboards.run(sizes, ["sqlite", "postgresql"], 10 if args.quick else 50,
                                               explain=not args.quick)
    if 5 in items:
        loadavg["5"] = _loadavg()
        log("item 5: staff import and records export")
        results["import_export"] = import_export.run(
            ["sqlite", "postgresql"], 10_000 if args.quick else 100_000, 1 if args.quick else 3,
            "small" if args.quick else ("trust" if args.no_national else "national"))
    if 1 in items:
        loadavg["1"] = _loadavg()
        log("item 1: taking training under gunicorn")
        result = taking.run(dataset("postgresql", taking_size), workers=args.workers, rounds=2 if args.quick else 5,
                            seconds=3 if args.quick else 20)
        result["dataset"] = f"{taking_size} on PostgreSQL"
        results["taking"] = result
    if 4 in items:
        if "load" in results:  # a re-run: say what the run it replaces measured
            old = results["load"]
            results.setdefault("remeasured", []).append(
                f"item 4 before that: p99 {old['p99_ms']:.0f} ms (p50 {old['p50_ms']:.0f}, p95 {old['p95_ms']:.0f}), "
                f"{old['errors']} errors, {old['lost']} lost answers in {old['requests']:,} requests, load average "
                f"{results.get('loadavg', {}).get('4', 'not recorded')}")
        loadavg["4"] = _loadavg()
        log("item 4: 100 staff at once")
        result = load.run(taking_size, 20 if args.quick else 100, 10 if args.quick else 60, args.workers,
                          load.parse_think(args.think))
        result["checks"] = load.checks(result)
        results["load"] = result
    loadavg["end"] = _loadavg()
    results["elapsed_min"] = results.get("elapsed_min", 0) + (time.perf_counter() - started) / 60
    return results


# --- RESULTS.md ----------------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *["| " + " | ".join(str(c) for c in row) + " |" for row in rows]]


def _shares(profile: dict) -> str:
    return ", ".join(f"{owner} {share * 100:.0f}%" for owner, share in profile.get("self_time_share", {}).items())


def _functions(profile: dict, top: int = 6) -> list[str]:
    return [f"    - `{name}`: {ms:.1f} ms" for name, ms in profile.get("project_functions_ms", [])[:top]]


def all_checks(results: dict) -> list[dict]:
    found = []
    if "taking" in results:
        s = results["taking"]["summary"]
        found.append({"item": 1, "what": f"scenario page: {s['page_ratio']:.2f} of the bare route's throughput "
                                         f"(worst round {s['page_ratio_worst']:.2f}; target at least {taking.TARGET_RATIO})",
                      "met": s["page_ratio_worst"] >= taking.TARGET_RATIO})
        found.append({"item": 1, "what": f"answer submission: {s['answer_ratio']:.2f} of the bare route's throughput "
                                         f"(worst round {s['answer_ratio_worst']:.2f}; target at least {taking.TARGET_RATIO})",
                      "met": s["answer_ratio_worst"] >= taking.TARGET_RATIO})
        if results["taking"]["problems"]:
            found.append({"item": 1, "what": "measurement valid: " + "; ".join(results["taking"]["problems"]),
                          "met": False})
    if "dashboards" in results:
        found += results["dashboards"]["checks"]
    if "load" in results:
        found += results["load"]["checks"]
    if "import_export" in results:
        found += results["import_export"]["checks"]
    return sorted(found, key=lambda c: c["item"])


def _compact(checks: list[dict]) -> list[dict]:
    """Item 3's checks, one per page and backend, as one line per backend when all are met."""
    out, statements = [], {}
    for check in checks:
        if check["item"] == 3 and check["met"]:
            label, _, rest = check["what"].partition(", ")
            backend, _, counts = rest.partition(": statements ")
            statements.setdefault(backend, []).append(f"{label} {counts.split()[1].rstrip(',')}")
            sizes = ", ".join(counts.split()[0::2])
            statements[backend + " sizes"] = sizes
        else:
            out.append(check)
    for backend in ("sqlite", "postgresql"):
        if backend in statements:
            out.append({"item": 3, "met": True, "what": f"{backend}: each page sends the same number of statements at "
                        f"every size ({statements[backend + ' sizes']}): " + "; ".join(statements[backend])})
    return sorted(out, key=lambda c: c["item"])


def write_results(results: dict, path: Path) -> None:
    m = results["machine"]
    out = [
        "# Benchmarks: performance at trust and national scale (issue 9)",
        "",
        f"Measured {results['date']} on revision `{results['revision']}` by `{results['command']}` "
        f"in {results['elapsed_min']:.0f} minutes"
        + (" (QUICK MODE: small data sets only, short runs)." if results["quick"] else "."),
        "",
        "## How to rerun",
        "",
        "```sh",
        "apt-get install -y wrk            # the load generator of item 1 (Debian); PostgreSQL must answer on 127.0.0.1:5432",
        ".venv/bin/pip install -r bench/requirements.txt",
        "make bench                        # = .venv/bin/python -m bench.run_all: everything, then this file",
        ".venv/bin/python -m bench.run_all --quick                   # try the harness in minutes (small sizes)",
        ".venv/bin/python -m bench.taking --size trust --workers 5    # item 1 alone",
        ".venv/bin/python -m bench.dashboards --sizes small,trust --explain   # items 2 and 3",
        ".venv/bin/python -m bench.load --clients 100 --seconds 60   # item 4",
        ".venv/bin/python -m bench.import_export --rows 100000      # item 5",
        "```",
        "",
        "bench/README.md says what each measures and how. Data sets are built once with "
        "`flask demo generate --size …` and reused (bench/.cache/datasets.json; `--rebuild` makes them again).",
        "",
        "## Machine and versions",
        "",
        *_table(["", ""], [[k, v] for k, v in m.items()]),
        "",
        "Other work was running on the machine during the run: absolute figures are noisy; ratios taken "
        "within one round are the steadier figures."
        + (" Load average (1, 5, 15 min) as each item began: "
           + "; ".join(f"item {k}: {v}" for k, v in results["loadavg"].items() if k != "end")
           + f"; at the end: {results['loadavg'].get('end', '?')}." if results.get("loadavg") else ""),
        "",
        *[f"Note: {note}." for note in results.get("remeasured", [])],
        *([""] if results.get("remeasured") else []),
        "## Data sets",
        "",
        *_table(["data set", "units", "people", "module records", "attempts", "answers", "built by", "build time"],
                [[d["label"], f"{d.get('units', 0):,}", f"{d.get('people', 0):,}", f"{d.get('module_progress', 0):,}",
                  f"{d.get('attempts', 0):,}", f"{d.get('answers', 0):,}", f"`{d.get('how', '')}`",
                  f"{d.get('built_in_s', 0):.0f} s"] for d in results["datasets"]]),
        "",
        "## Targets",
        "",
        *_table(["item", "measured against the target", "met"],
                [[c["item"], c["what"], "yes" if c["met"] else "**NO**"] for c in _compact(all_checks(results))]),
        "",
    ]
    out += _taking_section(results.get("taking"))
    out += _dashboards_section(results.get("dashboards"))
    out += _load_section(results.get("load"))
    out += _import_export_section(results.get("import_export"))
    out += _missed_section(results)
    path.write_text("\n".join(out) + "\n")


def _taking_section(t: dict | None) -> list[str]:
    if not t:
        return []
    s = t["summary"]
    rows = [[i + 1, f"{r['bare']['rps']:.0f}", f"{r['page']['rps']:.0f}", f"{r['page_ratio']:.2f}",
             f"{r['answer']['rps']:.0f}", f"{r['answer_ratio']:.2f}"] for i, r in enumerate(t["rounds"])]
    lat = s["latency_ms"]
    return [
        "## 1. Taking training under gunicorn",
        "",
        f"{t['dataset']}; gunicorn with the production gunicorn.conf.py, {t['workers']} sync workers (worker recycling "
        f"off during the measurement), JSON request logging on as in production; wrk with one thread and "
        f"{t['connections']} keep-alive connections, {t['seconds']:g} s per measurement, bare route, scenario page "
        "and answer submission measured in turn in each round. The bare route is `GET /_bench/bare` "
        "(bench/benchapp.py) with the same signed-in session cookie: every hook of the app runs, the view returns "
        "a constant. The page is the unanswered first scenario of an attempt (its answer form); each answer is a "
        "real POST of a new answer to a different scenario (verdict, clause, sure, CSRF token).",
        "",
        *_table(["round", "bare route (req/s)", "scenario page (req/s)", "page / bare", "answer POST (req/s)",
                 "answer / bare"], rows),
        "",
        f"Median over {len(t['rounds'])} rounds: page / bare **{s['page_ratio']:.2f}**, answer / bare "
        f"**{s['answer_ratio']:.2f}** (target at least {taking.TARGET_RATIO}).",
        "",
        f"Latency under that load (median of the rounds' figures, ms): bare p50 {fmt(lat['bare']['p50'])} / p95 "
        f"{fmt(lat['bare']['p95'])}; page p50 {fmt(lat['page']['p50'])} / p95 {fmt(lat['page']['p95'])}; answer p50 "
        f"{fmt(lat['answer']['p50'])} / p95 {fmt(lat['answer']['p95'])}.",
        "",
        f"Every answer POST acknowledged with a redirect was stored: {t['acknowledged']:,} acknowledged, "
        f"{t['stored']:,} stored (requests still in flight when wrk stops are stored but not counted by it)."
        + (" Problems: " + "; ".join(t["problems"]) if t["problems"] else ""),
        "",
    ]


def _dashboards_section(d: dict | None) -> list[str]:
    if not d:
        return []
    labels = [p["label"] for p in d["runs"][0]["pages"]]
    runs = d["runs"]
    header = ["page"] + [r["dataset"] for r in runs]
    def cell(p: dict) -> str:
        fewer = f" (n={p['requests']})" if p["requests"] < d["requests"] else ""
        return f"{p['p50_ms']:,.0f} / {p['p95_ms']:,.0f}{fewer}"

    timing = [[label] + [next(cell(p) for p in r["pages"] if p["label"] == label) for r in runs] for label in labels]
    counts = [[label] + [next(str(p["statements"]) for p in r["pages"] if p["label"] == label) for r in runs]
              for label in labels]
    paths = ", ".join(f"`{p['path']}`" for p in runs[0]["pages"])
    return [
        "## 2. Dashboards and the API at each size",
        "",
        f"In-process through the Flask test client (the whole WSGI app, its hooks, views, templates and audit writes; "
        f"no socket, no gunicorn): each page 5 times to warm up, then {d['requests']} timed requests one after "
        f"another (a page that takes seconds: one warm-up, then at least 10 and only until it has taken a minute; "
        f"n given). The trust lead sees the whole trust; the headteacher is the head of the largest school "
        f"(people per data set: " + ", ".join(f"{r['dataset']} {r['info'].get('headteacher_unit_people', '?')}"
                                              for r in runs) + f"); the API is called with the trust lead's token. "
        f"Pages: {paths}.",
        "",
        "p50 / p95 in ms:",
        "",
        *_table(header, timing),
        "",
        "## 3. SQL statements per page",
        "",
        "Statements sent for one request of each page (SQLAlchemy `before_cursor_execute`, as tests/sqlcount.py), "
        "after the warm-up:",
        "",
        *_table(header, counts),
        "",
    ]


def _load_section(r: dict | None) -> list[str]:
    if not r:
        return []
    routes = [[route, v["requests"], fmt(v["p50_ms"], 0), fmt(v["p95_ms"], 0), fmt(v["p99_ms"], 0)]
              for route, v in r["routes"].items()]
    return [
        "## 4. Staff taking modules at once",
        "",
        f"{r['clients']} simulated staff ({r['signed_in']} signed in before the clock started) for {r['seconds']:g} s "
        f"against {r['dataset']}, gunicorn with {r['workers']} workers; each pauses {r['think'][0]:g}–{r['think'][1]:g} s "
        "(uniformly at random) before each step, as a person reading a post before answering would, only several "
        "times faster. Clients are bench/kill_worker.py's `Trainee`s (nothing is killed here), in threads of one "
        f"process that used {r['client_cpu_s']:.1f} s of CPU in the window.",
        "",
        *_table(["", ""], [
            ["requests (req/s)", f"{r['requests']:,} ({r['rps']:.0f}/s)"],
            ["latency p50 / p95 / p99 / max", f"{fmt(r['p50_ms'], 0)} / {fmt(r['p95_ms'], 0)} / "
                                              f"**{fmt(r['p99_ms'], 0)}** / {fmt(r['max_ms'], 0)} ms"],
            ["errors (connection, 5xx, other 4xx, answers refused)",
             f"**{r['errors']}** ({r['dropped']}, {r['server_errors']}, {r['client_errors']}, {r['refused']})"],
            ["answers sent / acknowledged", f"{r['answers_sent']:,} / {r['acknowledged']:,}"],
            ["acknowledged but not stored as sent / duplicates", f"**{r['lost']}** / {r['duplicates']}"],
            ["finishes acknowledged (each scored from its stored answers)", f"{r['finished']:,}"],
        ]),
        "",
        "By page (ms):",
        "",
        *_table(["request", "count", "p50", "p95", "p99"], routes),
        "",
        *([f"Errors seen: {', '.join(r['dropped_samples'] + r['client_error_samples'])}", ""]
          if r["dropped_samples"] or r["client_error_samples"] else []),
    ]


def _import_export_section(x: dict | None) -> list[str]:
    if not x:
        return []
    out = [
        "## 5. Staff import and records export",
        "",
        "Import: `flask --app wsgi staff import FILE` (the real command, start-up included) of a generated file "
        "(bench/import_export.py: schools of 200 with a headteacher, line managers and staff of every type) into "
        "a copy of a freshly deployed database: every row is created and every requirement assigned. Then the "
        "same file again (every row unchanged). Median and worst over the rounds, each on its own copy; peak "
        "memory is the process's maximum resident set size.",
        "",
        *_table(["backend", "rows", "first import (median / worst)", "peak memory", "again, unchanged (median)"],
                [[i["backend"], f"{i['rows']:,}", f"**{i['first_s']:.1f} s** / {i['first_s_max']:.1f} s",
                  f"{i['first_peak_mb']:.0f} MB", f"{i['again_s']:.1f} s"] for i in x["imports"]]),
        "",
    ]
    e = x.get("export")
    if e:
        out += [
            f"Export: `flask --app wsgi records export --output FILE` on {e['dataset']} ({e['people']:,} people): "
            f"{e['rows']:,} rows ({e['csv_mb']:.0f} MB of CSV) in {e['seconds']:.0f} s; peak memory of the process "
            f"**{e['peak_mb']:.0f} MB**, against {e['baseline_peak_mb']:.0f} MB for the same app doing nothing "
            "(`flask --app wsgi routes`): the export itself adds "
            f"{max(0.0, e['peak_mb'] - e['baseline_peak_mb']):.0f} MB. The rows are read through a server-side "
            "cursor 2,000 at a time (`dashboards.team_records.iter_team_records`, `yield_per`) and written 1,000 at a "
            "time (`lms/dashboards/records_csv.py`). The app had no CSV export of everyone's records before this issue "
            "(the dashboards' CSV files are aggregates, the history CSV is one person's, the API pages 500 rows at "
            "a time); this command is it.",
            "",
        ]
    return out


def _missed_section(results: dict) -> list[str]:
    missed = [c for c in all_checks(results) if not c["met"]]
    if not missed:
        return ["## Targets missed", "", "None.", ""]
    out = ["## Targets missed: the profile, and what would fix it", ""]
    items = {c["item"] for c in missed}
    t = results.get("taking")
    if 1 in items and t and t.get("profile"):
        bare, page = t["profile"]["bare"], t["profile"]["page"]
        out += [
            "### Item 1: the scenario page and the answer POST against the bare route",
            "",
            f"In-process on the same data, the bare route takes {bare['median_ms']:.1f} ms ({bare['statements']} "
            f"statements: the session's person) and the scenario page {page['median_ms']:.1f} ms "
            f"({page['statements']} statements, {page['sql_ms']:.1f} ms of SQL): {t['profile']['in_process_ratio']:.2f} "
            f"of the bare route, as under gunicorn. Time by library for the page (psycopg: waiting for the database): "
            f"{_shares(page)}. The page's own "
            "functions (cumulative, under the profiler):",
            "",
            *_functions(page),
            "",
            "Done for this revision (lms/training): the item, its scenario, the answer and the attempt's size and "
            "next position in one statement (`service.question_state`), the attempt with its module and versions in "
            "the same statement as its row, the clauses cached per policy version in the process "
            "(`training/clauses.py`), the radios written in plain Jinja instead of WTForms widgets, and the "
            "navigation's has-reports question asked once per request: 14 statements became 6 and the page's "
            "throughput under gunicorn went from 47 to the figure above (item 1's table; the previous run is in git "
            "history). The ratio is still short because the bare route is as cheap as a signed-in request can be "
            "(two statements, no template) while the page still renders a full layout, a post card and 20-odd "
            "clauses with their text, and sends four statements more, each planned by PostgreSQL (the item "
            "statement's planning takes longer than its execution: about 1.4 ms against 0.5 ms, EXPLAIN ANALYZE). "
            "The answer POST adds a savepoint, the insert and a commit that waits for the disk. What would close "
            "the gap: cache each scenario's rendered post card and the clause list as HTML per content version; "
            "ask the attempt, item and answer in one statement; let psycopg prepare the repeated statements "
            "(`prepare_threshold`, per connection) so PostgreSQL plans them once; insert the answer with "
            "`ON CONFLICT DO NOTHING` instead of a savepoint.",
            "",
        ]
    d = results.get("dashboards")
    if 2 in items and d:
        out += _dashboard_explanations(d, [c for c in missed if c["item"] == 2])
    if 3 in items:
        out += ["### Item 3", "", "A page whose statement count differs between sizes is listed in the targets above; "
                "its statements grow with the data and need an eager load or one set-based query.", ""]
    lr = results.get("load")
    if 4 in items and lr:
        slowest = sorted(lr["routes"].items(), key=lambda kv: -(kv[1]["p99_ms"] or 0))[:3]
        out += [
            "### Item 4: staff taking modules at once",
            "",
            f"{lr['requests']:,} requests in {lr['seconds']:g} s is {lr['rps']:.0f} per second on "
            f"{lr['workers']} workers sharing two cores with the clients and PostgreSQL. The slowest pages at p99: "
            + ", ".join(f"{route} {v['p99_ms']:.0f} ms" for route, v in slowest) + ". Each is one of item 1's pages: "
            "the time is the page's own CPU (item 1's profile) plus waiting for a worker when several staff ask at "
            "once, so what fixes item 1 fixes this; beyond that, more cores or instances (nothing lives in a worker, "
            "docs/production.md).",
            "",
        ]
    x = results.get("import_export")
    if 5 in items and x:
        out += [
            "### Item 5",
            "",
            "The import's time goes to reading and checking the file in Python (`lms/people/importer.py`), the bulk "
            "INSERT of the people, the UPDATE that sets their line managers (one row each: the managers' ids exist "
            "only once everyone is inserted), and `sync_requirements`' set-based INSERT of their module records. "
            "Checking every address with email-validator took a third of it; the check now validates each domain "
            "once (tests/people/test_email_check.py holds it to email-validator's verdicts). If the import is still "
            "over: set the line managers with one UPDATE … FROM (VALUES …) per chunk instead of one UPDATE per row.",
            "",
        ]
    return out


def _dashboard_explanations(d: dict, missed: list[dict]) -> list[str]:
    out = ["### Item 2: dashboards", ""]
    pages = {(r["backend"], r["size"]): {p["label"]: p for p in r["pages"]} for r in d["runs"]}
    biggest = pages.get(("postgresql", "national")) or pages.get(("postgresql", "trust"))
    if biggest is None:
        return out
    size = "national" if ("postgresql", "national") in pages else "trust"
    out += [f"Where each page's time goes at the {size} size on PostgreSQL (one request after the warm-up; "
            "SQL is the time inside the database driver):", ""]
    rows = []
    for label, p in biggest.items():
        prof = p["profile"]
        rows.append([label, f"{p['p95_ms']:.0f}", f"{prof['sql_ms']:.0f} of {prof['request_ms']:.0f}",
                     f"{prof['slowest'][0]['ms']:.0f} ms: `{prof['slowest'][0]['sql'][:90]}…`" if prof["slowest"] else "",
                     _shares(prof)])
    out += _table(["page", "p95 ms", "SQL ms of request ms", "slowest statement",
                   "time by library (psycopg: waiting for the database)"], rows)
    out += [""]
    for label in dashboards.LEAD_DASHBOARDS:
        page = biggest.get(label)
        if page and page["profile"].get("explain"):
            plan = page["profile"]["explain"].splitlines()
            out += [f"{label.capitalize()}: the plan of its slowest statement at the {size} size (EXPLAIN ANALYZE, "
                    "first lines):", "", "```", *plan[:22], "```", ""]
    out += [
        "Done for this revision: the completion dashboard, its CSV files and the API's totals read **kept counts** "
        "(lms/dashboards/kept_counts.py, migrations 0009–0012; docs/architecture.md): completion per unit × staff type × "
        "module and per unit, business-use requests per unit × staff type × state, and passes and latest scores per "
        "day, per unit and summed over units. Database triggers mark a unit whenever its people's records, "
        "requests or unit, staff type or active flag change, whoever writes them; each reader recounts the marked "
        "units first (or everything on a new day), so no reader sees counts older than the last commit "
        "(tests/dashboards/test_rollup.py compares every kept count with the same numbers counted from the records, "
        "after every kind of write). With more than 50 units the page's \"by unit\" lists the 50 with the lowest "
        "completion (its CSV every unit), with more than 300 the unit filter is a name typed in rather than a "
        "drop-down of 20,000, and the team page shows 50 people a page. The trust lead's completion dashboard at "
        "the national size went from 13.8 s to the p95 above.",
        "",
        "What is still missed, and what would fix it:",
        "",
        "- **The understanding dashboard is still counted from every answer in the view on each request** (the "
        "table above: the GROUP BY and window functions over `answers` ⨝ `attempts` are nearly all of it), so its "
        "time follows the number of answers: tens of seconds for the trust at the national size, and its trust / "
        "small ratio is far above 2. It was not given kept counts like the completion page because its numbers "
        "do not add up from per-day counts: distinct people per unit × clause group and per scenario, and the top "
        "and bottom 27% of attempts by score, each over any date range. The fix: keep, per training year, per "
        "unit × staff type × module × scenario × attempt kind × attempt score, the answers, right answers and "
        "wrong-clause answers, and attempts per score (PERCENT_RANK ties by score, so the 27% boundary is a score "
        "found from that histogram, exactly), with distinct people per unit × staff type × scenario and per unit "
        "× clause group per year (a person belongs to one unit, so these add up over units); the default view, "
        "the training year, reads those, and a custom range is counted from the answers as now. Its heatmap "
        "would show the 50 units with the lowest share right, as \"by unit\" does.",
        "- **API completion by unit at the national size** returns every one of 20,000 units in one JSON "
        "document; that is what it is for (no target applies to it at that size). A program wanting less can "
        "filter by unit or staff type.",
        "",
    ]
    missed_text = " ".join(c["what"] for c in missed)
    if "team records (100), sqlite" in missed_text:
        out += [
            "- **API team records on SQLite** (a page of 100 records ordered by unit and name): SQLite sorts every "
            "record in the view to find the first 100 (a temporary B-tree in the plan), so the page follows the size "
            "of the trust; PostgreSQL's plan does not, and meets the ratio. Tried and reverted: an index on people "
            "(unit, last name, first name, id) is used by SQLite only with statistics, and running ANALYZE after "
            "generating made SQLite plan the understanding dashboard ten times slower (1.1 s to 11 s at the trust "
            "size). What would fix it: choose the page's people before their records with a query SQLite answers "
            "from that index without statistics (people of one unit at a time, in name order, until 100 records), "
            "or keep SQLite's statistics and hold every dashboard's plan to a test so a change like the one above "
            "is caught.",
            "",
        ]
    if "headteacher: understanding dashboard" in missed_text:
        out += [
            "- **The headteacher's understanding page** is counted from the school's answers, like the trust lead's: "
            "the headteacher measured heads the largest school, 90 people in the small data set and about 490 in "
            "the trust one, so its statements read five times the answers and the ratio sits near 2 (either side "
            "of it from one run to the next). The kept counts described above would make it the size of a year's "
            "counts, not of the school's answers.",
            "",
        ]
    if "completion dashboard, sqlite" in missed_text or "completion dashboard, postgresql" in missed_text:
        out += [
            "- **The completion dashboard's trust / small ratio** is taken between pages of 10 to 30 ms: the trust's "
            "page draws 50 units (the small one 2) and reads a year of trust-wide day counts; a few ms of either "
            "decide it. What would help: fewer units drawn by default, and the week sums kept per week rather "
            "than per day.",
            "",
        ]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small data sets, short runs (a few minutes)")
    parser.add_argument("--items", default="1,2,3,4,5", help="which items to run, e.g. 2,3")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached data sets first")
    parser.add_argument("--no-national", action="store_true", help="leave the national size out")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers for items 1 and 4")
    parser.add_argument("--think", default="2-6", help="item 4: seconds a person pauses before each step")
    parser.add_argument("--output", type=Path, help="where to write the report (default bench/RESULTS.md; "
                                                    "bench/.cache/RESULTS-quick.md with --quick)")
    parser.add_argument("--merge", action="store_true",
                        help="measure only --items again and keep the last run's other figures in the report")
    parser.add_argument("--render", action="store_true",
                        help="measure nothing: write the report again from the last run's bench/.cache/results.json")
    parser.add_argument("--drop-datasets", action="store_true",
                        help="measure nothing: drop every cached data set (its databases and files) and stop")
    args = parser.parse_args(argv)
    if args.drop_datasets:
        forget_datasets()
        log("dropped the cached data sets")
        return
    output = args.output or (CACHE / "RESULTS-quick.md" if args.quick else RESULTS)
    saved = CACHE / ("results-quick.json" if args.quick else "results.json")
    if args.render:
        results = json.loads(saved.read_text())
    else:
        results = run(args, json.loads(saved.read_text()) if args.merge else None)
        CACHE.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(results, indent=2, default=str))
    write_results(results, output)
    log(f"wrote {output}")
    for check in all_checks(results):
        print(("met     " if check["met"] else "MISSED  ") + f"item {check['item']}: {check['what']}")


if __name__ == "__main__":
    main()
