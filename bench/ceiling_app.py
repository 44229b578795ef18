"""The framework's ceiling: Flask under the same gunicorn settings, answering a
constant JSON body of a given size (set by the benchmark through the environment)."""

import os

from flask import Flask, Response

app = Flask(__name__)
BODIES = {
    "thread": b'{"pad": "'
    + b"x" * max(0, int(os.environ.get("CEILING_THREAD_BYTES", "100")) - 11)
    + b'"}',
    "counts": b'{"pad": "'
    + b"x" * max(0, int(os.environ.get("CEILING_COUNTS_BYTES", "100")) - 11)
    + b'"}',
}


@app.get("/<name>")
def constant(name: str) -> Response:
    return Response(BODIES[name], mimetype="application/json")
