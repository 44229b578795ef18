"""commentsvc against Isso, side by side, on this machine.

    bash bench/run.sh              # the full benchmark (about 10 minutes)
    bash bench/run.sh --smoke      # a few seconds per step: does it work, is every answer 2xx?

Both services run on loopback under gunicorn with the same workers and worker
class, on SQLite, seeded with the same data through their own APIs. Every scenario
runs each contender in turn, alternating the order round by round, so the
machine's noise hits both alike. Prints a Markdown table per scenario and writes
them to bench/results/latest.md. Exits 1 if any answer was not 2xx.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / "work"
LUA = BENCH / "lua"
ISSO_VENV = BENCH / ".venv-isso"
ORIGIN = "http://blog.bench.example"
THREADS_PER_WORKER = 4  # as commentsvc serve runs: gthread, 4 threads per worker
# The gthread worker commentsvc serve uses (it only depends on gunicorn): every server
# here runs it, so that no figure depends on how connections happen to be spread
# over the workers (stock gthread may give one worker all of them).
WORKER_CLASS = "commentsvc.runtime.gunicorn_worker.BalancedThreadWorker"
LIMIT_REQUEST_LINE = 8190  # as commentsvc serve sets it
CORE_LIBRARIES_ONLY = "Core libraries only"


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(port: int, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nothing answered on port {port}")


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def _kilobytes(path: str, field: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_memory_mb(root: int) -> tuple[float, float]:
    """Summed RSS and summed PSS of a process tree. RSS counts a page shared by forked
    workers once per process; PSS divides it among them, so PSS adds up to what the
    whole tree really takes."""
    pids = process_tree(root)
    rss = sum(_kilobytes(f"/proc/{pid}/status", "VmRSS:") for pid in pids)
    pss = sum(_kilobytes(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in pids)
    return rss / 1024, pss / 1024


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[str]
    peak_rss_mb: float = 0.0
    peak_pss_mb: float = 0.0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()


class MemorySampler:
    """Peak RSS and peak PSS of a server's whole process tree while a load runs."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.peak_rss = 0.0
        self.peak_pss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, pss = tree_memory_mb(self.server.process.pid)
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            self._stop.wait(0.1)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.server.peak_rss_mb = max(self.server.peak_rss_mb, self.peak_rss)
        self.server.peak_pss_mb = max(self.server.peak_pss_mb, self.peak_pss)


def start_commentsvc(name: str, workers: int, data_dir: Path,
                     extra_env: dict[str, str] | None = None) -> tuple[Server, str]:  # fmt: skip
    port = free_port()
    env = {
        **os.environ,
        **(extra_env or {}),
        "COMMENTSVC_DATA_DIR": str(data_dir),
        "COMMENTSVC_SITES": ORIGIN,
        "COMMENTSVC_POST_RATE_LIMIT": "100000000/minute",  # the benchmark's only change
        "COMMENTSVC_LOG_LEVEL": "WARNING",  # no per-request log lines, like Isso
        "COMMENTSVC_WORKERS": str(workers),
    }
    for variable in ("COMMENTSVC_REDIS_URL", "COMMENTSVC_DATABASE_URL"):
        env.pop(variable, None)
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "commentsvc"), "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    token = ""
    assert process.stdout is not None
    for line in process.stdout:
        if "shown only once" in line:
            token = process.stdout.readline().strip()
            break
    wait_http(port, "/healthz")
    return Server(name, port, process), token


