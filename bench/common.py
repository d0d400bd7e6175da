"""What every benchmark shares: throwaway databases, the cached data sets, statistics, the machine.

Data sets are built once and reused across items and runs: `bench/.cache/datasets.json` (git-ignored)
names the database of each (backend, size). PostgreSQL databases are `lms_bench_<random>` on the
server of `BENCH_POSTGRES_URL` (default postgresql://postgres@127.0.0.1:5432/postgres); SQLite
ones are files under `bench/.cache/`. Nothing here touches `instance/`.
"""

from __future__ import annotations

import json
import math
import os
import platform
import secrets
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CACHE = BENCH / ".cache"
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
FLASK = [PYTHON, "-m", "flask", "--app", "wsgi"]
PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET_KEY = "bench-only-secret-key-" + "x" * 16  # noqa: S105 - throwaway databases only
BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 - set on the bench's own users only
DATASETS = CACHE / "datasets.json"

# The sizes of issue 9. `small` is the demo trust; the others come from `demo generate` when the app
# has it (it chooses the shape of a trust and of the nation); these numbers are only the fallback.
SIZES: dict[str, dict[str, int]] = {
    "small": {"units": 4, "people": 60, "attempts": 0},
    "trust": {"units": 40, "people": 5_000, "attempts": 20_000},
    "national": {"units": 20_000, "people": 1_000_000, "attempts": 2_000_000},
}


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- statistics ------------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100): a value that was actually observed."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


# --- databases --------------------------------------------------------------------------------------


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


def _pg_server(url: str) -> str:
    return url.rsplit("/", 1)[0]


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:  # any failure to connect: PostgreSQL items are left out, and RESULTS.md says so
        return False


def create_database(backend: str, label: str) -> str:
    """A new empty database; returns its DATABASE_URL."""
    CACHE.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        path = CACHE / f"{label}-{secrets.token_hex(4)}.sqlite3"
        return f"sqlite:///{path}"
    import psycopg

    name = f"lms_bench_{secrets.token_hex(5)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{_pg_server(PG_ADMIN_URL)}/{name}"


def drop_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for extra in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + extra).unlink(missing_ok=True)
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    if not name.startswith("lms_bench_"):
        raise ValueError(f"refusing to drop {name!r}: not a bench database")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_exists(url: str) -> bool:
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///")).exists()
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except Exception:  # gone (dropped by hand) or the server is down: rebuild
        return False


@contextmanager
def throwaway_database(backend: str, label: str):
    url = create_database(backend, label)
    try:
        yield url
    finally:
        drop_database(url)


