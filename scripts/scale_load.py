"""The load and the checks of scripts/scale.sh.

Reader threads (keep-alive connections through the load balancer) read threads and
counts 95 % of the time and post 5 %; moderator threads claim from the queue through
the API and decide. Meanwhile scale.sh breaks things and notes when in an events
file (``EPOCH NAME`` lines). When the load is over (and the failures are done), the
checks: every comment answered 202 is in the database and on the queue or decided,
none decided twice, every approved one on its page; then the figures per failure.
Exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import create_engine, text

from commentsvc.moderation.queue import ENTRIES
from commentsvc.store.redis_client import make_redis

SITE = "https://news.example.com"
POST_SHARE = 0.05
COUNTS_SHARE = 0.10  # of the reads
# The phases scale.sh notes in the events file: name, first and last event.
FAILURES = {
    "one app instance SIGKILLed (two left)": ("instance_killed", "redis_primary_killed"),
    "Redis primary SIGKILLed, until the Sentinels promoted the replica": (
        "redis_primary_killed",
        "redis_promoted",
    ),
    "the killed instance starting again, until it answers": (
        "instance_restarting",
        "instance_restarted",
    ),
}


@dataclass
class Answer:
    kind: str  # read, post, queue, decide
    started: float
    ended: float
    status: int  # 0: no HTTP answer at all


@dataclass
class Results:
    answers: list[Answer] = field(default_factory=list)
    accepted: dict[int, str] = field(default_factory=dict)  # comment id: article
    decisions: dict[int, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    """One keep-alive connection, opened again after any failure."""

    def __init__(self, base: str, token: str | None = None) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=15)
            self.connection.request(method, path, data, headers)
            response = self.connection.getresponse()
            payload = response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            try:
                return response.status, json.loads(payload) if payload else None
            except ValueError:
                return response.status, None
        except (OSError, http.client.HTTPException):
            self.close()
            return 0, None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def article(number: int) -> str:
    return f"{SITE}/2026/story-{number}"


def timed(results: Results, kind: str, call: Any) -> tuple[int, Any]:
    started = time.time()
    status, body = call()
    with results.lock:
        results.answers.append(Answer(kind, started, time.time(), status))
    return status, body


def reader(base: str, articles: int, running: threading.Event, results: Results, seed: int) -> None:
    rng = random.Random(seed)
    client = Client(base)
    while running.is_set():
        url = article(rng.randrange(articles))
        if rng.random() < POST_SHARE:
            n = rng.randrange(10**9)
            payload = {
                "url": url,
                "name": f"Reader {n}",
                "email": f"reader{n}@example.org",
                "body": f"Comment {n} on this story, posted under load.",
            }
            status, body = timed(
                results, "post", lambda p=payload: client.request("POST", "/api/v1/comments", p)
            )
            if status == 202:
                with results.lock:
                    results.accepted[body["id"]] = url
        elif rng.random() < COUNTS_SHARE:
            urls = [article(rng.randrange(articles)) for _ in range(5)]
            query = urlencode([("url", u) for u in urls])
            path = f"/api/v1/counts?{query}"
            timed(results, "read", lambda p=path: client.request("GET", p))
        else:
            query = urlencode({"url": url})
            path = f"/api/v1/comments?{query}"
            timed(results, "read", lambda p=path: client.request("GET", p))
    client.close()


def moderator(
    base: str, token: str, name: str, running: threading.Event, results: Results, seed: int
) -> None:
    rng = random.Random(seed)
    client = Client(base, token)
    while running.is_set():
        status, body = timed(
            results, "queue", lambda: client.request("GET", "/api/v1/moderation/queue?limit=20")
        )
        for item in body["comments"] if status == 200 else []:
            action = "approve" if rng.random() < 0.8 else "reject"
            path = f"/api/v1/moderation/comments/{item['id']}"
            answer, decided = timed(
                results, "decide", lambda p=path, a=action: client.request("POST", p, {"action": a})
            )
            if answer == 200:
                with results.lock:
                    results.decisions[item["id"]].append((name, decided["status"]))
        time.sleep(0.25)
    client.close()


def read_events(path: Path) -> dict[str, float]:
    events = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        moment, _, name = line.partition(" ")
        events[name.strip()] = float(moment)
    return events


def run_load(args: argparse.Namespace, results: Results) -> dict[str, float]:
    running = threading.Event()
    running.set()
    threads = [
        threading.Thread(target=reader, args=(args.base, args.articles, running, results, n))
        for n in range(args.readers)
    ]
    for n, token in enumerate(args.tokens.split(",")):
        name = f"moderator-{n}"
        threads.append(
            threading.Thread(
                target=moderator, args=(args.base, token, name, running, results, 1000 + n)
            )
        )
    started = time.time()
    for thread in threads:
        thread.start()
    # The load ends after --duration, and not before scale.sh is done breaking things
    # (on a slow machine a fail-over or a restart takes longer): at most 3 minutes more.
    while time.time() < started + args.duration or (
        "schedule_done" not in read_events(args.events)
        and time.time() < started + args.duration + 180
    ):
        time.sleep(0.5)
    running.clear()
    for thread in threads:
        thread.join()
    events = read_events(args.events)
    events["load_started"], events["load_ended"] = started, time.time()
    return events


def wait_for(check: Any, timeout: float) -> Any:
    """``check()`` until it finds nothing wrong (an empty answer) or time is up."""
    deadline = time.monotonic() + timeout
    while True:
        wrong = check()
        if not wrong or time.monotonic() > deadline:
            return wrong
        time.sleep(1)


def check_data(args: argparse.Namespace, results: Results) -> list[str]:
    failures = []
    engine = create_engine(args.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    accepted = sorted(results.accepted)
    with engine.connect() as connection:
        stored = {
            row.id: (row.status, row.url)
            for row in connection.execute(
                text(
                    "SELECT comments.id, comments.status, threads.url FROM comments"
                    " JOIN threads ON threads.id = comments.thread_id"
                )
            )
        }
        audit = connection.execute(
            text(
                "SELECT comment_id, count(*) AS n FROM audit_events WHERE action IN"
                " ('approved', 'rejected', 'spam') AND actor NOT LIKE 'rule:%'"
                " GROUP BY comment_id HAVING count(*) > 1"
            )
        ).all()
    missing = [cid for cid in accepted if cid not in stored]
    print(f"comments answered 202: {len(accepted)}; in PostgreSQL: {len(accepted) - len(missing)}")
    if missing:
        failures.append(
            f"{len(missing)} comments answered 202 are not in PostgreSQL: {missing[:10]}"
        )

    redis = make_redis(args.redis_url, 5.0)

    def not_queued() -> list[int]:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id FROM comments WHERE status = 'pending'"))
            pending = [row.id for row in rows if row.id in results.accepted]
        if not pending:
            return []
        entries = redis.hmget(ENTRIES, pending)
        return [cid for cid, entry in zip(pending, entries, strict=True) if entry is None]

    # Pending comments that missed the queue (Redis down) are pushed again by each
    # instance's requeue pass: give it a few intervals.
    lost = wait_for(not_queued, args.requeue_seconds * 3 + 10)
    decided = sum(1 for cid in accepted if stored.get(cid, ("pending",))[0] != "pending")
    queued = len(accepted) - decided - len(lost) - len(missing)
    print(
        f"decided: {decided}; pending and on the queue: {queued}"
        f"; pending and not on the queue: {len(lost)}"
    )
    if lost:
        failures.append(f"{len(lost)} pending comments never reached the queue: {lost[:10]}")

    twice = {cid: answers for cid, answers in results.decisions.items() if len(answers) > 1}
    print(
        f"decision answers: {sum(map(len, results.decisions.values()))} for "
        f"{len(results.decisions)} comments; decided twice: {len(twice)} (answers), "
        f"{len(audit)} (audit_events)"
    )
    if twice:
        failures.append(f"{len(twice)} comments were decided twice: {list(twice.items())[:5]}")
    if audit:
        failures.append(
            f"audit_events has two decisions for comments {[r.comment_id for r in audit][:10]}"
        )

    client = Client(args.base)

    def wrong_pages() -> list[str]:
        with engine.connect() as connection:
            approved: dict[str, set[int]] = defaultdict(set)
            rows = connection.execute(
                text(
                    "SELECT comments.id, threads.url FROM comments JOIN threads"
                    " ON threads.id = comments.thread_id WHERE comments.status = 'approved'"
                )
            )
            for row in rows:
                approved[row.url].add(row.id)
        wrong = []
        for number in range(args.articles):
            url = article(number)
            status, body = client.request("GET", f"/api/v1/comments?{urlencode({'url': url})}")
            shown = {c["id"] for c in body["comments"]} if status == 200 else set()
            expected = approved.get(url, set())
            if status != 200 or shown != expected:
                wrong.append(
                    f"{url}: {len(expected - shown)} approved missing, "
                    f"{len(shown - expected)} shown but not approved"
                )
        return wrong

    # Cached pages settle within the workers' trust deadline (seconds).
    pages = wait_for(wrong_pages, 30)
    print(f"articles whose page differs from the approved comments in PostgreSQL: {len(pages)}")
    failures += [f"page wrong after the caches settled: {page}" for page in pages]
    engine.dispose()
    return failures


def longest_gap(moments: list[float], start: float, end: float) -> float:
    edges = [start, *[m for m in moments if start <= m <= end], end]
    return max(b - a for a, b in zip(edges, edges[1:], strict=False))


def errors_of(answers: list[Answer]) -> str:
    """'N, errors E (P %), n × STATUS...': what failed, and how."""
    statuses = Counter(a.status for a in answers if a.status not in (200, 202))
    errors = sum(statuses.values())
    shown = "".join(f", {n} × {status or 'no answer'}" for status, n in statuses.items())
    return f"{len(answers)}, errors {errors} ({100 * errors / max(1, len(answers)):.2f} %){shown}"


def figures(results: Results, events: dict[str, float]) -> list[str]:
    failures = []
    answers = sorted(results.answers, key=lambda a: a.ended)
    duration = events["load_ended"] - events["load_started"]
    reads = [a for a in answers if a.kind == "read"]
    posts = [a for a in answers if a.kind == "post"]
    ok_reads = [a for a in reads if a.status == 200]
    print(
        f"\nload: {duration:.0f} s, {len(answers)} requests, {len(answers) / duration:.0f}/s; "
        f"reads {len(reads)} ({len(ok_reads) / duration:.0f}/s ok), posts {len(posts)} "
        f"({sum(a.status == 202 for a in posts)} answered 202), decisions "
        f"{sum(a.kind == 'decide' for a in answers)}"
    )
    latencies = sorted(a.ended - a.started for a in ok_reads)
    if latencies:

        def pct(p: float) -> float:
            return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

        print(f"read latency: p50 {pct(0.5):.1f} ms, p99 {pct(0.99):.1f} ms, max {pct(1):.1f} ms")
    print(f"reads over the whole run: {errors_of(reads)}")
    for name, (begin, end) in FAILURES.items():
        if begin not in events or end not in events:
            failures.append(f"{name}: the failure was not carried out ({begin}/{end} missing)")
            continue
        start, stop = events[begin], events[end]
        window = [a for a in answers if start <= a.ended <= stop]
        print(f"{name}: {stop - start:.1f} s")
        for kind in ("read", "post", "queue"):
            print(f"  {kind}s {errors_of([a for a in window if a.kind == kind])}")
        gap = longest_gap([a.ended for a in ok_reads], start, stop)
        print(f"  longest gap between successful reads: {gap * 1000:.0f} ms")
        for kind, ok in (("read", 200), ("post", 202), ("queue", 200)):
            first = next(
                (a for a in answers if a.kind == kind and a.started >= start and a.status == ok),
                None,
            )
            if first is None:
                failures.append(f"{name}: no {kind} succeeded after it")
            else:
                print(
                    f"  time to recover ({kind}s): first success {first.ended - start:.2f} s after"
                )
    return failures


def resources(args: argparse.Namespace) -> None:
    """What the run holds in PostgreSQL and Redis, for sizing (docs/scaling.md)."""
    engine = create_engine(args.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        connections = connection.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        )
        comments = connection.scalar(text("SELECT count(*) FROM comments"))
    engine.dispose()
    redis = make_redis(args.redis_url, 5.0)
    memory = redis.info("memory")
    print(
        f"PostgreSQL connections open (3 instances x 2 workers, plus this check): {connections}; "
        f"comments stored: {comments}"
    )
    print(
        f"Redis primary: {memory['used_memory'] / 2**20:.1f} MB used "
        f"({memory['used_memory_dataset'] / 2**20:.1f} MB of data), {redis.dbsize()} keys"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True, help="the load balancer, http://127.0.0.1:PORT")
    parser.add_argument("--tokens", required=True, help="moderator tokens, comma separated")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--events", type=Path, required=True)
    parser.add_argument("--duration", type=float, default=90)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--requeue-seconds", type=float, default=5)
    args = parser.parse_args()

    results = Results()
    events = run_load(args, results)
    failures = figures(results, events)
    resources(args)
    print("\nchecks:")
    failures += check_data(args, results)
    for failure in failures:
        print(f"FAILED: {failure}")
    print("all checks passed" if not failures else f"{len(failures)} checks failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
