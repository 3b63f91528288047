"""DICOM ingestion throughput: instances per second from dcmtk storescu to stored and anonymized.

Runs the real receiver (ingest.dicom_scp) in this process against a throwaway SQLite database
and media folder, sends N distinct instances (copies of real samples with fresh SOP Instance
UIDs) in one association, and times two phases separately:

  store:         storescu start -> storescu exit (every C-STORE answered: anonymized, stored)
  store + embed: storescu start -> the association's batch embedded and the index rebuilt

Usage: .venv/bin/python benchmarks/ingest_throughput.py [--count 200] [--port 11290]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ["pydicom/CT_small.dcm", "pydicom/MR_small.dcm", "pydicom-data/693_UNCI.dcm", "pydicom-data/693_J2KR.dcm"]


def setup_django(var_dir: Path) -> None:
    os.environ["CBIR_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cbir.settings")
    os.environ.setdefault("CBIR_LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def write_instances(folder: Path, count: int, run: str) -> list[Path]:
    """`count` files cycling through the samples, each with new Study/Series/SOP Instance UIDs."""
    import pydicom
    from django.conf import settings
    from pydicom.uid import generate_uid

    sources = [pydicom.dcmread(Path(settings.DATASETS_DIR) / "dicom_samples" / name) for name in SAMPLES]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        dataset = sources[number % len(sources)]
        dataset.SOPInstanceUID = dataset.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        dataset.PatientID = f"BENCH-{run}-{number // 10}"
        path = folder / f"{run}-{number:05d}.dcm"
        dataset.save_as(path)
        paths.append(path)
    return paths


def run_phase(paths: list[Path], port: int, *, embed: bool) -> dict:
    from ingest.dicom_scp import start_scp
    from ingest.services import embed_and_index_ready_images

    embedded = threading.Event()

    def on_batch(image_ids):
        if embed:
            embed_and_index_ready_images(image_ids)
        embedded.set()

    server = start_scp(host="127.0.0.1", port=port, dataset_name=f"bench-{'embed' if embed else 'store'}",
                       on_batch_stored=on_batch)
    try:
        started = time.perf_counter()
        # -xv: also propose JPEG 2000 lossless, for the J2K sample among the files
        result = subprocess.run(["storescu", "-xv", "-aet", "BENCH", "-aec", "CBIR", "127.0.0.1", str(port),
                                 *map(str, paths)], capture_output=True, text=True)
        stored = time.perf_counter() - started
        embedded.wait(600)
        finished = time.perf_counter() - started
    finally:
        server.shutdown()
    if result.returncode != 0:
        raise SystemExit(f"storescu failed ({result.returncode}): {result.stderr[-500:]}")
    return {"stored_seconds": stored, "embedded_seconds": finished}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200, help="instances per phase")
    parser.add_argument("--port", type=int, default=11290)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cbir-bench-") as folder:
        setup_django(Path(folder) / "var")
        from ingest.models import Image

        store_files = write_instances(Path(folder) / "store", args.count, "store")
        embed_files = write_instances(Path(folder) / "embed", args.count, "embed")
        store = run_phase(store_files, args.port, embed=False)
        embed = run_phase(embed_files, args.port, embed=True)
        stored = Image.objects.count()
        ready = Image.objects.filter(status="ready", embeddings__isnull=False).distinct().count()
    n = args.count
    print(f"instances per phase: {n} (cycling {', '.join(SAMPLES)}), one association, SQLite, eager embedding")
    print(f"store only     : {store['stored_seconds']:.2f} s  -> {n / store['stored_seconds']:.1f} instances/s")
    print(f"store (phase 2): {embed['stored_seconds']:.2f} s  -> {n / embed['stored_seconds']:.1f} instances/s")
    print(f"store + embed  : {embed['embedded_seconds']:.2f} s  -> {n / embed['embedded_seconds']:.1f} instances/s "
          f"(batch embedded and index rebuilt)")
    print(f"rows: {stored} images stored, {ready} embedded")


if __name__ == "__main__":
    main()
