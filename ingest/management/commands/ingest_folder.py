"""manage.py ingest_folder PATH [--labels CSV] [--dataset NAME] [--no-embed]"""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ingest.folders import ingest_folder
from ingest.services import get_or_create_dataset


class Command(BaseCommand):
    help = "Ingest PNG/JPEG/DICOM files below PATH (idempotent: files already stored are skipped)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--labels", type=Path, help="labels CSV (default: PATH/labels.csv when it exists)")
        parser.add_argument("--dataset", help="dataset name (default: the folder's name)")
        parser.add_argument("--no-embed", action="store_true", help="only store; embed and index later")

    def handle(self, *args, path: Path, labels: Path | None, dataset: str | None, no_embed: bool, **options):
        if not path.is_dir():
            raise CommandError(f"{path} is not a folder")
        labels = labels or (path / "labels.csv" if (path / "labels.csv").is_file() else None)
        if labels and not labels.is_file():
            raise CommandError(f"labels file {labels} does not exist")
        report = ingest_folder(
            root=path, dataset=get_or_create_dataset(dataset or path.resolve().name), labels_csv=labels,
            progress=lambda files, total: tqdm(files, total=total, desc=f"ingest {path.name}", unit="file"),
        )
        for relative, reason in report.skipped:
            self.stderr.write(f"skipped {relative}: {reason}")
        self.stdout.write(f"{len(report.created_ids)} stored, {len(report.existing_ids)} already present, "
                          f"{len(report.skipped)} skipped")
        if report.created_ids and not no_embed:
            from embeddings.services import embed_and_index_new_images

            embed_and_index_new_images(image_ids=report.created_ids, progress=True)
