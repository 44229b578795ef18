"""The framework's ceiling: Flask under the same gunicorn settings, answering a
constant JSON body of a given size (set by the benchmark through the environment).

With CEILING_CORE_LIBRARIES set it also imports, and never uses, the libraries
commentsvc is built on: its memory is what a worker weighs before any of the
service's own code."""

import importlib
import os

from flask import Flask, Response

CORE_LIBRARIES = ("sqlalchemy.orm", "sqlalchemy.dialects.sqlite", "redis", "marshmallow",
                  "email_validator")  # fmt: skip
if os.environ.get("CEILING_CORE_LIBRARIES"):
    for library in CORE_LIBRARIES:
        importlib.import_module(library)

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
