"""Posting alone: this checkout against another revision, alternating on one machine.

    bash bench/posting.sh                 # against the last commit (HEAD)
    bash bench/posting.sh f4df53f -r 5    # against any revision, 5 rounds
    bash bench/posting.sh f4df53f --read  # reading a 200-comment article instead

The other revision is checked out in a temporary git worktree and run by the same
virtual environment (its code first on PYTHONPATH). Each round starts each server
afresh on an empty data directory, warms it up for 3 s, then posts for 10 s with
`bench/lua/post.lua` (16 connections), the two in turn, alternating which goes
first. Prints requests/s and the CPU the whole process tree used per post (gunicorn
master, web workers, embedded Redis) for every round, then the
medians. CPU per post moves less than requests/s when the machine's speed changes.
With ``--read``, each server is first given an article with 200 approved comments,
which is then read (`bench/lua/request.lua`) instead of posting, and the peak PSS of
the process tree is printed too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import (  # noqa: E402
    ORIGIN,
    REPO,
    MemorySampler,
    process_tree,
    run_wrk,
    seed_commentsvc,
    start_commentsvc,
)

POST_ENV = {"BENCH_TARGET": "commentsvc", "BENCH_ORIGIN": ORIGIN, "BENCH_ARTICLE": "/posts"}
READ_ARTICLE = "/read/200"
READ_ENV = {"BENCH_PATH": f"/api/v1/comments?url={ORIGIN}{READ_ARTICLE}"}
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(root: int) -> float:
    """User and system CPU of a process tree, in seconds."""
    total = 0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def one_run(
    label: str, extra_env: dict[str, str], workers: int, duration: float, read: bool
) -> tuple[float, float, float]:
    """Requests/s, CPU ms per request and peak PSS (MB) of one server's run."""
    lua, env = ("request.lua", READ_ENV) if read else ("post.lua", POST_ENV)
    with tempfile.TemporaryDirectory(prefix="commentsvc-posting-") as data:
        server, token = start_commentsvc(label, workers, Path(data), extra_env)
        try:
            if read:
                seed_commentsvc(server, token, [(READ_ARTICLE, 200)])
            run_wrk(server, lua, env, 16, 3)
            before = cpu_seconds(server.process.pid)
            with MemorySampler(server) as memory:
                measured = run_wrk(server, lua, env, 16, duration)
            used = cpu_seconds(server.process.pid) - before
        finally:
            server.stop()
    if measured["non_2xx"] or measured["socket_errors"]:
        raise SystemExit(f"{label}: {measured['non_2xx']} answers were not 2xx")
    rate = measured["requests"] / measured["seconds"]
    return rate, used * 1000 / measured["requests"], memory.peak_pss


def medians(runs: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    rate, cpu, pss = (statistics.median(column) for column in zip(*runs, strict=True))
    return rate, cpu, pss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revision", nargs="?", default="HEAD", help="git revision to compare with")
    parser.add_argument("-r", "--rounds", type=int, default=3)
    parser.add_argument("-d", "--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--read", action="store_true", help="read a 200-comment article instead")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (bash bench/posting.sh installs it)")

    other = Path(tempfile.mkdtemp(prefix="commentsvc-rev-"))
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet",
                    str(other), args.revision], check=True)  # fmt: skip
    contenders = {args.revision: {"PYTHONPATH": str(other)}, "this checkout": {}}
    figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name in contenders}
    unit = "reads" if args.read else "posts"
    try:
        for round_number in range(args.rounds):
            names = list(contenders)
            for name in names if round_number % 2 == 0 else reversed(names):
                rate, cpu, pss = one_run(
                    name, contenders[name], args.workers, args.duration, args.read
                )
                figures[name].append((rate, cpu, pss))
                print(f"round {round_number + 1}  {name:>14}: {rate:7.1f} {unit}/s  "
                      f"{cpu:5.2f} ms CPU per {unit[:-1]}  peak PSS {pss:5.1f} MB",
                      flush=True)  # fmt: skip
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(other)],
                       check=False)  # fmt: skip
    print()
    base_rate, base_cpu, base_pss = medians(figures[args.revision])
    for name, runs in figures.items():
        rate, cpu, pss = medians(runs)
        print(
            f"median  {name:>14}: {rate:7.1f} {unit}/s ({rate / base_rate - 1:+.0%})  "
            f"{cpu:5.2f} ms CPU per {unit[:-1]} ({cpu / base_cpu - 1:+.0%})  "
            f"peak PSS {pss:5.1f} MB ({pss / base_pss - 1:+.0%})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
