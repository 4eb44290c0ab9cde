"""Fixtures for the store tests: the session's fitted model and small, fast inputs."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from tests.store.feedback import short_feedback


@pytest.fixture(scope="session")
def model_dir(fitted) -> Path:
    """The model saved by the session's one fit (tests/conftest.py ``fitted``). Read only."""
    return fitted[2] / "model"


@pytest.fixture(scope="session")
def make_input(tmp_path_factory):
    """``make_input(n, seed)`` -> a CSV path of short generated feedback (cached per session)."""
    root = tmp_path_factory.mktemp("store-inputs")

    @functools.cache
    def make(n: int, seed: int = 7) -> Path:
        p = root / f"feedback-{n}-{seed}.csv"
        short_feedback(n, seed).to_csv(p, index=False)
        return p

    return make


@pytest.fixture
def transform_spy(monkeypatch):
    """Counts the documents every ``Analyzer.transform`` call is given."""
    from voc.pipeline import Analyzer

    calls: list[int] = []
    real = Analyzer.transform

    def spy(self, data):  # type: ignore[no-untyped-def]
        calls.append(len(data.frame) if hasattr(data, "frame") else len(data))
        return real(self, data)

    monkeypatch.setattr(Analyzer, "transform", spy)
    return calls


@pytest.fixture(scope="session")
def pg_server():
    """A throw-away PostgreSQL cluster for the session (tests/store/pgserver.py); the
    PostgreSQL-backed tests skip, saying why, when the server or psycopg is missing."""
    from tests.store.pgserver import Server, binaries

    if binaries() is None:
        pytest.skip("PostgreSQL is not installed (Debian's postgresql package; .ci/run installs it)")
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'voc[postgres]')")
    server = Server().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["duckdb", "postgres"])
def store_target(request, tmp_path):
    """The same test against both stores: a DuckDB file, or a fresh schema on the session's
    PostgreSQL server."""
    if request.param == "duckdb":
        return str(tmp_path / "s.duckdb")
    server = request.getfixturevalue("pg_server")
    return f"{server.url}&schema=t_{tmp_path.name[-24:].lower().replace('-', '_')}"
