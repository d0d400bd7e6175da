"""Item 5: the staff import of 100,000 rows, and the CSV export of a million people's records.

    .venv/bin/python -m bench.import_export [--rows 100000] [--rounds 3] [--export-size national]
                                            [--backends sqlite,postgresql] [--quick]

Import: a staff file of --rows people (schools of about 200, each with a headteacher, line managers
and staff of every type, a central team with the CEO) is imported with the real command,
`flask --app wsgi staff import FILE`, into a copy of a freshly deployed database (schema and
content, nobody yet): the first import of a trust, where every row is created and every
requirement assigned. Then the same file again into that database (every row already up to date,
the nightly re-import). Wall time of the whole command (start-up included) and its peak memory;
median over --rounds, each on its own copy.

Export: `flask --app wsgi records export --output FILE` on the data set of --export-size (national:
a million people) on PostgreSQL; peak memory of that process (its maximum resident set size, from
the kernel's rusage when it exits), beside the same figure for the app doing nothing
(`flask --app wsgi routes`), and its time.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import time
from pathlib import Path

from bench.common import CACHE, FLASK, PYTHON, ROOT, app_env, cloned, dataset, log, median, postgres_reachable

TARGET_IMPORT_S = 60.0
TARGET_EXPORT_MB = 200.0
SCHOOL_SIZE = 200
TYPES = ["employee"] * 14 + ["consultant", "volunteer", "agency worker", "agency supply"]
FIRST = ["Alex", "Priya", "Sam", "Joanna", "Tom", "Amira", "Ben", "Chloe", "Dev", "Ella", "Femi", "Grace", "Harry",
         "Isla", "Jack", "Kiran", "Leah", "Marcus", "Nadia", "Owen", "Poppy", "Quinn", "Rosa", "Saul", "Tara", "Umar"]
LAST = ["Morgan", "Shah", "Okafor", "Price", "Walsh", "Haddad", "Carter", "Nguyen", "Patel", "Byrne", "Adeyemi",
        "Hughes", "Lewis", "Fraser", "Kowalski", "Rahman", "Doyle", "Evans", "Ali", "Reid", "Öztürk", "Ní Bhriain"]


def staff_file(rows: int, seed: int = 3) -> Path:
    """A valid staff CSV of `rows` people (made once per size and kept in bench/.cache/)."""
    path = CACHE / f"staff-{rows}.csv"
    if path.exists():
        return path
    rng = random.Random(seed)
    CACHE.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["Email", "First name", "Last name", "Staff type", "School", "Role", "Line manager email",
                      "Start date", "Active"])
        ceo = "ceo@central.bench.example.org"
        out.writerow([ceo, "Kiran", "Rahman", "employee", "Central Team", "ceo", "", "2019-09-01", "yes"])
        written = 1
        school = 0
        while written < rows:
            school += 1
            domain = f"school{school}.bench.example.org"
            head = f"head@{domain}"
            out.writerow([head, rng.choice(FIRST), rng.choice(LAST), "employee", f"Bench School {school}",
                          "headteacher", ceo, "01/09/2020", "yes"])
            written += 1
            managers = [head]
            for n in range(1, SCHOOL_SIZE):
                if written >= rows:
                    break
                email = f"staff{n}@{domain}"
                manager = rng.choice(managers)
                start = f"20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                active = "no" if rng.random() < 0.02 else "yes"
                out.writerow([email, rng.choice(FIRST), rng.choice(LAST), rng.choice(TYPES), f"Bench School {school}",
                              "", manager, start, active])
                if n <= 8:
                    managers.append(email)  # the first few are line managers of the rest
                written += 1
    return path


# A small process starts the command and reports its peak: a child's peak memory (the kernel's maxrss)
# starts from what its parent had resident when it forked, and this benchmark's own process is large.
_LAUNCHER = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:])\n"
    "print(f'PEAK_KB={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}', file=sys.stderr)\n"
    "sys.exit(done.returncode)\n"
)


def timed_command(args: list[str], url: str) -> dict:
    """Run one `flask` command; its wall time and peak memory (max RSS, from the kernel when it exits)."""
    started = time.perf_counter()
    done = subprocess.run([PYTHON, "-c", _LAUNCHER, *FLASK, *args], cwd=ROOT, env=app_env(url),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    lines = done.stderr.strip().splitlines()
    peak_kb = int(lines[-1].removeprefix("PEAK_KB="))
    return {"seconds": seconds, "peak_mb": peak_kb / 1024, "stderr": lines[-4:-1]}


def run_import(backend: str, rows: int, rounds: int) -> dict:
    path = staff_file(rows)
    empty = dataset(backend, "empty")
    first, again = [], []
    for number in range(rounds):
        with cloned(empty) as copy:
            made = timed_command(["staff", "import", str(path)], copy.url)
            repeat = timed_command(["staff", "import", str(path)], copy.url)
        first.append(made)
        again.append(repeat)
        log(f"item 5 import {backend} round {number + 1}: {rows:,} rows created in {made['seconds']:.1f} s "
            f"(peak {made['peak_mb']:.0f} MB); again unchanged in {repeat['seconds']:.1f} s")
    return {"backend": backend, "rows": rows, "rounds": rounds,
            "first_s": median([r["seconds"] for r in first]), "first_s_max": max(r["seconds"] for r in first),
            "first_peak_mb": max(r["peak_mb"] for r in first),
            "again_s": median([r["seconds"] for r in again]), "again_s_max": max(r["seconds"] for r in again),
            "again_peak_mb": max(r["peak_mb"] for r in again), "output": first[-1]["stderr"]}


def run_export(size: str) -> dict:
    data = dataset("postgresql", size)
    target = CACHE / f"records-{size}.csv"
    try:
        baseline = timed_command(["routes"], data.url)
        made = timed_command(["records", "export", "--output", str(target)], data.url)
        with target.open("rb") as f:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
        size_mb = target.stat().st_size / 1024 / 1024
    finally:
        target.unlink(missing_ok=True)
    log(f"item 5 export {data.label}: {lines - 1:,} rows, {size_mb:.0f} MB in {made['seconds']:.1f} s, "
        f"peak {made['peak_mb']:.0f} MB (the app alone: {baseline['peak_mb']:.0f} MB)")
    return {"dataset": data.label, "people": data.info.get("people"), "rows": lines - 1, "csv_mb": size_mb,
            "seconds": made["seconds"], "peak_mb": made["peak_mb"], "baseline_peak_mb": baseline["peak_mb"]}


def run(backends: list[str], rows: int, rounds: int, export_size: str | None) -> dict:
    imports = [run_import(backend, rows, rounds) for backend in backends]
    exported = run_export(export_size) if export_size and "postgresql" in backends else None
    checks = [{"item": 5, "what": f"staff import of {i['rows']:,} rows on {i['backend']}: median {i['first_s']:.1f} s "
                                  f"(target at most {TARGET_IMPORT_S:.0f} s)", "met": i["first_s"] <= TARGET_IMPORT_S}
              for i in imports]
    if exported:
        checks.append({"item": 5, "what": f"records export of {exported['people']:,} people ({exported['rows']:,} rows): "
                                          f"peak {exported['peak_mb']:.0f} MB (target under {TARGET_EXPORT_MB:.0f} MB)",
                       "met": exported["peak_mb"] < TARGET_EXPORT_MB})
    return {"imports": imports, "export": exported, "checks": checks}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--export-size", default="national", choices=["small", "trust", "national", "none"])
    parser.add_argument("--quick", action="store_true", help="10,000 rows once; export the small data set")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.rounds, args.export_size = 10_000, 1, "small"
    backends = args.backends.split(",")
    if "postgresql" in backends and not postgres_reachable():
        backends = [b for b in backends if b != "postgresql"]
    result = run(backends, args.rows, args.rounds, None if args.export_size == "none" else args.export_size)
    print(json.dumps(result["checks"], indent=2))
    return result


if __name__ == "__main__":
    main()
