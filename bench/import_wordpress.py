"""How long `commentsvc import --from wordpress` takes for a big blog.

    .venv/bin/python bench/import_wordpress.py [--comments 12000] [--database-url URL]

Generates a WXR export (posts with reply threads three deep, every status), imports
it into a fresh SQLite database (or the given one, which should be empty), imports it
again (adds nothing), and prints the times and the command's report.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.importers.exports import big_blog, wxr  # noqa: E402

COMMENTS_PER_POST = 40


def run(env: dict[str, str], export: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "commentsvc"), "import", "--from", "wordpress",
         str(export)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return time.perf_counter() - started, done.stderr.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=12_000)
    parser.add_argument("--database-url")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        export = workdir / "big.xml"
        posts = max(1, arguments.comments // COMMENTS_PER_POST)
        export.write_bytes(wxr(big_blog(posts, COMMENTS_PER_POST, "https://blog.example.com")))
        env = {**os.environ, "COMMENTSVC_DATA_DIR": str(workdir)}
        env.pop("COMMENTSVC_REDIS_URL", None)
        if arguments.database_url:
            env["COMMENTSVC_DATABASE_URL"] = arguments.database_url
        size = export.stat().st_size / 2**20
        print(f"export: {posts * COMMENTS_PER_POST:,} comments on {posts} posts, {size:.1f} MiB")
        first, report = run(env, export)
        print(f"first import: {first:.1f} s\n  " + report.replace("\n", "\n  "))
        second, report = run(env, export)
        print(f"second import (adds nothing): {second:.1f} s\n  " + report.replace("\n", "\n  "))


if __name__ == "__main__":
    main()
