"""manage.py train_encoder NAME --dataset DIR [...]: train, checkpoint and maybe activate a learned encoder."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from cbir.errors import CbirError
from embeddings.encoders.base import TrainingOptions, option_value


def parse_extra_options(pairs: list[str]) -> dict:
    """["embedding_dim=128", "arcface_scale=30"] -> {"embedding_dim": 128, "arcface_scale": 30.0}."""
    extra = {}
    for pair in pairs:
        key, separator, text = pair.partition("=")
        if not separator or not key:
            raise CommandError(f"--option takes KEY=VALUE, got {pair!r}")
        extra[key] = option_value(text)
    return extra


class Command(BaseCommand):
    help = "Train a new version of a learned encoder on labelled dataset folders (labels.csv with file,label)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="encoder name, e.g. googlenet-gem-arcface or cnn-autoencoder")
        parser.add_argument("--dataset", action="append", required=True, metavar="DIR",
                            help="labelled dataset folder; repeat to combine several")
        parser.add_argument("--epochs", type=int, default=10)
        parser.add_argument("--img-size", type=int, default=None, help="side in pixels (default: the encoder's)")
        parser.add_argument("--batch", type=int, default=32)
        parser.add_argument("--lr", type=float, default=1e-3, help="(peak) learning rate")
        parser.add_argument("--patience", type=int, default=5, help="early stopping: epochs without improvement")
        parser.add_argument("--validation-fraction", type=float, default=0.2,
                            help="share of patients held out for early stopping and activation (0 < F <= 0.5)")
        parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--label-column", default="label")
        parser.add_argument("--max-images", type=int, default=None)
        parser.add_argument("--activate", action="store_true", help="make the new version active whatever it scores")
        parser.add_argument("--queue", action="store_true",
                            help="send the run to the Celery queue 'gpu' (a GPU worker trains it) instead of "
                                 "training in this process; prints the task id")
        parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                            help="encoder-specific setting, e.g. embedding_dim=128, arcface_scale=30")

    def handle(self, *args, **options):
        from embeddings.training_service import default_img_size, train_encoder_version

        training_options = TrainingOptions(
            epochs=options["epochs"],
            img_size=default_img_size(options["name"]) if options["img_size"] is None else options["img_size"],
            batch_size=options["batch"], learning_rate=options["lr"], device=options["device"],
            seed=options["seed"], patience=options["patience"],
            validation_fraction=options["validation_fraction"], extra=parse_extra_options(options["option"]))
        if options["queue"]:
            self.send_to_worker(options, training_options)
            return
        try:
            run = train_encoder_version(
                name=options["name"], dataset_dirs=options["dataset"], options=training_options,
                label_column=options["label_column"], activate=options["activate"],
                max_images=options["max_images"], progress=lambda epoch, metrics: None)
        except (CbirError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        state = "active" if run.is_activated else "not activated (the active version scores higher)"
        self.stdout.write(f"{run.encoder_name}@{run.version}: validation mAP {run.validation_metric:.4f} "
                          f"after {len(run.history)} epochs; {state}; checkpoint {run.encoder_version.checkpoint_path}")

    def send_to_worker(self, options: dict, training_options: TrainingOptions) -> None:
        """Queue the same run as embeddings.tasks.train_encoder_task (routed to 'gpu'); eager without a broker."""
        import dataclasses

        from embeddings.tasks import train_encoder_task

        fields = {key: value for key, value in dataclasses.asdict(training_options).items() if key != "work_dir"}
        try:
            result = train_encoder_task.delay(options["name"], options["dataset"], fields,
                                              label_column=options["label_column"], activate=options["activate"],
                                              max_images=options["max_images"])
        except (CbirError, ValueError) as exc:  # eager mode (no broker) trains here and raises here
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"queued {options['name']} on 'gpu' as task {result.id}" +
                          (f" (ran here: no broker; training run {result.get()})" if result.ready() else ""))
