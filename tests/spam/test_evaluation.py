"""`commentsvc spam evaluate`, and memory: posting and learning load no scikit-learn."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROWS = [
    ("Check out my channel and subscribe http://www.mychannel.example free gift cards", "spam"),
    ("subscribe to my channel for FREE iphone http://win.example", "1"),
    ("Thanks, this explained the proof well.", "ham"),
    ("I listened to this song every day this summer", "0"),
]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("COMMENTSVC_")}  # fmt: skip
    environment["COMMENTSVC_DATA_DIR"] = str(cwd)
    return subprocess.run(["commentsvc", *args], capture_output=True, text=True, cwd=cwd,
                          env=environment, timeout=120)  # fmt: skip


def test_evaluate_prints_precision_recall_and_the_confusion_matrix(tmp_path: Path) -> None:
    labelled = tmp_path / "labelled.csv"
    lines = ["text,label,author"] + [f'"{text}",{label},Someone' for text, label in ROWS]
    labelled.write_text("\n".join(lines) + "\n")

    done = _run("spam", "evaluate", str(labelled), cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert "4 comments, threshold 0.9" in done.stdout
    assert "precision 1.000" in done.stdout
    assert "recall    1.000" in done.stdout
    assert "labelled spam            2                 0" in done.stdout
    assert "labelled ham             0                 2" in done.stdout
    assert "shipped model" in done.stderr


def test_evaluate_names_the_line_of_a_bad_label(tmp_path: Path) -> None:
    labelled = tmp_path / "labelled.csv"
    labelled.write_text("text,label\nfine,0\nodd,maybe\n")

    done = _run("spam", "evaluate", str(labelled), cwd=tmp_path)

    assert done.returncode == 1
    assert "line 3: label 'maybe' is not 1/0 or spam/ham" in done.stderr


def test_posting_and_learning_load_no_numerical_library(
    redis_url: str, database_url: str, tmp_path: Path
) -> None:
    script = f"""
import sys
from commentsvc import create_app
app = create_app({{"redis_url": {redis_url!r}, "database_url": {database_url!r},
                  "data_dir": {str(tmp_path)!r}, "secret_key": "test"}})
client = app.test_client()
answer = client.post("/api/v1/comments", json={{"url": "https://blog.example.com/a",
    "name": "Ada", "email": "ada@example.com", "body": "Check out my channel"}})
assert answer.status_code == 202, answer.json
from commentsvc.spam.learning import SpamLearner, learn_from
from commentsvc.comments.models import Comment
dependencies = app.extensions["commentsvc"]
with dependencies.database.sessions() as session:
    learn_from(session, session.get(Comment, answer.json["id"]), spam=True)
    session.commit()
assert SpamLearner(dependencies.database.sessions, dependencies.redis).run_once() == 1
learners = {{"sklearn", "numpy", "scipy"}}
print(sorted(name for name in sys.modules if name.split(".")[0] in learners))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
