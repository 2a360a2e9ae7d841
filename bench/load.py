"""Load on the web platform: 50 concurrent signed-in clients for 60 s against a live server on 127.0.0.1.

The mix is the issue's: search 70 %, patent page 25 %, report page 5 %. Queries are two title words of real
documents of the corpus (with a date filter every other time), patent pages are real publication numbers of the
corpus, each drawn from a pool of --pool documents (4,000: pages repeat about as often as a team's would, and
the figures for pages asked for the first time in the run are printed apart), the report page is one
navigation project's interactive report (run once before the clock starts; pass --no-report to leave it out).
The server is ``patnav serve`` in its own processes (``--workers``, default 2 on this 2-core machine) over the
corpus of ``make demo`` (``$PATNAV_CORPUS`` or var/corpus) with a fresh app database in bench/out/load/.
Bounded: at most --requests requests, at most --seconds seconds.

Then, with the load over, one client asks for --probe pages of each kind that the load never asked for, one
after another, and the server's CPU time (all its processes, from /proc) is divided by the pages: the CPU one
page costs, a figure that moves much less than latency when the machine is shared.

Prints throughput, p50/p95/p99 latency per kind and overall, the error count, the CPU per page, and how much CPU
the load generator itself took (it shares the machine; it speaks HTTP/1.1 over raw sockets to take as little as it
can). Target on a 2-core machine with the demo corpus: zero errors, p95 <= 300 ms for search and patent pages.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "load"
PASSWORD = "load-bench-password"
PLAN = 40_000  # requests planned; each client walks its own stretch of the plan


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _samples(corpus: Path, n: int, seed: int) -> tuple[list[str], list[str]]:
    from patnav.corpus.store import Corpus

    with Corpus(corpus, create=False, read_only=True) as c:
        rows = c.con.execute(
            "SELECT publication_number, title FROM publications WHERE title IS NOT NULL ORDER BY publication_number"
        ).fetchall()
    rng = random.Random(seed)
    picked = rng.sample(rows, min(n, len(rows)))
    numbers = [number for number, _t in picked]
    queries = []
    for i, (_n, title) in enumerate(picked):
        words = [w for w in re.findall(r"[A-Za-z]{4,}", title)][:6]
        if len(words) < 2:
            continue
        q = f"ti:({' '.join(rng.sample(words, 2))})"
        queries.append(q + (" AND pd:[2000 TO 2020]" if i % 2 else ""))
    return numbers, queries


def _tree_cpu_s(root: int) -> float:
    """User + system CPU seconds of process ``root`` and its descendants, alive now (Linux /proc)."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        stats[int(entry.name)] = fields
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += (int(stats[pid][11]) + int(stats[pid][12])) / tick
        todo.extend(children.get(pid, []))
    return total


def _cpu_per_page(c: httpx.Client, server: int, paths: list[str]) -> float:
    """Server CPU milliseconds per page over ``paths`` asked for one after another."""
    before = _tree_cpu_s(server)
    for path in paths:
        c.get(path)
    return (_tree_cpu_s(server) - before) * 1000 / max(1, len(paths))


def _start_server(args: argparse.Namespace, env: dict[str, str]) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("patnav")
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(args.port), "--workers", str(args.workers)],
        env=env, stdout=(OUT / "server.log").open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{args.port}/login", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"server did not start; see {OUT / 'server.log'}")


def _sign_in(base: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=600)
    pre = re.search(r'name="pre" value="([^"]+)"', c.get("/login").text).group(1)  # type: ignore[union-attr]
    c.post("/login", data={"username": "bench", "password": PASSWORD, "pre": pre})
    c.headers["X-CSRF-Token"] = re.search(r'X-CSRF-Token": "([^"]+)"', c.get("/").text).group(1)  # type: ignore[union-attr]
    return c


def _report(c: httpx.Client, url: str) -> str | None:
    """Create and run one small project; the path of its report page."""
    made = c.post("/api/v1/projects", json={"name": "bench", "type": "industry", "title": "bench",
                                            "query": "tac:(neural network)", "lang": "en"})  # fmt: skip
    if made.status_code >= 400:
        print(f"project create failed: {made.status_code} {made.text[:200]}")
        return None
    pid = made.json()["id"]
    job = c.post(f"/api/v1/projects/{pid}/run").json()
    job_id = job.get("job", job).get("id")
    started = time.monotonic()
    while True:
        state = c.get(f"/api/v1/jobs/{job_id}").json()
        if state["status"] in ("done", "failed", "cancelled"):
            break
        time.sleep(1)
    print(f"report run: {state['status']} in {time.monotonic() - started:.0f} s")
    return f"/projects/{pid}/report" if state["status"] == "done" else None


