"""Shared fixtures. No test may reach the network: connections and DNS lookups to
anything but localhost are blocked from pytest's start (collection included) to its end,
in this process and in Python subprocesses the tests start, which proves that no model
or data is fetched at run time.

What the guard covers: ``socket.connect``/``connect_ex``/``sendto``/``sendmsg`` on
AF_INET/AF_INET6 sockets (so ``create_connection``, http.client, urllib, requests and
asyncio), and name resolution (``getaddrinfo``, ``gethostbyname[_ex]``). Subprocesses:
``VOC_TEST_NO_NETWORK=1`` and a ``sitecustomize`` on ``PYTHONPATH`` install the same guard
in any Python child that keeps the environment. Not covered: native code that opens its
own sockets (a C/Rust HTTP client), non-Python subprocesses, and Python children started
with ``-I``/``-S`` or a scrubbed environment; CI can close those gaps by running the suite
in a network namespace (``unshare -rn``).
"""

from __future__ import annotations

import inspect
import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("VOC_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def shared_path(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test with a clear reason."""
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"needs the labeled data set {'/'.join(parts)} from ../shared/data (not present here)")
    return p


def install_network_guard() -> dict:  # type: ignore[type-arg]
    """Block non-local connections and DNS in this interpreter; returns what it replaced.
    Self-contained (its source is also written into the subprocesses' sitecustomize)."""
    import ipaddress
    import socket

    class NetworkBlocked(RuntimeError):
        pass

    local_names = {"localhost", "localhost.localdomain", "ip6-localhost", "", socket.gethostname().lower()}

    def is_local(host: object) -> bool:
        if host is None:
            return True
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        host = str(host).split("%")[0]
        if host.lower() in local_names:
            return True
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return False
        return ip.is_loopback or ip.is_unspecified

    def check(sock: socket.socket, address: object) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0] if isinstance(address, tuple) else address
            if not is_local(host):
                raise NetworkBlocked(f"test tried to connect to {address!r}: voc must run offline")

    cls = socket.socket
    real = {"connect": cls.connect, "connect_ex": cls.connect_ex, "sendto": cls.sendto, "sendmsg": cls.sendmsg,
            "getaddrinfo": socket.getaddrinfo, "gethostbyname": socket.gethostbyname,
            "gethostbyname_ex": socket.gethostbyname_ex}

    def connect(self, address):  # type: ignore[no-untyped-def]
        check(self, address)
        return real["connect"](self, address)

    def connect_ex(self, address):  # type: ignore[no-untyped-def]
        check(self, address)
        return real["connect_ex"](self, address)

    def sendto(self, data, *args):  # type: ignore[no-untyped-def]
        check(self, args[-1])
        return real["sendto"](self, data, *args)

    def sendmsg(self, buffers, ancdata=(), flags=0, address=None):  # type: ignore[no-untyped-def]
        if address is not None:
            check(self, address)
            return real["sendmsg"](self, buffers, ancdata, flags, address)
        return real["sendmsg"](self, buffers, ancdata, flags)

    def resolver(name):  # type: ignore[no-untyped-def]
        def guarded(host, *args, **kwargs):  # type: ignore[no-untyped-def]
            if not is_local(host):
                raise NetworkBlocked(f"test tried to resolve {host!r}: voc must run offline")
            return real[name](host, *args, **kwargs)
        return guarded

    cls.connect, cls.connect_ex, cls.sendto, cls.sendmsg = connect, connect_ex, sendto, sendmsg  # type: ignore[method-assign]
    socket.getaddrinfo = resolver("getaddrinfo")  # type: ignore[assignment]
    socket.gethostbyname = resolver("gethostbyname")  # type: ignore[assignment]
    socket.gethostbyname_ex = resolver("gethostbyname_ex")  # type: ignore[assignment]
    socket.NetworkBlocked = NetworkBlocked  # type: ignore[attr-defined]  # so tests can catch it by name
    return real


def _uninstall_network_guard(real: dict) -> None:  # type: ignore[type-arg]
    for name in ("connect", "connect_ex", "sendto", "sendmsg"):
        setattr(socket.socket, name, real[name])
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex"):
        setattr(socket, name, real[name])


_GUARD: dict = {}  # type: ignore[type-arg]


def pytest_configure(config: pytest.Config) -> None:
    """Install the guard before collection (test modules may build data at import) and
    hand it to Python subprocesses through a sitecustomize on PYTHONPATH."""
    if _GUARD:
        return
    _GUARD["real"] = install_network_guard()
    site = Path(tempfile.mkdtemp(prefix="voc-noNet-"))
    (site / "sitecustomize.py").write_text(
        "import os\n\n" + inspect.getsource(install_network_guard)
        + "\n\nif os.environ.get('VOC_TEST_NO_NETWORK') == '1':\n    install_network_guard()\n",
        encoding="utf-8")
    _GUARD["site"] = site
    _GUARD["env"] = {k: os.environ.get(k) for k in ("PYTHONPATH", "VOC_TEST_NO_NETWORK", "VOC_CACHE_DIR")}
    os.environ["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])])
    os.environ["VOC_TEST_NO_NETWORK"] = "1"
    # one embedding cache per test session: a run never reads what an earlier run (or
    # the user's own ~/.cache/voc) left behind, so a stale entry cannot make a test pass
    os.environ["VOC_CACHE_DIR"] = str(site / "cache")


def pytest_unconfigure(config: pytest.Config) -> None:
    if not _GUARD:
        return
    _uninstall_network_guard(_GUARD.pop("real"))
    for k, v in _GUARD.pop("env").items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    shutil.rmtree(_GUARD.pop("site"), ignore_errors=True)


@pytest.fixture(scope="session")
def sample_frame():
    """The session's synthetic sample. The report tests need pain points and strengths whose
    interval excludes zero; each score is carried by one channel only (a few dozen scored rows
    per discovered theme), so a 240-row sample with the documented effects gave 0-2 pains and
    0-1 strengths depending on the seed and small pipeline changes. 600 rows with the planted
    effects doubled give 5-9 pains and 3-7 strengths over generator seeds 1-4 and pipeline
    seeds 0-3; the fit costs a few seconds more (its fixed costs dominate)."""
    from voc.datasets import make_feedback

    return make_feedback(n=600, random_state=1, effect_scale=2.0)


@pytest.fixture(scope="session")
def sample_mapping():
    from voc.io.mapping import ColumnMapping, ScoreSpec

    return ColumnMapping(text="text", id="id", date="date", channel="channel", segments=["segment"],
                         scores=[ScoreSpec("nps", "nps"), ScoreSpec("stars", "stars"), ScoreSpec("csat", "csat")])


@pytest.fixture(scope="session")
def fitted(sample_frame, sample_mapping, tmp_path_factory):
    """One analyzed sample for the whole session: (analyzer, analysis, output dir)."""
    from voc.pipeline import Analyzer

    analyzer = Analyzer(mapping=sample_mapping)
    analysis = analyzer.fit_transform(sample_frame)
    out = tmp_path_factory.mktemp("sample-out")
    analysis.write(out, analyzer=analyzer)
    return analyzer, analysis, out
