"""2-D maps of a whole repository (t-SNE over an encoder's vectors), for browsing without a query.
Pure NumPy/scikit-learn; the service stores the result as a JSON file next to the indexes."""
from __future__ import annotations

import numpy as np

# PCA first: t-SNE on a few dozen components is as faithful and far faster than on the full vector.
PCA_COMPONENTS = 50


def project_to_map(vectors: np.ndarray, *, seed: int = 0, perplexity: float = 30.0) -> np.ndarray:
    """float32 (n, dim) -> float32 (n, 2) scaled to [-1, 1]; deterministic for a seed."""
    count = len(vectors)
    if count == 0:
        return np.zeros((0, 2), np.float32)
    if count < 5:  # t-SNE needs more points than its perplexity; a line is honest enough
        return np.stack([np.linspace(-1, 1, count), np.zeros(count)], axis=1).astype(np.float32)
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    reduced = vectors
    if vectors.shape[1] > PCA_COMPONENTS and count > PCA_COMPONENTS:
        reduced = PCA(n_components=PCA_COMPONENTS, random_state=seed).fit_transform(vectors)
    embedded = TSNE(n_components=2, perplexity=min(perplexity, (count - 1) / 3), init="pca", random_state=seed,
                    learning_rate="auto").fit_transform(reduced)
    return scale_to_unit_box(embedded)


def scale_to_unit_box(points: np.ndarray) -> np.ndarray:
    centred = points - points.mean(axis=0)
    extent = np.abs(centred).max() or 1.0
    return (centred / extent).astype(np.float32)
