"""Compute, store and read the repository map of an encoder version."""
from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from browser.findings import is_abnormal
from browser.maps import project_to_map
from cbir.errors import ServiceNotReady
from embeddings.models import EncoderVersion
from embeddings.selectors import load_vectors
from ingest.models import Image


def map_path(version: EncoderVersion) -> Path:
    return Path(settings.INDEX_DIR) / version.name / version.version / "map.json"


def build_repository_map(version: EncoderVersion) -> dict:
    """t-SNE of every searchable vector of `version`, written atomically; returns the map."""
    started = time.perf_counter()
    ids, vectors = load_vectors(version)
    points = project_to_map(vectors)
    repository_map = {"encoder": version.name, "version": version.version, "method": "pca50+tsne",
                      "computed_at": timezone.now().isoformat(), "seconds": round(time.perf_counter() - started, 2),
                      "points": [[int(i), round(float(x), 5), round(float(y), 5)] for i, (x, y) in zip(ids, points)]}
    write_json_atomically(map_path(version), repository_map)
    return repository_map


def write_json_atomically(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".map-")
    with os.fdopen(descriptor, "w") as handle:
        json.dump(payload, handle)
    os.replace(temporary, path)


def is_map_current(version: EncoderVersion) -> bool:
    """True when the stored map was computed after the serving index and covers as many images as the
    index and its delta (ingestion leaves small batches in the delta, browser.services.indexing)."""
    from browser.selectors import newest_ready_index

    path = map_path(version)
    index = newest_ready_index(version)
    if not path.is_file() or index is None:
        return False
    from browser.services.indexing import vectors_since

    stored = json.loads(path.read_text())
    searchable = index.vector_count + vectors_since(version, index)  # the index and its delta
    return len(stored["points"]) == searchable and stored["computed_at"] >= index.created_at.isoformat()


def read_repository_map(version: EncoderVersion, *, allowed_ids: set[int] | None) -> dict:
    """The stored map with each point's label and thumbnail; only points passing the filters."""
    path = map_path(version)
    if not path.is_file():
        raise ServiceNotReady(f"no map for {version} yet; run: manage.py build_map --encoder {version.name}")
    stored = json.loads(path.read_text())
    coordinates = {point[0]: point[1:] for point in stored["points"]
                   if allowed_ids is None or point[0] in allowed_ids}
    images = Image.objects.filter(pk__in=list(coordinates), status=Image.Status.READY).select_related(
        "series__study__dataset").only("pk", "label", "modality", "body_part", "series__study__dataset__name")
    points = [{"id": image.pk, "x": coordinates[image.pk][0], "y": coordinates[image.pk][1], "label": image.label,
               "modality": image.modality, "body_part": image.body_part, "dataset": image.series.study.dataset.name,
               "is_abnormal": is_abnormal(image.label), "thumbnail_url": f"/api/images/{image.pk}/thumbnail/"}
              for image in images]
    return {key: stored[key] for key in ("encoder", "version", "method", "computed_at")} | {"points": points}