def start_gunicorn(name: str, python_bin: Path, app: str, workers: int, env: dict[str, str],
                   cwd: Path) -> Server:  # fmt: skip
    port = free_port()
    process = subprocess.Popen(
        [str(python_bin.parent / "gunicorn"), "--no-control-socket", "-w", str(workers),
         "-k", WORKER_CLASS, "--threads", str(THREADS_PER_WORKER), "-b", f"127.0.0.1:{port}",
         "--limit-request-line", str(LIMIT_REQUEST_LINE), "--log-level", "warning", app],
        env={**os.environ, "PYTHONPATH": str(REPO), **env}, cwd=cwd,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    wait_http(port, "/")
    return Server(name, port, process)


ISSO_CONFIG = """[general]
dbpath = {db}
host = {origin}
notify = stdout
[moderation]
enabled = true
[guard]
enabled = false
[server]
listen = http://127.0.0.1:8080
"""


def start_isso(workers: int, data_dir: Path) -> tuple[Server, Path]:
    data_dir.mkdir(parents=True, exist_ok=True)
    database = data_dir / "isso.db"
    config = data_dir / "isso.cfg"
    config.write_text(ISSO_CONFIG.format(db=database, origin=ORIGIN))
    server = start_gunicorn("Isso", ISSO_VENV / "bin" / "python", "isso.run", workers,
                            {"ISSO_SETTINGS": str(config)}, data_dir)  # fmt: skip
    return server, database


# ------------------------------------------------------------------ seeding


class Client:
    """Keep-alive HTTP, one connection per thread."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.local = threading.local()

    def request(self, method: str, path: str, body: Any = None,
                headers: dict[str, str] | None = None) -> tuple[int, Any]:  # fmt: skip
        for attempt in range(3):
            connection = getattr(self.local, "connection", None)
            if connection is None:
                connection = self.local.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=30
                )
            try:
                payload = json.dumps(body) if body is not None else None
                connection.request(method, path, payload, {
                    "Content-Type": "application/json", "Origin": ORIGIN, **(headers or {})})  # fmt: skip
                response = connection.getresponse()
                data = response.read()
                try:
                    return response.status, json.loads(data) if data else None
                except ValueError:
                    return response.status, data.decode(errors="replace")
            except (OSError, http.client.HTTPException):
                self.local.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def seed_commentsvc(server: Server, token: str, plan: list[tuple[str, int]]) -> None:
    client = Client(server.port)
    auth = {"Authorization": f"Bearer {token}"}

    def post(job: tuple[str, int]) -> None:
        path, n = job
        status, comment = client.request("POST", "/api/v1/comments", {
            "url": ORIGIN + path, "name": f"Reader {n}", "email": f"reader{n}@example.com",
            "body": f"Comment {n} on {path}: a thoughtful remark with *some* emphasis."})  # fmt: skip
        assert status == 202, (status, comment)
        status, _ = client.request("POST", f"/api/v1/moderation/comments/{comment['id']}",
                                   {"action": "approve"}, auth)  # fmt: skip
        assert status == 200

    jobs = [(path, n) for path, count in plan for n in range(count)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(post, jobs))


def seed_isso(server: Server, database: Path, plan: list[tuple[str, int]]) -> None:
    client = Client(server.port)

    def post(job: tuple[str, int], racing: bool = False) -> None:
        path, n = job
        # The title spares Isso fetching the article to name a new thread.
        status, answer = client.request("POST", f"/new?uri={path}", {
            "author": f"Reader {n}", "email": f"reader{n}@example.com", "title": path,
            "text": f"Comment {n} on {path}: a thoughtful remark with *some* emphasis."})  # fmt: skip
        # Isso's in-memory cache is not thread-safe: past a few hundred authors, a
        # post racing another can answer 500 after storing its comment. What was not
        # stored is posted again afterwards, alone.
        assert status in (201, 202) or (status == 500 and racing), (status, answer)

    def stored() -> set[tuple[str, int]]:
        with sqlite3.connect(database) as connection:
            texts = [text for (text,) in connection.execute("SELECT text FROM comments")]
        found = (re.search(r"Comment (-?\d+) on (\S+):", text) for text in texts)
        return {(match[2], int(match[1])) for match in found if match}

    # Isso fails when two first comments of a new thread race: open each thread alone.
    for path, count in plan:
        post((path, -1 if count == 0 else 0))
    jobs = [(path, n) for path, count in plan for n in range(1, count)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda job: post(job, racing=True), jobs))
    for job in sorted(set(jobs) - stored()):
        post(job)
    # Isso's moderation is approved by a signed link per comment; approve all at once.
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE comments SET mode = 1 WHERE mode = 2")


# ------------------------------------------------------------------ running


@dataclass
class Result:
    requests: int = 0
    seconds: float = 0.0
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    non_2xx: int = 0
    rss_mb: float = 0.0
    pss_mb: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Contender:
    server: Server
    lua: str
    env: dict[str, str]


def run_wrk(server: Server, lua: str, env: dict[str, str], connections: int,
            duration: float) -> dict[str, Any]:  # fmt: skip
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration:g}s", "--timeout", "10s",
               "-s", str(LUA / lua), f"http://127.0.0.1:{server.port}"]  # fmt: skip
    with MemorySampler(server) as sampler:
        output = subprocess.run(
            command, env={**os.environ, "BENCH_LUA": str(LUA), **env},
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    line = [row for row in output.splitlines() if row.startswith("{")][-1]
    measured = json.loads(line)
    measured["rss_mb"], measured["pss_mb"] = sampler.peak_rss, sampler.peak_pss
    return measured


def scenario(contenders: list[Contender], connections: int, duration: float,
             rounds: int) -> list[Result]:  # fmt: skip
    results = [Result() for _ in contenders]
    order = list(range(len(contenders)))
    for round_number in range(rounds):
        for index in order if round_number % 2 == 0 else reversed(order):
            contender = contenders[index]
            measured = run_wrk(
                contender.server, contender.lua, contender.env, connections, duration
            )
            result = results[index]
            result.requests += measured["requests"]
            result.seconds += measured["seconds"]
            result.p50.append(measured["p50_ms"])
            result.p99.append(measured["p99_ms"])
            result.non_2xx += measured["non_2xx"] + measured["socket_errors"]
            result.rss_mb = max(result.rss_mb, measured["rss_mb"])
            result.pss_mb = max(result.pss_mb, measured["pss_mb"])
    return results


def table(title: str, names: list[str], results: list[Result], note: str = "") -> str:
    lines = [f"### {title}", ""]
    if note:
        lines += [note, ""]
    lines += ["| server | requests/s | p50 ms | p99 ms | non-2xx | peak RSS MB | peak PSS MB | vs Isso |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    isso = next((r for n, r in zip(names, results, strict=True) if n == "Isso"), None)
    for name, result in zip(names, results, strict=True):
        ratio = f"{result.rps / isso.rps:.1f}×" if isso and isso.rps and name != "Isso" else ""
        lines.append(
            f"| {name} | {result.rps:,.0f} | {statistics.median(result.p50):.2f} | "
            f"{statistics.median(result.p99):.2f} | {result.non_2xx} | {result.rss_mb:.0f} | "
            f"{result.pss_mb:.0f} | {ratio} |"
        )
    if len(results) > 2 and "ceiling" in names[-1]:
        lines += [
            "",
            f"commentsvc reaches {results[0].rps / results[-1].rps:.0%} of the framework's ceiling.",
        ]
    floor = next((r for n, r in zip(names, results, strict=True) if n == CORE_LIBRARIES_ONLY), None)
    if floor and isso:
        lines += [
            "",
            f"Memory (PSS, what the whole process tree takes): the core libraries alone, "
            f"before any of commentsvc's code and without its Redis server, peak at "
            f"{floor.pss_mb:.0f} MB; Isso at {isso.pss_mb:.0f} MB, commentsvc at "
            f"{results[0].pss_mb:.0f} MB.",
        ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the scale run


def seed_directly(database_url: str, articles: int, per_article: int, target: str,
                  target_comments: int) -> None:  # fmt: skip
    """Bulk insert, skipping the API: a million comments in well under a minute."""
    from sqlalchemy import insert

    from commentsvc.models import Comment, CommentStatus, Thread
    from commentsvc.store import database as db
    from commentsvc.store import migrate

    engine = db.make_engine(database_url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    html = "<p>A thoughtful remark with <em>some</em> emphasis.</p>"
    with engine.begin() as connection:
        connection.execute(insert(Thread), [{"id": 1, "url": ORIGIN + target, "created_at": now}]
                           + [{"id": n + 2, "url": f"{ORIGIN}/scale/{n}", "created_at": now}
                              for n in range(articles)])  # fmt: skip
        rows = [(1, n) for n in range(target_comments)]
        rows += [(thread, n) for thread in range(2, articles + 2) for n in range(per_article)]
        for start in range(0, len(rows), 50_000):
            connection.execute(insert(Comment), [
                {"thread_id": thread, "author_name": f"Reader {n}",
                 "author_email": f"reader{n}@example.com", "author_website": None,
                 "body": "A thoughtful remark with *some* emphasis.", "html": html,
                 "status": CommentStatus.APPROVED, "spam_reasons": [], "created_at": now}
                for thread, n in rows[start:start + 50_000]
            ])  # fmt: skip
    engine.dispose()


def scale_run(workers: int, duration: float, rounds: int, smoke: bool) -> str:
    """Both databases served at once and measured in alternation, like the scenarios
    against Isso, so the machine's noise hits both alike."""
    sizes = [("1,000 comments", 8, 100)] + ([("10,000 comments", 98, 100)] if smoke
                                           else [("1,000,000 comments", 9_998, 100)])  # fmt: skip
    lines = ["### Scale: scenario 1 (200-comment article, 16 connections) as the database grows",
             "", "| database | requests/s | p50 ms | p99 ms | non-2xx |", "| --- | ---: | ---: | ---: | ---: |"]  # fmt: skip
    contenders = []
    try:
        for label, articles, per_article in sizes:
            data_dir = WORK / f"scale-{articles}"
            shutil.rmtree(data_dir, ignore_errors=True)
            started = time.monotonic()
            seed_directly(f"sqlite:///{data_dir / 'commentsvc.sqlite3'}", articles, per_article,
                          "/a200", 200)  # fmt: skip
            print(f"  seeded {label} in {time.monotonic() - started:.0f} s", flush=True)
            os.sync()  # the seed's writes reach the disk now, not during the measurement
            server, _ = start_commentsvc(label, workers, data_dir)
            contenders.append(Contender(server, "request.lua",
                                        {"BENCH_PATH": f"/api/v1/comments?url={ORIGIN}/a200"}))  # fmt: skip
        for contender in contenders:
            run_wrk(contender.server, contender.lua, contender.env, 16, 2)  # warm-up
        results = scenario(contenders, 16, duration, rounds)
    finally:
        for contender in contenders:
            contender.server.stop()
    p50s = [statistics.median(result.p50) for result in results]
    for (label, _articles, _per_article), result, p50 in zip(sizes, results, p50s, strict=True):
        lines.append(f"| {label} | {result.rps:,.0f} | {p50:.2f} | "
                     f"{statistics.median(result.p99):.2f} | {result.non_2xx} |")  # fmt: skip
        NON_2XX.append(result.non_2xx)
    lines += ["", f"p50 with the large database: {p50s[1] / p50s[0]:.2f}× the small one's."]
    return "\n".join(lines) + "\n"


NON_2XX: list[int] = []


# ---------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny seeds, 1 s per run")
    parser.add_argument("--duration", type=float, help="seconds per wrk run (default 8)")
    parser.add_argument("--rounds", type=int, help="alternating rounds per scenario (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for every server")
    parser.add_argument("--no-scale", action="store_true", help="skip the scale run")
    args = parser.parse_args()
    duration = args.duration or (1 if args.smoke else 8)
    rounds = args.rounds or (1 if args.smoke else 2)
    big, mixed_articles = (60, 50) if args.smoke else (2000, 1000)
    small = 20 if args.smoke else 200

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    commentsvc, token = start_commentsvc("commentsvc", args.workers, WORK / "commentsvc")
    isso, isso_db = start_isso(args.workers, WORK / "isso")
    servers = [commentsvc, isso]
    report = [
        f"## commentsvc vs Isso 0.14 — {datetime.now(UTC):%Y-%m-%d}",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"Both under gunicorn, {args.workers} workers × {THREADS_PER_WORKER} threads (gthread, "
        "accepting only with a free thread: `commentsvc.runtime.gunicorn_worker`), "
        f"SQLite; wrk, 2 threads, {duration:g} s per run, {rounds} alternating rounds. "
        "(commentsvc's gunicorn master is one of its workers: it forks the others and "
        "serves too.) "
        "Peak RSS and peak PSS: the server's whole process tree (commentsvc: gunicorn master, "
        "web workers (one of them running the background jobs) and the embedded Redis), "
        "summed; RSS counts the pages forked workers share once per process, PSS (from "
        "/proc/PID/smaps_rollup) divides them among the processes.",
        "",
    ]
    try:
        count_paths = ["/a200", "/a2000"] + [f"/c{n}" for n in range(18)]
        plan = [("/a200", small), ("/a2000", big)] + [(path, 0) for path in count_paths[2:]]
        started = time.monotonic()
        seed_commentsvc(commentsvc, token, plan)
        seed_isso(isso, isso_db, plan)
        print(f"seeded {small + big} comments into each in {time.monotonic() - started:.0f} s",
              flush=True)  # fmt: skip

        thread_body = len(json.dumps(Client(commentsvc.port).request(
            "GET", f"/api/v1/comments?url={ORIGIN}/a200")[1], separators=(",", ":")))  # fmt: skip
        counts_query = "&".join(f"url={ORIGIN}{path}" for path in count_paths)
        counts_body = len(json.dumps(Client(commentsvc.port).request(
            "GET", f"/api/v1/counts?{counts_query}")[1], separators=(",", ":")))  # fmt: skip
        ceiling_bodies = {"CEILING_THREAD_BYTES": str(thread_body),
                          "CEILING_COUNTS_BYTES": str(counts_body)}  # fmt: skip

        def start_ceiling(name: str, env: dict[str, str]) -> Server:
            server = start_gunicorn(name, Path(sys.executable), "ceiling_app:app", args.workers,
                                    {**ceiling_bodies, **env}, BENCH)  # fmt: skip
            servers.append(server)
            return server

        ceiling = start_ceiling("Flask ceiling", {})
        core_libraries = start_ceiling(CORE_LIBRARIES_ONLY, {"CEILING_CORE_LIBRARIES": "1"})

        def read(path: str, isso_path: str) -> list[Contender]:
            return [Contender(commentsvc, "request.lua", {"BENCH_PATH": path}),
                    Contender(isso, "request.lua", {"BENCH_PATH": isso_path})]  # fmt: skip

        def counts() -> list[Contender]:
            return [
                Contender(commentsvc, "request.lua", {"BENCH_PATH": f"/api/v1/counts?{counts_query}"}),
                Contender(isso, "request.lua", {"BENCH_METHOD": "POST", "BENCH_PATH": "/count",
                                                "BENCH_BODY": json.dumps(count_paths)}),
                Contender(ceiling, "request.lua", {"BENCH_PATH": "/counts"}),
            ]  # fmt: skip

        names = ["commentsvc", "Isso"]
        thread200 = read(f"/api/v1/comments?url={ORIGIN}/a200", "/?uri=/a200")
        runs = [
            (f"1. Read an article with {small} approved comments, 16 connections",
             thread200 + [Contender(core_libraries, "request.lua", {"BENCH_PATH": "/thread"}),
                          Contender(ceiling, "request.lua", {"BENCH_PATH": "/thread"})], 16,
             f"Framework ceiling: the same gunicorn settings answering a constant {thread_body:,}-byte JSON body. "
             f"{CORE_LIBRARIES_ONLY}: the same, also importing the libraries commentsvc is built on "
             "(Flask, SQLAlchemy's ORM, redis-py, marshmallow, email-validator), with no Redis server."),
            (f"1. Read an article with {small} approved comments, 64 connections",
             thread200 + [Contender(ceiling, "request.lua", {"BENCH_PATH": "/thread"})], 64, ""),
            (f"2. Read an article with {big:,} approved comments (all of them), 16 connections",
             read(f"/api/v1/comments?url={ORIGIN}/a2000", "/?uri=/a2000"), 16, ""),
            (f"3. Counts of 20 articles in one request, {small + big:,} comments in the database",
             counts(), 16,
             f"Framework ceiling: a constant {counts_body:,}-byte JSON body."),
            ("4. Post a new comment (moderation on: commentsvc queues it in Redis)",
             [Contender(commentsvc, "post.lua", {"BENCH_TARGET": "commentsvc", "BENCH_ORIGIN": ORIGIN,
                                                 "BENCH_ARTICLE": "/posts"}),
              Contender(isso, "post.lua", {"BENCH_TARGET": "isso", "BENCH_ORIGIN": ORIGIN,
                                           "BENCH_ARTICLE": "/posts"})], 16, ""),
        ]  # fmt: skip
        for title, contenders, connections, note in runs:
            print(f"running: {title}", flush=True)
            results = scenario(contenders, connections, duration, rounds)
            labels = [contender.server.name for contender in contenders]
            report.append(table(title, labels, results, note))
            NON_2XX.append(results[0].non_2xx)

        mixed_plan = [(f"/mixed/{n}", 2) for n in range(1, mixed_articles + 1)]
        seed_commentsvc(commentsvc, token, mixed_plan)
        seed_isso(isso, isso_db, mixed_plan)
        total = small + big + 2 * mixed_articles
        later = [
            (f"5. Mixed: 95% reads across {mixed_articles:,} articles, 5% posts",
             [Contender(commentsvc, "mixed.lua", {"BENCH_TARGET": "commentsvc", "BENCH_ORIGIN": ORIGIN,
                                                  "BENCH_ARTICLES": str(mixed_articles)}),
              Contender(isso, "mixed.lua", {"BENCH_TARGET": "isso", "BENCH_ORIGIN": ORIGIN,
                                            "BENCH_ARTICLES": str(mixed_articles)})], 16, ""),
            (f"3b. Counts of 20 articles again, now {total:,}+ comments in the database",
             counts()[:2], 16, "Isso counts by scanning comments: its figure falls as the database grows."),
        ]  # fmt: skip
        for title, contenders, connections, note in later:
            print(f"running: {title}", flush=True)
            results = scenario(contenders, connections, duration, rounds)
            report.append(table(title, names, results, note))
            NON_2XX.append(results[0].non_2xx)
        report.append(
            "### Peak memory over the whole run (all scenarios)\n\n"
            + "\n".join(
                f"- {server.name}: {server.peak_rss_mb:.0f} MB RSS, {server.peak_pss_mb:.0f} MB PSS"
                for server in servers
            )  # fmt: skip
            + "\n"
        )
    finally:
        for server in servers:
            server.stop()

    if not args.no_scale:
        print("running: the scale run", flush=True)
        report.append(scale_run(args.workers, duration, rounds, args.smoke))

    text = "\n".join(report)
    print("\n" + text)
    results_dir = BENCH / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / ("smoke.md" if args.smoke else "latest.md")).write_text(text)
    if any(NON_2XX):
        print(f"FAILED: {sum(NON_2XX)} commentsvc answers were not 2xx", file=sys.stderr)
        return 1
    print("every commentsvc answer was 2xx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
