"""A throw-away PostgreSQL server for the store tests: Debian's ``postgresql`` package
(``.ci/run`` installs it when absent), a cluster in a temporary directory listening on a
unix socket only, run as the ``postgres`` user when the tests run as root."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def binaries() -> Path | None:
    """The directory holding initdb and pg_ctl (Debian keeps them off PATH), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class Server:
    """``Server().start()`` → a running cluster; :attr:`url` connects as ``postgres``."""

    def __init__(self, fsync: bool = False) -> None:
        self.fsync = fsync  # off for tests (the server is never killed); on for benchmarks
        self.bin = binaries()
        self.root = Path(tempfile.mkdtemp(prefix="voc-pg-"))
        self.data = self.root / "data"
        self.url = ""

    def _run(self, *cmd: str) -> None:
        argv = [str(self.bin / cmd[0]), *cmd[1:]]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            argv = ["runuser", "-u", "postgres", "--", *argv]
        subprocess.run(argv, check=True, capture_output=True, text=True, cwd=self.root)

    def start(self) -> "Server":
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed (Debian's postgresql package)")
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        fsync = "on" if self.fsync else "off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-o",
                  f"-k {self.root} -c listen_addresses='' -c fsync={fsync}", "start")
        self.url = f"postgresql://postgres@/postgres?host={self.root}"
        return self

    def stop(self) -> None:
        try:
            if self.data.exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
