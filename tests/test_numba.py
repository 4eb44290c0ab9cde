"""voc caches umap-learn's numba kernels on disk (they would recompile in every process)."""

from __future__ import annotations

import numba

from voc._numba import cached_jit


def _plus_one(v: int) -> int:
    return v + 1


def test_cached_jit_turns_caching_on_and_restores_numba() -> None:
    original = numba.njit
    with cached_jit():
        bare = numba.njit(_plus_one)
        called = numba.njit()(_plus_one)
        typed = numba.njit("i8(i8)")(_plus_one)
        opted_out = numba.njit(cache=False)(_plus_one)
    assert numba.njit is original
    for f in (bare, called, typed):
        assert type(f._cache).__name__ == "FunctionCache"
    assert type(opted_out._cache).__name__ == "NullCache"  # an explicit choice is kept
    assert typed(41) == 42 and bare(1) == 2


def test_uncacheable_functions_still_compile() -> None:
    """A function numba cannot cache (defined at run time in a closure) is compiled
    as before rather than failing."""
    offset = 3

    def closure(v: int) -> int:
        return v + offset

    with cached_jit():
        f = numba.njit(closure)
    assert f(1) == 4
