"""Evaluation service: embed labelled folders with each encoder's active version, score retrieval, write the report."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from embeddings.datasets import LabelledImages, read_labelled_folders, sample_groups
from embeddings.errors import DatasetError
from embeddings.evaluation import ann_recall, rank_reference, summarize
from embeddings.models import EncoderVersion, Evaluation
from embeddings.splits import patient_split

logger = logging.getLogger(__name__)

DEFAULT_KS = (1, 5, 10, 20, 50)
QUERY_FRACTION = 0.25
EMBED_CHUNK = 128


@dataclass
class EvaluationSets:
    reference: LabelledImages
    queries: LabelledImages
    split: str  # how the queries were chosen


def evaluate_encoders(*, reference_dirs: Sequence[str | Path], encoder_names: Sequence[str], out_dir: str | Path,
                      query_dirs: Sequence[str | Path] = (), label_column: str = "label",
                      ks: Sequence[int] = DEFAULT_KS, max_images: int | None = None, seed: int = 0,
                      progress: bool = False, plots: bool = True) -> Evaluation:
    """Score every encoder on the same queries; writes OUTDIR/metrics.json, report.md and PNG plots.

    Raises UnknownEncoder / CheckpointUnavailable before any work when an encoder cannot be
    used, and DatasetError for missing folders, missing label columns or no labelled query.
    """
    from embeddings.services import get_active_version

    versions = [get_active_version(name) for name in encoder_names]
    _check_out_dir(Path(out_dir))  # before the embedding work, not after it
    sets = load_evaluation_sets(reference_dirs, query_dirs, label_column=label_column, max_images=max_images, seed=seed)
    reference_pixels, query_pixels = sets.reference.load_pixels(), sets.queries.load_pixels()
    results, reference_vectors = {}, {}
    for version in versions:
        reference_vectors[version.name] = _embed(reference_pixels, version, progress, "reference")
        query_vectors = _embed(query_pixels, version, progress, "queries")
        results[version.name] = score_encoder(version, reference_vectors[version.name], sets.reference.labels,
                                              query_vectors, sets.queries.labels, ks, query_groups=sets.queries.groups)
    metrics = {"encoders": results, "label_column": label_column, "ks": list(ks), "split": sets.split,
               "reference_images": len(sets.reference), "query_images": int(sum(1 for l in sets.queries.labels if l))}
    out_dir = Path(out_dir)
    _write_outputs(out_dir, metrics, reference_vectors, sets.reference.labels, plots=plots)
    return Evaluation.objects.create(
        encoders=list(encoder_names), reference_dirs=[str(d) for d in reference_dirs],
        query_dirs=[str(d) for d in query_dirs], label_column=label_column, ks=list(ks),
        out_dir=str(out_dir.resolve()), metrics=metrics)


def refuse_shared_files(reference, queries) -> None:
    """A query that is also in the reference finds itself first and inflates every score."""
    shared = {path.resolve() for path in reference.paths} & {path.resolve() for path in queries.paths}
    if shared:
        example = sorted(shared)[0].name
        raise DatasetError(f"{len(shared)} query images are also reference images (e.g. {example}); "
                           "give disjoint folders, or only --reference for a patient-level split")


def load_evaluation_sets(reference_dirs, query_dirs, *, label_column: str, max_images: int | None,
                         seed: int) -> EvaluationSets:
    """Reference and labelled queries; without query folders, a patient-level split of the reference."""
    reference = read_labelled_folders(reference_dirs, label_column=label_column)
    if not any(reference.labels):
        raise DatasetError(f"no image in {', '.join(map(str, reference_dirs))} has a '{label_column}' value "
                           "(empty and 'todo' do not count); evaluation needs labels")
    if query_dirs:
        queries = read_labelled_folders(query_dirs, label_column=label_column)
        refuse_shared_files(reference, queries)
        split = "given query folders"
    else:
        kept, held_out = patient_split(reference.groups, held_out_fraction=QUERY_FRACTION, seed=seed,
                                       labels=reference.labels)
        reference, queries = reference.subset(kept), reference.subset(held_out)
        split = f"patient-level split of the reference: {QUERY_FRACTION:.0%} of the groups are queries (seed {seed})"
    queries = sample_groups(queries.labelled(), max_images, seed=seed)
    reference = sample_groups(reference, max_images, seed=seed)
    if not any(reference.labels):
        raise DatasetError("no labelled reference image is left to rank (--max-images smaller than a patient's "
                           "images, or no labels); every score would be 0")
    if not len(queries):
        raise DatasetError(f"no labelled query image (column '{label_column}'); nothing to evaluate")
    return EvaluationSets(reference=reference, queries=queries, split=split)


def score_encoder(version: EncoderVersion, reference: np.ndarray, reference_labels: Sequence[str],
                  queries: np.ndarray, query_labels: Sequence[str], ks: Sequence[int],
                  query_groups: Sequence[str] | None = None) -> dict:
    """metrics.json entry of one encoder: map, precision_at, recall_at, map_ci95 (by patient when the
    queries' groups are given), per_class, ann_recall."""
    ranked = rank_reference(queries, query_labels, reference, reference_labels)
    labelled = np.asarray([bool(label) for label in query_labels])
    groups = None if query_groups is None else list(np.asarray(query_groups, dtype=object)[labelled])
    result = {"version": version.version, "dim": version.dim} | summarize(ranked, ks, query_groups=groups)
    return result | ann_recall(reference, queries[labelled], max(ks))


def _embed(pixels: list[np.ndarray], version: EncoderVersion, progress: bool, what: str) -> np.ndarray:
    from tqdm import tqdm

    from embeddings.services import embed_pixels

    chunks = [pixels[start:start + EMBED_CHUNK] for start in range(0, len(pixels), EMBED_CHUNK)]
    vectors = [embed_pixels(chunk, version) for chunk in
               tqdm(chunks, desc=f"embed {what} with {version}", unit="chunk", disable=not progress)]
    return np.concatenate(vectors) if vectors else np.zeros((0, version.dim), np.float32)


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise DatasetError(f"--out {out_dir} is a file, not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetError(f"cannot create the output folder {out_dir} ({type(exc).__name__})") from exc


def _write_outputs(out_dir: Path, metrics: dict, reference_vectors: dict, reference_labels, *, plots: bool) -> None:
    from embeddings import reports

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    figures = reports.write_plots(out_dir, metrics, reference_vectors, reference_labels) if plots else []
    (out_dir / "report.md").write_text(reports.markdown_report(metrics, figures))

