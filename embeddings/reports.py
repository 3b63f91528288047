"""report.md and PNG plots of an evaluation (matplotlib, Agg backend)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

TSNE_MAX_POINTS = 1500


def markdown_report(metrics: dict, figures: Sequence[str]) -> str:
    """Tables of overall and per-class metrics, then the figures."""
    ks = [str(k) for k in metrics["ks"]]
    lines = ["# Retrieval evaluation", "",
             f"Label column `{metrics['label_column']}`; {metrics['reference_images']} reference images, "
             f"{metrics['query_images']} labelled queries; {metrics['split']}.", "",
             "| encoder | version | mAP | mAP 95% CI | " + " | ".join(f"P@{k}" for k in ks) + " | "
             + " | ".join(f"R@{k}" for k in ks) + " | ANN recall |",
             "|---" * (4 + 2 * len(ks) + 1) + "|"]
    for name, result in metrics["encoders"].items():
        low, high = result["map_ci95"]
        lines.append(f"| {name} | {result['version']} | {result['map']:.4f} | {low:.4f}–{high:.4f} | "
                     + " | ".join(f"{result['precision_at'][k]:.4f}" for k in ks) + " | "
                     + " | ".join(f"{result['recall_at'][k]:.4f}" for k in ks) + f" | {result['ann_recall']:.4f} |")
    lines += _ann_notes(metrics) + [""] + _per_class_tables(metrics, ks)
    lines += [f"![{Path(figure).stem}]({figure})" for figure in figures]
    return "\n".join(lines) + "\n"


def _ann_notes(metrics: dict) -> list[str]:
    return [f"- {name}: {result['ann_note']}" for name, result in metrics["encoders"].items() if result.get("ann_note")]


def _per_class_tables(metrics: dict, ks: list[str]) -> list[str]:
    lines = []
    for name, result in metrics["encoders"].items():
        lines += [f"## {name}: per class", "", "| class | queries | mAP | " + " | ".join(f"P@{k}" for k in ks) + " |",
                  "|---" * (3 + len(ks)) + "|"]
        for label, values in result["per_class"].items():
            lines.append(f"| {label} | {values['queries']} | {values['map']:.4f} | "
                         + " | ".join(f"{values['precision_at'][k]:.4f}" for k in ks) + " |")
        lines.append("")
    return lines


def write_plots(out_dir: Path, metrics: dict, reference_vectors: dict[str, np.ndarray],
                reference_labels: Sequence[str]) -> list[str]:
    """precision_at_k.png, per_class_map.png and one tsne_<encoder>.png each; returns their file names."""
    import matplotlib

    matplotlib.use("Agg")
    figures = [_precision_curves(out_dir, metrics), _per_class_bars(out_dir, metrics)]
    for name, vectors in reference_vectors.items():
        figure = _tsne(out_dir, name, vectors, reference_labels)
        if figure:
            figures.append(figure)
    return figures


def _precision_curves(out_dir: Path, metrics: dict) -> str:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4))
    for name, result in metrics["encoders"].items():
        ks = [int(k) for k in result["precision_at"]]
        axes.plot(ks, list(result["precision_at"].values()), marker="o", label=name)
    axes.set(xlabel="k", ylabel="precision@k", title="Precision at k", ylim=(0, 1.02))
    axes.legend()
    return _save(figure, out_dir / "precision_at_k.png")


def _per_class_bars(out_dir: Path, metrics: dict) -> str:
    import matplotlib.pyplot as plt

    names = list(metrics["encoders"])
    classes = sorted({label for result in metrics["encoders"].values() for label in result["per_class"]})
    width = 0.8 / max(len(names), 1)
    figure, axes = plt.subplots(figsize=(max(6, len(classes) * 0.9), 4))
    for offset, name in enumerate(names):
        values = [metrics["encoders"][name]["per_class"].get(label, {}).get("map", 0.0) for label in classes]
        axes.bar(np.arange(len(classes)) + offset * width, values, width, label=name)
    axes.set_xticks(np.arange(len(classes)) + width * (len(names) - 1) / 2, classes, rotation=45, ha="right")
    axes.set(ylabel="mAP", title="mAP per class", ylim=(0, 1.02))
    axes.legend()
    return _save(figure, out_dir / "per_class_map.png")


def _tsne(out_dir: Path, name: str, vectors: np.ndarray, labels: Sequence[str]) -> str | None:
    import matplotlib.pyplot as plt
    from sklearn.manifold import TSNE

    if len(vectors) < 5:
        return None
    rows = np.random.default_rng(0).permutation(len(vectors))[:TSNE_MAX_POINTS]
    points = TSNE(n_components=2, perplexity=min(30.0, (len(rows) - 1) / 3), init="pca",
                  random_state=0).fit_transform(vectors[rows])  # (n, 2)
    shown = np.asarray([labels[i] or "(unlabelled)" for i in rows])
    figure, axes = plt.subplots(figsize=(6, 5))
    for label in sorted(set(shown)):
        axes.scatter(*points[shown == label].T, s=6, label=label)
    axes.set(title=f"t-SNE of reference embeddings: {name}", xticks=[], yticks=[])
    axes.legend(markerscale=2, fontsize=7)
    return _save(figure, out_dir / f"tsne_{name}.png")


def _save(figure, path: Path) -> str:
    import matplotlib.pyplot as plt

    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path.name
