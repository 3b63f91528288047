"""manage.py build_map [--encoder NAME]: the 2-D repository map (t-SNE) of the encoder version that serves
queries (the active one once its index is complete, else the one it replaces), which is the map /api/map/ reads."""
from django.core.management.base import BaseCommand, CommandError

from browser.map_service import build_repository_map, is_map_current
from cbir.errors import CbirError
from browser.services.indexing import get_serving_version
from embeddings.selectors import get_default_encoder_name


class Command(BaseCommand):
    help = "Compute the repository map shown by the browser when there is no query."

    def add_arguments(self, parser):
        parser.add_argument("--encoder", help="default: the default encoder (trained by the demo, else CBIR_DEFAULT_ENCODER)")
        parser.add_argument("--if-stale", action="store_true", help="do nothing when the map matches the index")

    def handle(self, *args, encoder: str | None, if_stale: bool, **options):
        try:
            version = get_serving_version(encoder or get_default_encoder_name())
            if if_stale and is_map_current(version):
                self.stdout.write(f"map of {version} is current")
                return
            repository_map = build_repository_map(version)
        except CbirError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"map of {repository_map['encoder']}@{repository_map['version']}: "
                          f"{len(repository_map['points'])} points in {repository_map['seconds']} s")
