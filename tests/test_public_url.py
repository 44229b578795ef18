"""COMMENTSVC_PUBLIC_URL: what `commentsvc serve` tells a site owner about its address."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from commentsvc.runtime.embedded_redis import free_port
from tests.test_cli import embedded_env, http

WARNING = "COMMENTSVC_PUBLIC_URL is not set but the service listens on"


def serve_once(tmp_path: Path, host: str, public_url: str | None = None) -> tuple[str, str, int]:
    """Start the real `commentsvc serve`, wait until it answers, stop it; its stdout,
    stderr and port."""
    env = embedded_env(tmp_path / "data", WORKERS="1", PUBLIC_URL=public_url or None)
    port = free_port()
    server = subprocess.Popen(
        ["commentsvc", "serve", "--host", host, "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if http("GET", f"http://127.0.0.1:{port}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        stdout, stderr = server.communicate(timeout=30)
    return stdout, stderr, port


def test_listening_on_every_address_without_a_public_url_warns_in_banner_and_log(
    tmp_path: Path,
) -> None:
    stdout, stderr, port = serve_once(tmp_path, "0.0.0.0")

    assert WARNING + " 0.0.0.0" in stdout
    assert f"WARNING commentsvc.runtime.server: {WARNING} 0.0.0.0" in stderr
    assert f'<script src="http://localhost:{port}/embed.js" async></script>' in stdout


@pytest.mark.parametrize(
    ("host", "public_url"),
    [("127.0.0.1", None), ("0.0.0.0", "https://comments.example.com/c/")],
    ids=["loopback", "public-url-set"],
)
def test_the_public_url_is_the_snippet_and_silences_the_warning(
    tmp_path: Path, host: str, public_url: str | None
) -> None:
    stdout, stderr, port = serve_once(tmp_path, host, public_url)

    base = "https://comments.example.com/c" if public_url else f"http://localhost:{port}"
    assert f'<script src="{base}/embed.js" async></script>' in stdout
    assert f"Moderate at {base}/moderate" in stdout
    assert WARNING not in stdout and WARNING not in stderr
    # The first token is still the last line.
    assert len(stdout.strip().splitlines()[-1]) >= 40
