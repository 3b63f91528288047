"""manage.py evaluate: P@k, R@k and mAP of encoders' active versions on labelled dataset folders."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from cbir.errors import CbirError


def parse_list(text: str, convert=str) -> list:
    values = [part.strip() for part in text.split(",") if part.strip()]
    try:
        return [convert(value) for value in values]
    except ValueError as exc:
        raise CommandError(f"cannot read {text!r}: {exc}") from exc


class Command(BaseCommand):
    help = "Evaluate retrieval of encoders' active versions: writes OUTDIR/metrics.json, report.md and plots."

    def add_arguments(self, parser):
        parser.add_argument("--reference", action="append", required=True, metavar="DIR")
        parser.add_argument("--queries", action="append", default=[], metavar="DIR",
                            help="query folders; without them a patient-level split of the reference is used")
        parser.add_argument("--encoders", required=True, help="comma-separated encoder names")
        parser.add_argument("--label-column", default="label")
        parser.add_argument("--k", default="1,5,10,20,50", help="comma-separated cut-offs")
        parser.add_argument("--out", required=True, metavar="OUTDIR")
        parser.add_argument("--max-images", type=int, default=None, help="cap on reference and on query images")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--no-plots", action="store_true")

    def handle(self, *args, **options):
        from embeddings.evaluation_service import evaluate_encoders

        encoders, ks = parse_list(options["encoders"]), sorted(set(parse_list(options["k"], int)))
        if not encoders:
            raise CommandError("--encoders needs at least one encoder name")
        if not ks or min(ks) < 1:
            raise CommandError("--k needs positive integers, e.g. 1,5,10")
        try:
            evaluation = evaluate_encoders(
                reference_dirs=options["reference"], query_dirs=options["queries"], encoder_names=encoders,
                out_dir=options["out"], label_column=options["label_column"], ks=ks,
                max_images=options["max_images"], seed=options["seed"], progress=True, plots=not options["no_plots"])
        except CbirError as exc:
            raise CommandError(exc.message) from exc
        for name, result in evaluation.metrics["encoders"].items():
            precision = ", ".join(f"P@{k} {value:.4f}" for k, value in result["precision_at"].items())
            self.stdout.write(f"{name}@{result['version']}: mAP {result['map']:.4f}; {precision}; "
                              f"ANN recall {result['ann_recall']:.4f}")
        self.stdout.write(f"wrote {options['out']}/metrics.json and report.md")
