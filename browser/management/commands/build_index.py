"""manage.py build_index [--encoder NAME | --all]: embed what is missing, (re)build and publish the ANN index."""
from django.core.management.base import BaseCommand, CommandError

from browser.services import rebuild_index
from cbir.errors import CbirError
from embeddings.selectors import get_default_encoder_name
from embeddings.services import extract_embeddings, get_active_version, missing_image_ids


class Command(BaseCommand):
    help = "Embed what is missing and rebuild the index of an encoder's active version."

    def add_arguments(self, parser):
        parser.add_argument("--encoder", help="default: the default encoder (trained by the demo, else CBIR_DEFAULT_ENCODER)")
        parser.add_argument("--all", dest="all_encoders", action="store_true",
                            help="every active encoder version: catches up images stored but never embedded "
                                 "(e.g. after a receiver was killed)")

    def handle(self, *args, encoder: str | None, all_encoders: bool, **options):
        if all_encoders and encoder:
            raise CommandError("give --encoder or --all, not both")
        if all_encoders:
            return self.build_all()
        try:
            version = get_active_version(encoder or get_default_encoder_name())
            missing = missing_image_ids(version)
            if missing:
                self.stdout.write(f"embedding {len(missing)} images with {version}")
                extract_embeddings(image_ids=missing, version=version)
            record = rebuild_index(version)
        except CbirError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"index {record.pk} for {version}: {record.method} over {record.vector_count} vectors, "
                          f"measured recall {record.measured_recall}")

    def build_all(self) -> None:
        from embeddings.services import embed_and_index_new_images, versions_to_embed

        try:
            versions = versions_to_embed()
            embed_and_index_new_images(progress=True)
        except CbirError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"embedded what was missing and rebuilt the indexes of {', '.join(map(str, versions))}")
