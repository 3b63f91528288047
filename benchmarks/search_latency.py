"""End-to-end latency of POST /api/search/ (upload -> decode -> embed -> MRPT -> graph) under 1..N
concurrent clients, plus filtered queries (fraction returning k, latency).

Everything is throwaway and on loopback: a fresh SQLite database and index folder under a temporary
CBIR_VAR_DIR, N image rows with baseline-encoder vectors (real embeddings of the shared datasets
extended by perturbation, as in ann_benchmark.py), the MRPT index built by the app's own
rebuild_index(), and gunicorn serving cbir.wsgi. Each client is a thread with a 30 s timeout (the
browsers' default in the PACS paper's Table 6); concurrency is capped by --levels.

    .venv/bin/python benchmarks/search_latency.py --images 100000 --levels 1 2 4 8 16 32 64 128 256
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
PORT = 18144
LABELS = ["glioma", "meningioma", "notumor", "pituitary"]  # 24.75 % each
RARE_LABEL = "rare"  # 1 % of the images: a selective filter
TIMEOUT_S = 30.0


def prepare_environment(var_dir: Path) -> None:
    os.environ.update({"CBIR_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "cbir.settings",
                       "CELERY_BROKER_URL": "", "CBIR_LOG_LEVEL": "WARNING"})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def student_token() -> str:
    """A token of a student account: searching needs a signed-in user, as for any client."""
    import secrets

    from browser.accounts import create_user_with_role, issue_token

    create_user_with_role(username="bench-student", password=secrets.token_urlsafe(16), role="student")
    return issue_token("bench-student")


def populate(count: int, vectors: np.ndarray) -> None:
    """`count` image rows (labels and modalities cycling) with their vectors, then the app's index build."""
    from browser.services import rebuild_index
    from embeddings.models import Embedding
    from embeddings.services import get_active_version
    from ingest.models import Dataset, Image, Series, Study

    version = get_active_version("baseline")
    dataset = Dataset.objects.create(name="bench")
    series = Series.objects.create(study=Study.objects.create(dataset=dataset, study_uid="2.25.1"),
                                   series_uid="2.25.2", modality="MR")
    for start in range(0, count, 5000):
        rows = [Image(series=series, sop_uid=f"2.25.3.{n}", content_hash=f"h{n}", source_format="png",
                      pixels_path=f"p/{n}.png", thumbnail_path=f"t/{n}.png", width=8, height=8,
                      modality="MR" if n % 2 else "CT", label=RARE_LABEL if n % 100 == 0 else LABELS[n % 4])
                for n in range(start, min(count, start + 5000))]
        images = Image.objects.bulk_create(rows)
        Embedding.objects.bulk_create([Embedding(image=image, encoder_version=version,
                                                 vector=vectors[start + n].astype("<f4").tobytes())
                                       for n, image in enumerate(images)])
    started = time.perf_counter()
    record = rebuild_index(version)
    print(f"index {record.method} over {record.vector_count} vectors built in {time.perf_counter() - started:.1f} s; "
          f"target recall {record.target_recall}, measured {record.measured_recall:.3f}; params "
          f"{ {key: record.params.get(key) for key in ('n_trees', 'depth', 'votes', 'k')} }", flush=True)


def query_images(datasets: Path, count: int) -> list[bytes]:
    paths = sorted((datasets / "brain_tumor_mri" / "images").rglob("*.png"))[:count]
    return [path.read_bytes() for path in paths]


def one_request(session: requests.Session, image: bytes, fields: dict) -> tuple[float, bool, int]:
    started = time.perf_counter()
    try:
        response = session.post(f"http://127.0.0.1:{PORT}/api/search/", files={"image": ("q.png", image)},
                                data=fields, timeout=TIMEOUT_S)
        count = len(response.json()["results"]) if response.ok else -1
        return time.perf_counter() - started, response.ok, count
    except (requests.RequestException, ValueError):
        return time.perf_counter() - started, False, -1


def run_level(clients: int, per_client: int, images: list[bytes], fields: dict,
              token: str) -> list[tuple[float, bool, int]]:
    """`clients` threads, each sending `per_client` requests back to back."""
    results: list[tuple[float, bool, int]] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        for request in range(per_client):
            outcome = one_request(session, images[(number * per_client + request) % len(images)], fields)
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def summary(results: list[tuple[float, bool, int]], wall: float) -> str:
    latencies = np.array([latency for latency, ok, _ in results if ok]) * 1000.0
    errors = sum(1 for _, ok, _ in results if not ok)
    if latencies.size == 0:
        return f"requests {len(results)}, errors {errors}"
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
    return (f"requests {len(results):4d} | errors {errors:3d} | mean {latencies.mean():8.1f} | p50 {p50:8.1f} | "
            f"p95 {p95:8.1f} | p99 {p99:8.1f} | max {latencies.max():8.1f} ms | {len(results) / wall:6.1f} req/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32, 64, 128, 256])
    parser.add_argument("--requests", type=int, default=64, help="requests per level (at least one per client)")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--extend", choices=["interpolate", "noise"], default="interpolate",
                        help="how the real vectors are extended (ann_benchmark.Perturbation)")
    args = parser.parse_args()
    if max(args.levels) > 256:
        parser.error("at most 256 concurrent clients")

    from ann_benchmark import Perturbation, extend, real_embeddings
    from local_server import start_gunicorn, stop_gunicorn

    var_dir = Path(tempfile.mkdtemp(prefix="cbir-search-latency-"))
    server = None
    try:
        prepare_environment(var_dir)
        real = real_embeddings(args.datasets)
        noise = 0.25 if args.extend == "interpolate" else 1.0
        populate(args.images, extend(Perturbation(real, args.extend, noise), args.images, seed=0))
        token = student_token()
        server = start_gunicorn(var_dir, PORT, workers=args.workers, threads=args.threads)
        images = query_images(args.datasets, 200)
        run_level(args.workers * args.threads, 2, images, {"k": args.k}, token)  # warm-up: every worker loads the index
        print(f"\ngunicorn {args.workers} workers x {args.threads} threads; k = {args.k}; load average "
              f"{os.getloadavg()}", flush=True)
        for clients in args.levels:
            started = time.perf_counter()
            results = run_level(clients, max(1, args.requests // clients), images, {"k": args.k}, token)
            print(f"clients {clients:3d} | {summary(results, time.perf_counter() - started)}", flush=True)
        print(f"\nfiltered queries, 1 client, {args.requests} requests each, k = {args.k}:")
        for name, fields in [("label=rare (1 %)", {"label": RARE_LABEL}), ("label=glioma (24.75 %)",
                             {"label": "glioma"}), ("label=glioma & modality=CT", {"label": "glioma", "modality": "CT"})]:
            started = time.perf_counter()
            results = run_level(1, args.requests, images, {"k": args.k, **fields}, token)
            full = sum(1 for _, ok, count in results if ok and count == args.k)
            print(f"{name:28s} | returned k: {full}/{len(results)} | {summary(results, time.perf_counter() - started)}")
        print(f"\nload average {os.getloadavg()}")
    finally:
        if server is not None:
            stop_gunicorn(server)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
