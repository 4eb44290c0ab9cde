"""Make umap-learn's numba kernels compile once per machine instead of once per process.

umap-learn declares none of its ``numba.njit`` kernels with ``cache=True``, so every
fresh ``voc analyze`` spent most of its themes stage compiling them (a profile; the
speed-up shows in benchmarks/results/themes.json ``scale``; pynndescent caches its own). While umap is
imported and fitted we default ``cache=True`` on ``numba.njit``, which stores the
machine code where numba normally does (``__pycache__`` next to the source, else its
user-wide cache dir, else ``$NUMBA_CACHE_DIR``). The compiled code is the same, so
results are bit-identical; a location numba cannot write to only means compiling as
before.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

_LOCK = threading.RLock()


def _with_cache(njit: Callable[..., Any]) -> Callable[..., Any]:
    def compile_cached(func: Callable[..., Any], sig: tuple[Any, ...], kw: dict[str, Any]) -> Any:
        try:
            return njit(*sig, cache=True, **kw)(func)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return njit(*sig, **kw)(func)

    def patched(*args: Any, **kw: Any) -> Any:
        if "cache" in kw:
            return njit(*args, **kw)
        if args and callable(args[0]):  # @numba.njit without arguments, or njit(func, ...)
            return compile_cached(args[0], args[1:], kw)
        return lambda func: compile_cached(func, args, kw)  # @numba.njit("sig", ...)

    return patched


@contextlib.contextmanager
def cached_jit() -> Iterator[None]:
    """Within this block, ``numba.njit`` caches compiled code on disk by default."""
    import numba

    with _LOCK:
        original = numba.njit
        numba.njit = _with_cache(original)
        try:
            yield
        finally:
            numba.njit = original


def import_umap() -> ModuleType:
    """``import umap`` with its kernels cached (a no-op if umap was imported already)."""
    with cached_jit():
        import umap

    return umap