class _Connection:
    """One keep-alive HTTP/1.1 connection, as light as a client can be: the load generator shares the server's
    two cores, and httpx's async client cost about as much CPU per request as the pages it measured."""

    def __init__(self, host: str, port: int, cookie: str) -> None:
        self.host, self.port, self.cookie = host, port, cookie
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nCookie: {self.cookie}\r\n"
            "Accept-Encoding: gzip\r\n\r\n".encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "content-length" in fields:
            await self.reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def _client(port: int, cookie: str, plan: list[tuple[str, str]], deadline: float, budget: list[int],
                  seen: set[str], results: list[tuple[str, bool, float, bool]]) -> None:  # fmt: skip
    conn = _Connection("127.0.0.1", port, cookie)
    i = 0
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        kind, path = plan[i % len(plan)]
        i += 1
        first = path not in seen
        seen.add(path)
        t0 = time.perf_counter()
        try:
            ok = await asyncio.wait_for(conn.get(path), 30) == 200
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            ok = False
            await conn.close()
        results.append((kind, first, (time.perf_counter() - t0) * 1000, ok))
    await conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--requests", type=int, default=200_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--no-report", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pool", type=int, default=4000, help="distinct publications (and queries) drawn from")
    ap.add_argument("--probe", type=int, default=200, help="pages of each kind for the CPU-per-page figure")
    args = ap.parse_args()

    corpus = Path(os.environ.get("PATNAV_CORPUS", ROOT / "var" / "corpus")).resolve()
    if not (corpus / "search").exists():
        raise SystemExit(f"{corpus} has no search index: run `make demo` (or patnav ingest + index build) first")
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    env = dict(os.environ, PATNAV_DATA_DIR=str(OUT / "data"), PATNAV_CORPUS=str(corpus))
    env.pop("PATNAV_DATABASE_URL", None)
    exe = str(Path(sys.executable).with_name("patnav"))
    subprocess.run([exe, "admin", "create-org", "bench", "--name", "Bench"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    subprocess.run([exe, "admin", "create-user", "bench", "--org", "bench", "--role", "analyst", "--password",
                    PASSWORD], env=env, check=True, capture_output=True)  # fmt: skip
    numbers, queries = _samples(corpus, args.pool + args.probe, args.seed)
    probe_numbers, numbers = numbers[: args.probe], numbers[args.probe :]
    probe_queries = [q for q in queries[: args.probe] if q not in set(queries[args.probe :])]
    queries = queries[args.probe :]
    proc = _start_server(args, env)
    base = f"http://127.0.0.1:{args.port}"
    try:
        c = _sign_in(base)
        report = None if args.no_report else _report(c, base)
        cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
        rng = random.Random(args.seed)
        plan: list[tuple[str, str]] = []
        for _ in range(PLAN):
            roll = rng.random()
            if roll < 0.70 or (roll >= 0.95 and report is None):
                plan.append(("search", f"/search?{httpx.QueryParams({'q': rng.choice(queries)})}"))
            elif roll < 0.95:
                plan.append(("patent", f"/patents/{rng.choice(numbers)}"))
            else:
                plan.append(("report", report))  # type: ignore[arg-type]
        results: list[tuple[str, bool, float, bool]] = []
        seen: set[str] = set()
        budget = [args.requests]
        step = len(plan) // args.clients  # each client walks its own stretch of the plan
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        deadline = time.monotonic() + args.seconds
        started = time.monotonic()

        async def run_all() -> None:
            await asyncio.gather(*[
                _client(args.port, cookie, plan[k * step:] + plan[: k * step], deadline, budget, seen, results)
                for k in range(args.clients)
            ])  # fmt: skip

        asyncio.run(run_all())
        elapsed = time.monotonic() - started
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        per_page = {
            "search": _cpu_per_page(c, proc.pid, [f"/search?{httpx.QueryParams({'q': q})}" for q in probe_queries]),
            "patent": _cpu_per_page(c, proc.pid, [f"/patents/{n}" for n in probe_numbers]),
        }
        if report is not None:
            per_page["report"] = _cpu_per_page(c, proc.pid, [report] * max(1, args.probe // 10))
        c.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)

    client_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    errors = sum(1 for _k, _f, _ms, ok in results if not ok)
    print(f"\n{args.clients} clients, {elapsed:.1f} s, {len(results)} requests, "
          f"{len(results) / elapsed:.1f} requests/s, errors {errors}; "
          f"the load generator itself used {client_cpu / elapsed:.0%} of one core")  # fmt: skip
    print("'first' is a page no client had asked for before in this run (nothing of it can be in a cache)")
    print(f"{'kind':<8} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'first':>6} "
          f"{'first p95':>10}")  # fmt: skip
    for kind in ("search", "patent", "report", "all"):
        mine = [(f, m, ok) for k, f, m, ok in results if kind in (k, "all")]
        if not mine:
            continue
        ms = [m for _f, m, _ok in mine]
        firsts = [m for f, m, _ok in mine if f]
        bad = sum(1 for _f, _m, ok in mine if not ok)
        print(f"{kind:<8} {len(ms):>6} {statistics.median(ms):>8.1f} {_percentile(ms, 95):>8.1f} "
              f"{_percentile(ms, 99):>8.1f} {bad:>7} {len(firsts):>6} {_percentile(firsts, 95):>10.1f}")  # fmt: skip
    print("server CPU per page, asked one after another (pages the load never asked for; the report page again"
          " and again): " + ", ".join(f"{k} {v:.1f} ms" for k, v in per_page.items()))  # fmt: skip
    print("target: zero errors; p95 <= 300 ms for search and patent pages (2-core machine, demo corpus)")


if __name__ == "__main__":
    main()
