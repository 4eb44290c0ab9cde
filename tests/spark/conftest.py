"""Spark tests need pyspark (pip install 'voc[spark]') and Java 17; they skip with the reason otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def model_dir(fitted) -> Path:
    return fitted[2] / "model"


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install 'voc[spark]'")
    if shutil.which("java") is None:
        pytest.skip("no java on PATH: Spark needs Java 17 (apt-get install openjdk-17-jre-headless)")
    import voc.spark

    session = voc.spark.session("local[2]", conf={"spark.sql.shuffle.partitions": "4"})
    yield session
    session.stop()
