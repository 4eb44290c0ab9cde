"""Theme discovery numerics: UMAP → HDBSCAN finds how many themes there are and where;
centroid refinement and a kNN vote over stored exemplars turn them into a rule.

Why a rule at the end: HDBSCAN's own labels cannot be reproduced on new data
(BERTopic's ``transform`` disagrees with ``fit_transform``, #905/#1696). We keep
HDBSCAN for what it is good at (the number and location of dense themes) and make the
final assignment "some theme centroid is at least ``threshold`` similar → the theme
the 5 nearest exemplars vote for", which ``transform`` applies identically to the
fitting data and to new feedback. On Banking77 this scores higher than HDBSCAN's
labels and leaves ~1% unassigned instead of dumping 5-40% in -1.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass

import numpy as np

log = logging.getLogger("voc")

_CHUNK = 8192  # rows per similarity block: bounded memory at 200k sentences


def default_min_cluster_size(n: int) -> int:
    """Grows with the square root of the data: ~14 at 3k sentences, ~35 at 20k.

    A fixed size (BERTopic's 10) splits large corpora into hundreds of crumbs and
    finds nothing in small ones; sqrt scaling keeps the number of themes readable.
    """
    return int(max(5, min(100, round(math.sqrt(n) / 4))))


def normalize(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def best_match(x: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index and cosine of the most similar row of ``targets`` for each row of ``x``.

    Computed in fixed-size blocks so fit and transform run the very same float ops
    (identical results) and memory stays bounded.
    """
    n = x.shape[0]
    idx = np.full(n, -1, dtype=np.int64)
    sim = np.full(n, -np.inf, dtype=np.float32)
    if n == 0 or targets.shape[0] == 0:
        return idx, sim
    t = np.ascontiguousarray(targets, dtype=np.float32).T
    for start in range(0, n, _CHUNK):
        s = np.ascontiguousarray(x[start:start + _CHUNK], dtype=np.float32) @ t
        idx[start:start + _CHUNK] = s.argmax(axis=1)
        sim[start:start + _CHUNK] = s.max(axis=1)
    return idx, sim


def top_k(s: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column index and value of each row's ``k`` largest entries, largest first.
    torch.topk: several times faster than ``np.argpartition`` on (1024, 10k) blocks."""
    import torch

    vals, idx = torch.topk(torch.from_numpy(np.ascontiguousarray(s)), k, dim=1)
    return idx.numpy().astype(np.int64), vals.numpy()


def knn_vote(x: np.ndarray, ref: np.ndarray, ref_label: np.ndarray, k: int, n_labels: int) -> np.ndarray:
    """Majority label of each row's ``k`` most similar reference rows (ties: higher
    summed similarity). Smooths the nearest-centroid partition along the data's own
    neighbourhoods, which fits themes that are not round (+0.01 V-measure on
    Banking77); ``k`` = 5 is scikit-learn's KNeighborsClassifier default."""
    n = x.shape[0]
    out = np.full(n, -1, dtype=np.int64)
    if n == 0 or ref.shape[0] == 0:
        return out
    kk = min(k, ref.shape[0])
    rt = np.ascontiguousarray(ref, dtype=np.float32).T
    step = 1024
    for start in range(0, n, step):
        s = np.ascontiguousarray(x[start:start + step], dtype=np.float32) @ rt
        nn, sims = top_k(s, kk)
        sims = sims.astype(np.float64)
        m = s.shape[0]
        cell = np.repeat(np.arange(m) * n_labels, kk) + ref_label[nn].ravel()
        votes = np.bincount(cell, weights=1.0 + 1e-3 * sims.ravel(), minlength=m * n_labels)
        out[start:start + step] = votes.reshape(m, n_labels).argmax(axis=1)
    return out


def centroids_of(x: np.ndarray, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Normalised mean of each label 0..k-1 and the count per label (-1 ignored)."""
    from scipy import sparse

    keep = np.flatnonzero(labels >= 0)
    sums = np.zeros((k, x.shape[1]), dtype=np.float64)
    for start in range(0, keep.size, _CHUNK * 4):  # float64 sums, bounded memory (np.add.at is ~50x slower)
        rows = keep[start:start + _CHUNK * 4]
        member = sparse.csr_matrix((np.ones(rows.size), (labels[rows], np.arange(rows.size))), shape=(k, rows.size))
        sums += member @ x[rows].astype(np.float64)
    counts = np.bincount(labels[keep], minlength=k)
    return normalize(sums.astype(np.float32)), counts


def exact_knn(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows of each row by cosine (itself first) and their cosine
    distances, by blocked matrix products.

    UMAP would otherwise build a pynndescent index, whose kernels numba recompiles in
    every process (most of a themes fit above 4,096 sentences in a profile; they cannot
    be cached) and which is approximate; at voc's fit sizes (``max_fit_sentences``) the exact
    product is a few BLAS seconds."""
    xn = normalize(x)
    n = xn.shape[0]
    kk = min(k, n)
    idx = np.empty((n, kk), dtype=np.int64)
    dist = np.empty((n, kk), dtype=np.float32)
    step = 1024
    for start in range(0, n, step):
        s = xn[start:start + step] @ xn.T
        rows = np.arange(s.shape[0])
        s[rows, start + rows] = 2.0  # itself first, even next to an exact duplicate
        nn, sims = top_k(s, kk)
        order = np.lexsort((nn, -sims), axis=1)  # by similarity, ties by index: deterministic
        idx[start:start + step] = np.take_along_axis(nn, order, axis=1)
        dist[start:start + step] = np.maximum(0.0, 1.0 - np.minimum(np.take_along_axis(sims, order, axis=1), 1.0))
    return idx, dist


def reduce(x: np.ndarray, random_state: int, method: str = "umap", n_components: int = 5,
           n_neighbors: int = 15, n_epochs: int = 200) -> np.ndarray:
    """UMAP to a few dimensions (cosine input). HDBSCAN on raw 384-d MiniLM vectors or
    on PCA leaves ~40-50% of Banking77 as noise (density is meaningless in high
    dimensions) and ends ~0.01-0.03 V-measure lower after refinement; UMAP's
    neighbour graph fixes that (benchmarks/themes.py measures all three). A fixed
    ``random_state`` makes UMAP deterministic (single-threaded). ``n_epochs`` 200 is
    UMAP's own choice above 10k points; from 1k to 10k its default of 500 took 30%
    longer for no gain (Banking77 test V-measure 0.828 vs 0.825 over seeds 0-2,
    themes.json). Below 1k points the layout costs under half a second and UMAP's
    500 epochs are kept: on the 240-document test sample, 200 epochs left no theme
    with a significant score impact."""
    n = x.shape[0]
    if method == "none" or n <= n_components + 2:
        return x.astype(np.float64)
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=min(50, n - 1, x.shape[1]), random_state=random_state).fit_transform(x)
    if method != "umap":
        raise ValueError(f"unknown reduction {method!r}: use 'umap', 'pca' or 'none'")
    from voc._numba import cached_jit, import_umap

    umap = import_umap()  # lazy: only fit needs it
    k = max(2, min(n_neighbors, n - 1))
    knn = exact_knn(x, k)
    with warnings.catch_warnings(), cached_jit():  # umap also jit-compiles inside fit
        warnings.simplefilter("ignore")
        model = umap.UMAP(n_neighbors=k, n_components=n_components, min_dist=0.0, metric="cosine",
                          random_state=random_state, init="spectral" if n > 50 else "random",
                          n_epochs=n_epochs if n >= 1000 else None,
                          precomputed_knn=(knn[0], knn[1], None))
        return np.asarray(model.fit_transform(x), dtype=np.float64)


def density_labels(z: np.ndarray, min_cluster_size: int, min_samples: int | None) -> np.ndarray:
    import hdbscan

    if z.shape[0] < 2 * min_cluster_size:
        return np.full(z.shape[0], -1, dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = hdbscan.HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min_samples,
                                cluster_selection_method="eom", core_dist_n_jobs=1)
        return np.asarray(model.fit(z).labels_, dtype=np.int64)


@dataclass
class Discovery:
    centroids: np.ndarray  # (k, d) normalised
    threshold: float  # cosine below which a sentence stays unassigned
    n_density_clusters: int  # before merging
    density_outlier_share: float  # HDBSCAN's own noise share on the fit sample


def refine(x: np.ndarray, centroids: np.ndarray, iters: int = 10) -> np.ndarray:
    """A few spherical k-means steps from HDBSCAN's centroids: themes become the
    Voronoi cells that the final nearest-centroid rule will reproduce."""
    for _ in range(iters):
        lab, _ = best_match(x, centroids)
        new, counts = centroids_of(x, lab, centroids.shape[0])
        new[counts == 0] = centroids[counts == 0]
        if np.array_equal(new, centroids):
            break
        centroids = new
    return centroids


def merge_duplicates(centroids: np.ndarray, sizes: np.ndarray, threshold: float) -> np.ndarray:
    """Greedily merge themes whose centroids are more similar than ``threshold``
    (size-weighted mean); deterministic because pairs are visited by similarity."""
    c = centroids.astype(np.float64) * sizes[:, None].astype(np.float64)
    alive = list(range(centroids.shape[0]))
    w = sizes.astype(np.float64).copy()
    while len(alive) > 1:
        cur = normalize(c[alive].astype(np.float32))
        s = cur @ cur.T
        np.fill_diagonal(s, -np.inf)
        i, j = np.unravel_index(int(np.argmax(s)), s.shape)
        if s[i, j] < threshold:
            break
        a, b = alive[min(i, j)], alive[max(i, j)]
        c[a] += c[b]
        w[a] += w[b]
        alive.remove(b)
    return normalize(c[alive].astype(np.float32))


def drop_tiny(x: np.ndarray, centroids: np.ndarray, min_size: int) -> np.ndarray:
    """Remove themes that end up with fewer than ``min_size`` sentences, one at a time
    (smallest first), so their sentences flow to the nearest surviving theme."""
    while centroids.shape[0] > 1:
        lab, _ = best_match(x, centroids)
        counts = np.bincount(lab, minlength=centroids.shape[0])
        smallest = int(np.argmin(counts))
        if counts[smallest] >= min_size:
            break
        centroids = np.delete(centroids, smallest, axis=0)
    return centroids


def discover(x: np.ndarray, *, min_cluster_size: int, min_samples: int | None, random_state: int,
             merge_threshold: float, outlier_threshold: float | None, outlier_quantile: float,
             reduction: str = "umap", n_epochs: int = 200) -> Discovery:
    """Themes of ``x`` (already a sample if the corpus is large)."""
    n = x.shape[0]
    empty = Discovery(np.zeros((0, x.shape[1]), dtype=np.float32), 1.0, 0, 1.0 if n else 0.0)
    if n < 2 * min_cluster_size:
        return empty
    labels = density_labels(reduce(x, random_state, reduction, n_epochs=n_epochs), min_cluster_size, min_samples)
    k = int(labels.max()) + 1
    if k == 0:
        return empty
    noise = float(np.mean(labels < 0))
    cents, _ = centroids_of(x, labels, k)
    # Threshold before refinement: how far from its centroid a sentence HDBSCAN was
    # sure about can lie. Anything less similar to every theme is not reassigned.
    member_sim = np.einsum("ij,ij->i", x[labels >= 0], cents[labels[labels >= 0]])
    threshold = float(outlier_threshold if outlier_threshold is not None
                      else np.quantile(member_sim, outlier_quantile))
    cents = refine(x, cents)
    lab, _ = best_match(x, cents)
    cents = merge_duplicates(cents, np.bincount(lab, minlength=cents.shape[0]), merge_threshold)
    cents = refine(x, cents)
    cents = drop_tiny(x, cents, min_cluster_size)
    cents = refine(x, cents, iters=3)
    log.debug("themes: %d density clusters (%.1f%% noise) -> %d themes", k, 100 * noise, cents.shape[0])
    return Discovery(cents, threshold, k, noise)
