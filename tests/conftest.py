"""Shared fixtures. No test may reach the network: sockets to the outside are blocked
for the whole session, which proves that no model or data is fetched at run time."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("VOC_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def shared_path(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test with a clear reason."""
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"needs the labeled data set {'/'.join(parts)} from ../shared/data (not present here)")
    return p


class NetworkBlocked(RuntimeError):
    pass


@pytest.fixture(autouse=True, scope="session")
def _no_network():
    real_connect = socket.socket.connect

    def guarded(self, address):  # type: ignore[no-untyped-def]
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0] if isinstance(address, tuple) else address
            if host not in ("127.0.0.1", "::1", "localhost"):
                raise NetworkBlocked(f"test tried to connect to {address!r}: voc must run offline")
        return real_connect(self, address)

    socket.socket.connect = guarded  # type: ignore[method-assign]
    yield
    socket.socket.connect = real_connect  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def sample_frame():
    from voc.datasets import make_feedback

    return make_feedback(n=240, random_state=1)


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
