"""Paths as outputs record them: portable, never absolute.

run.json and saved models travel (shared drives, tickets, other machines); an absolute
path leaks a user name and a directory layout and means nothing elsewhere. A file is
named ``voc:configs/…`` when it ships with voc, relative to the working directory when
it lies under it, else by its name; ``traced`` adds the file's SHA-256 so a run still
says exactly which file it used.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

DIGEST = "@sha256:"


def portable(path: str | Path) -> str:
    """``path`` as ``voc:configs/x.yaml``, ``sub/x.yaml`` (under the cwd) or ``x.yaml``."""
    from voc.config import resource_path

    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    real = p.resolve()
    for shipped in ("configs", "models"):
        base = Path(resource_path(shipped)).resolve()
        if real.is_relative_to(base):
            return f"voc:{shipped}/{real.relative_to(base).as_posix()}"
    cwd = Path.cwd().resolve()
    if real.is_relative_to(cwd):
        return real.relative_to(cwd).as_posix()
    return p.name


def sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def traced(path: str | Path) -> str:
    """``portable(path)@sha256:<hex>``: where the file was and exactly what it held."""
    return f"{portable(path)}{DIGEST}{sha256(path)}"


def split_traced(source: str) -> tuple[str, str | None]:
    """(name, sha256 or None) of a ``traced`` string."""
    name, sep, digest = source.partition(DIGEST)
    return (name, digest) if sep else (source, None)


def portable_values(value: Any) -> Any:
    """``value`` (JSON-like) with every absolute-path string made ``portable``."""
    if isinstance(value, dict):
        return {k: portable_values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [portable_values(v) for v in value]
    if isinstance(value, Path) or (isinstance(value, str) and len(value) > 1 and os.path.isabs(value)
                                   and "\n" not in value):
        return portable(value)
    return value