def app_env(url: str, **extra: str) -> dict[str, str]:
    """The environment for the app's commands and servers on `url` (never instance/)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LMS_", "DATABASE_URL"))}
    env.update(DATABASE_URL=url, SECRET_KEY=SECRET_KEY, AUDIT_KEY=SECRET_KEY + "-audit", LMS_ENV="development",
               LOG_LEVEL="WARNING", MAIL_SERVER="", PYTHONPATH=str(ROOT), **extra)
    return env


def flask(url: str, *args: str, quiet: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([*FLASK, *args], cwd=ROOT, env=app_env(url), capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    if not quiet:
        log(result.stdout.strip())
    return result


# --- data sets --------------------------------------------------------------------------------------


def _generate_help(url: str) -> str | None:
    """`demo generate --help`, or None when the app has no generator yet."""
    result = subprocess.run([*FLASK, "demo", "generate", "--help"], cwd=ROOT, env=app_env(url),
                            capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else None


def _populate(url: str, size: str, seed: int) -> dict:
    """Schema, content and people for `size`; returns how it was made (for RESULTS.md)."""
    started = time.perf_counter()
    flask(url, "db", "upgrade")
    flask(url, "scenarios", "load")
    if size == "empty":  # a deployed app before its first staff import: schema and content only
        return {"how": "flask db upgrade; flask scenarios load", "built_in_s": round(time.perf_counter() - started, 1)}
    helptext = _generate_help(url)
    if helptext is None:
        if size != "small":
            raise RuntimeError(f"size {size!r} needs `flask demo generate`, which this app does not have yet")
        flask(url, "demo", "seed")
        how = "flask demo seed"
    else:
        if "--size" in helptext:
            args = ["--size", size]
        else:
            shape = SIZES[size]
            args = ["--units", str(shape["units"]), "--people", str(shape["people"]),
                    "--attempts", str(shape["attempts"])]
        args += ["--seed", str(seed)]
        log(f"generating the {size} data set: flask demo generate {' '.join(args)}")
        flask(url, "demo", "generate", *args, quiet=False)
        how = "flask demo generate " + " ".join(args)
    # The bench's own accounts (a password, an API token) on top of whatever was generated.
    result = subprocess.run([PYTHON, "-m", "bench.fixtures", "prepare"], cwd=ROOT, env=app_env(url),
                            capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"bench.fixtures prepare failed:\n{result.stdout}\n{result.stderr}")
    counts = json.loads(result.stdout)
    return {"how": how, "built_in_s": round(time.perf_counter() - started, 1), **counts}


def _load_registry() -> dict:
    return json.loads(DATASETS.read_text()) if DATASETS.exists() else {}


def _save_registry(registry: dict) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    DATASETS.write_text(json.dumps(registry, indent=2, sort_keys=True) + "\n")


@dataclass(frozen=True)
class Dataset:
    backend: str
    size: str
    url: str
    info: dict

    @property
    def label(self) -> str:
        return f"{self.size} on {'PostgreSQL' if self.backend == 'postgresql' else 'SQLite'}"


def dataset(backend: str, size: str, *, rebuild: bool = False, seed: int = 1) -> Dataset:
    """The cached data set of `size` on `backend`, built the first time (or again with `rebuild`)."""
    key = f"{backend}:{size}"
    registry = _load_registry()
    entry = registry.get(key)
    if entry and (rebuild or not database_exists(entry["url"])):
        if rebuild and database_exists(entry["url"]):
            log(f"dropping the cached {key} data set")
            drop_database(entry["url"])
        entry = None
    if entry is None:
        url = create_database(backend, size)
        log(f"building the {size} data set on {backend} in {url}")
        try:
            info = _populate(url, size, seed)
        except BaseException:
            drop_database(url)
            raise
        entry = {"url": url, "info": info, "built_at": datetime.now(UTC).isoformat(timespec="seconds")}
        registry = _load_registry()
        registry[key] = entry
        _save_registry(registry)
        log(f"{key}: " + ", ".join(f"{k} {v}" for k, v in info.items() if k not in ("takers", "api_token")))
    else:
        flask(entry["url"], "db", "upgrade")  # a data set built before a newer migration
    return Dataset(backend, size, entry["url"], entry["info"])


def forget_datasets(keys: Sequence[str] | None = None) -> None:
    """Drop cached data sets (all when `keys` is None)."""
    registry = _load_registry()
    for key in list(registry):
        if keys is None or key in keys:
            drop_database(registry.pop(key)["url"])
    _save_registry(registry)


# --- the machine ------------------------------------------------------------------------------------


def _command_version(*command: str) -> str:
    try:
        out = subprocess.run(list(command), capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "unknown"


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    versions = subprocess.run([PYTHON, "-c", (
        "import flask, sqlalchemy, gunicorn, psycopg, sqlite3; "
        "print(flask.__version__, sqlalchemy.__version__, gunicorn.__version__, psycopg.__version__, "
        "sqlite3.sqlite_version)")], capture_output=True, text=True).stdout.split()
    names = ["Flask", "SQLAlchemy", "gunicorn", "psycopg", "SQLite"]
    pg = "unreachable"
    if postgres_reachable():
        import psycopg

        with psycopg.connect(PG_ADMIN_URL) as conn:
            pg = conn.execute("SHOW server_version").fetchone()[0]
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    return {
        "cpu": cpu, "cores": str(os.cpu_count()), "memory": memory,
        "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
        **dict(zip(names, versions, strict=False)), "PostgreSQL": pg,
        "wrk": _command_version("wrk", "--version"), "load average at start": load,
    }


def git_revision() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "lms", "templates", "migrations"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return out.stdout.strip() + (" with uncommitted changes to the app" if dirty else "")


# --- a gunicorn server ------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(url: str, workers: int, *, threads: int = 1, max_requests: int | None = None):
    """The production gunicorn.conf.py serving bench.benchapp on a free local port; yields the base URL."""
    import urllib.request

    port = free_port()
    # As production logs: one JSON line per request (lms/logs.py), so its cost is in the figures too.
    env = app_env(url, BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY=str(workers), GUNICORN_THREADS=str(threads),
                  LOG_FORMAT="json", LOG_REQUESTS="true")
    env["LOG_LEVEL"] = "INFO"
    command = [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "bench.benchapp:make_app()"]
    if max_requests is not None:
        # gunicorn.conf.py recycles a worker every ~2,000 requests; a benchmark may turn that off (0) to
        # keep worker start-up out of the figures, and says so.
        command += ["--max-requests", str(max_requests)]
    logfile = CACHE / "gunicorn.log"  # the last server's log, kept for reading after a failed run
    CACHE.mkdir(parents=True, exist_ok=True)
    with logfile.open("w") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({server.returncode}); see {logfile}:\n{logfile.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer /healthz within 60 s; see {logfile}")
            time.sleep(0.2)
        # Every worker imports the app on start; give the others a moment to finish before measuring.
        time.sleep(1.0)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextmanager
def cloned(data: Dataset):
    """A throwaway copy of a cached data set, for items that write (their answers must not pile up in the cache)."""
    if data.backend == "sqlite":
        import shutil

        source = Path(data.url.removeprefix("sqlite:///"))
        copy = CACHE / f"clone-{secrets.token_hex(4)}.sqlite3"
        shutil.copyfile(source, copy)
        url = f"sqlite:///{copy}"
    else:
        import psycopg

        name = f"lms_bench_{secrets.token_hex(5)}"
        template = data.url.rsplit("/", 1)[1]
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        url = f"{_pg_server(PG_ADMIN_URL)}/{name}"
    try:
        yield Dataset(data.backend, data.size, url, data.info)
    finally:
        drop_database(url)


# --- where a request's time goes --------------------------------------------------------------------


def _owner(filename: str) -> str:
    """Who a profiled function belongs to: a site-packages package, lms, templates, or the standard library."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if str(ROOT / "templates") in filename:
        return "templates (Jinja)"
    if str(ROOT / "lms") in filename:
        return "lms"
    if filename == "~":
        return "built-ins (C)"
    return "python" if filename.startswith(("/", "<")) else filename


def profile(call, repeat: int = 5, top: int = 8) -> dict:
    """cProfile `call` (repeated): self time by owner (which library the time went to), and the project's own
    functions (lms/, templates/) by cumulative ms per call.

    The profiler slows everything down by a similar factor, so the shares matter more than the numbers.
    """
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        call()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # {(file, line, name): (cc, nc, tottime, cumtime, callers)}
    owners: dict[str, float] = {}
    functions = []
    for (filename, line, name), (_, _, own, cumulative, _) in stats.items():
        owner = _owner(filename)
        owners[owner] = owners.get(owner, 0.0) + own
        if owner in ("lms", "templates (Jinja)"):
            functions.append((f"{Path(filename).relative_to(ROOT)}:{line} {name}", cumulative * 1000 / repeat))
    total = sum(owners.values()) or 1.0
    functions.sort(key=lambda r: -r[1])
    return {"self_time_share": {k: round(v / total, 3) for k, v in sorted(owners.items(), key=lambda kv: -kv[1])[:8]},
            "project_functions_ms": [(name, round(ms, 1)) for name, ms in functions[:top]]}
