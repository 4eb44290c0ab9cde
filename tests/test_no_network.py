"""The network guard of tests/conftest.py fires: in this process and in Python subprocesses,
for connections and DNS lookups, while localhost keeps working (so a green suite proves
that voc fetches no model or data at run time)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import urllib.request

import pytest

BLOCKED = socket.NetworkBlocked  # type: ignore[attr-defined]  # installed by tests/conftest.py
TEST_NET = ("192.0.2.1", 80)  # RFC 5737 documentation address: never routed


def test_create_connection_is_blocked() -> None:
    with pytest.raises(BLOCKED, match="192.0.2.1"):
        socket.create_connection(TEST_NET, timeout=1)


def test_connect_ex_and_udp_sendto_are_blocked() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(BLOCKED):
        s.connect_ex(TEST_NET)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u, pytest.raises(BLOCKED):
        u.sendto(b"\x00", ("8.8.8.8", 53))  # a DNS query by hand
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s6, pytest.raises(BLOCKED):
        s6.connect(("2001:db8::1", 443, 0, 0))


@pytest.mark.parametrize("resolve", [lambda: socket.getaddrinfo("huggingface.co", 443),
                                     lambda: socket.gethostbyname("pypi.org"),
                                     lambda: socket.gethostbyname_ex("example.com")],
                         ids=["getaddrinfo", "gethostbyname", "gethostbyname_ex"])
def test_dns_lookups_are_blocked(resolve) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BLOCKED, match="resolve"):
        resolve()


def test_http_clients_are_blocked() -> None:
    with pytest.raises(BLOCKED):
        urllib.request.urlopen("https://huggingface.co/api/models", timeout=2)


def test_localhost_still_works() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        t = threading.Thread(target=lambda: server.accept()[0].close())
        t.start()
        with socket.create_connection(("localhost", port), timeout=5):
            pass
        t.join(5)
    assert socket.getaddrinfo("localhost", port)


@pytest.mark.parametrize("code", [
    "import socket; socket.create_connection(('192.0.2.1', 80), timeout=1)",
    "import socket; socket.getaddrinfo('huggingface.co', 443)",
    "import urllib.request; urllib.request.urlopen('http://example.com', timeout=2)",
], ids=["connect", "dns", "urllib"])
def test_python_subprocesses_inherit_the_guard(code: str) -> None:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "NetworkBlocked" in proc.stderr and "voc must run offline" in proc.stderr


def test_subprocess_guard_follows_the_environment() -> None:
    """The guard is the environment's doing (what a child inherits), not the child's code."""
    assert os.environ["VOC_TEST_NO_NETWORK"] == "1"
    env = {**os.environ, "VOC_TEST_NO_NETWORK": "0"}
    code = "import socket; print(hasattr(socket, 'NetworkBlocked'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert out.stdout.strip() == "False"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "True"


def test_voc_import_forces_hub_libraries_offline() -> None:
    code = "import voc, os; print(os.environ['HF_HUB_OFFLINE'], os.environ['TRANSFORMERS_OFFLINE'])"
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.stdout.split() == ["1", "1"], out.stderr
