"""manage.py train_demo_encoders: budgeted first training of the learned encoders (run by `make demo`)."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from cbir.errors import CbirError


class Command(BaseCommand):
    help = ("Train every learned encoder that has no version yet, within a total time budget, on the shared "
            "datasets; activate those that beat the baseline and make the best one the default. Idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("--budget-minutes", type=float, default=10.0, help="total training budget")
        parser.add_argument("--dataset", action="append", default=None, metavar="DIR",
                            help="labelled folders (default: the shared brain_tumor_mri, covid_ct, covid_chestxray)")
        parser.add_argument("--max-images", type=int, default=900)

    def handle(self, *args, **options):
        from embeddings.demo_training import train_demo_encoders

        if options["budget_minutes"] <= 0:
            raise CommandError("--budget-minutes must be positive")
        try:
            runs = train_demo_encoders(budget_minutes=options["budget_minutes"], dataset_dirs=options["dataset"],
                                       max_images=options["max_images"], progress=lambda epoch, metrics: None)
        except CbirError as exc:
            raise CommandError(exc.message) from exc
        if not runs:
            self.stdout.write("every learned encoder already has a trained version; nothing to do")
        for run in runs:
            rivals = run.encoder_version.metrics.get("rivals_validation_map", {})
            baseline = rivals.get("baseline")
            self.stdout.write(
                f"{run.encoder_name}@{run.version}: validation mAP {run.validation_metric:.4f} "
                f"(baseline {baseline if baseline is None else f'{baseline:.4f}'}) after {len(run.history)} epochs; "
                f"{'activated' if run.is_activated else 'not activated'}"
                f"{'; default encoder' if run.encoder_version.is_default else ''}")
