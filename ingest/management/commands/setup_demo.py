"""manage.py setup_demo: ingest the demo corpus, embed it, build the indexes (idempotent)."""
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand
from tqdm import tqdm

from ingest.demo import ingest_demo_corpus


class Command(BaseCommand):
    help = "Ingest the demo corpus and make it searchable; a second run only checks what exists."

    def add_arguments(self, parser):
        parser.add_argument("--skip-training", action="store_true", help="serve the training-free baseline only")

    def handle(self, *args, skip_training: bool, **options):
        corpus = ingest_demo_corpus(progress=lambda files, total: tqdm(files, total=total, desc="ingest", unit="file"))
        self.stdout.write(f"demo corpus: {corpus.source}")
        for name, report in corpus.reports.items():
            self.stdout.write(f"  {name}: {len(report.created_ids)} new, {len(report.existing_ids)} present, "
                              f"{len(report.skipped)} skipped")
        index_whatever_changed()
        if not skip_training and "train_demo_encoders" in get_commands():
            train_if_there_is_data(self.stdout)
        call_command("build_map", "--if-stale")
        call_command("create_demo_users")


def train_if_there_is_data(stdout) -> None:
    """Without the shared labelled sets there is nothing to train on: the demo serves the baseline."""
    from embeddings.demo_training import demo_dataset_dirs

    if not demo_dataset_dirs():
        stdout.write("no labelled demo datasets (CBIR_DATASETS): skipping training, serving the baseline encoder")
        return
    call_command("train_demo_encoders")


def index_whatever_changed() -> None:
    """Embed and re-index only when images lack vectors or an encoder has no index yet."""
    from browser.models import IndexVersion
    from embeddings.services import embed_and_index_new_images, missing_image_ids, versions_to_embed

    if any(missing_image_ids(version) or not IndexVersion.objects.filter(encoder_version=version, status="ready")
           .exists() for version in versions_to_embed()):
        embed_and_index_new_images(progress=True)
