"""manage.py train_encoder and train_encoder_task: checkpoints, versions, activation, resume, bad arguments."""
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from browser.models import IndexVersion
from embeddings.encoders.base import TrainingOptions
from embeddings.encoders.cenet_xception import CENetXceptionEncoder
from embeddings.errors import TrainingError
from embeddings.models import Embedding, EncoderVersion, TrainingRun
from embeddings.tasks import train_encoder_task
from embeddings.training_cenet import encoder_kwargs
from embeddings.training_service import train_encoder_version
from tests.embeddings.conftest import write_labelled_folder

pytestmark = pytest.mark.django_db

TINY = ["--epochs", "2", "--img-size", "16", "--batch", "4"]


def _train(folder, *extra):
    call_command("train_encoder", "cnn-autoencoder", "--dataset", str(folder), *TINY, *extra)
    return TrainingRun.objects.latest("id")


def test_training_stores_checkpoint_metrics_and_fingerprint_and_activates_the_first_version(
        two_class_folder, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = _train(two_class_folder)

    version = EncoderVersion.objects.get(name="cnn-autoencoder", is_active=True)
    folder = settings.CHECKPOINT_DIR / "cnn-autoencoder" / version.version
    assert run.status == TrainingRun.Status.FINISHED and run.encoder_version == version
    assert {"weights.pt", "config.json", "metrics.json", "training.json"} <= {p.name for p in folder.iterdir()}
    assert json.loads((folder / "training.json").read_text())["data_fingerprint"] == run.data_fingerprint
    assert len(json.loads((folder / "metrics.json").read_text())["history"]) == 2
    assert not (folder / "work").exists()


def test_a_version_that_does_not_beat_the_active_one_stays_inactive_unless_asked(
        two_class_folder, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _train(two_class_folder)
        same_score = _train(two_class_folder)  # same data and seed: equal, so not better
        forced = _train(two_class_folder, "--activate")

    assert same_score.active_validation_metric == pytest.approx(first.validation_metric)
    assert not same_score.is_activated
    assert EncoderVersion.objects.get(name="cnn-autoencoder", is_active=True) == forced.encoder_version


def test_activation_embeds_stored_images_and_rebuilds_the_index(two_class_folder, django_capture_on_commit_callbacks):
    from tests.factories import ingest_png

    image = ingest_png(label="square", seed=3)

    with django_capture_on_commit_callbacks(execute=True):
        run = _train(two_class_folder)

    assert Embedding.objects.filter(image=image, encoder_version=run.encoder_version).exists()
    assert IndexVersion.objects.filter(encoder_version=run.encoder_version, status="ready").exists()


def test_interrupted_run_is_resumed_into_the_same_version(two_class_folder, django_capture_on_commit_callbacks):
    options = TrainingOptions(epochs=3, img_size=16, batch_size=4)

    def interrupt(epoch, metrics):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_encoder_version(name="cnn-autoencoder", dataset_dirs=[two_class_folder], options=options,
                              progress=interrupt)
    interrupted = TrainingRun.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        resumed = train_encoder_version(name="cnn-autoencoder", dataset_dirs=[two_class_folder], options=options)

    assert interrupted.status == TrainingRun.Status.FAILED
    assert resumed.pk == interrupted.pk and resumed.version == interrupted.version
    assert [entry["epoch"] for entry in resumed.history] == [1, 2, 3]


def test_train_encoder_task_runs_the_same_service(two_class_folder, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_id = train_encoder_task.delay("cnn-autoencoder", [str(two_class_folder)],
                                          {"epochs": 1, "img_size": 16, "batch_size": 4}).get()

    assert TrainingRun.objects.get(pk=run_id).status == TrainingRun.Status.FINISHED


def test_train_encoder_queue_sends_the_run_to_the_gpu_task(two_class_folder, django_capture_on_commit_callbacks,
                                                          settings):
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("train_encoder", "cnn-autoencoder", "--dataset", str(two_class_folder), "--epochs", "1",
                     "--img-size", "16", "--batch", "4", "--queue", stdout=out)

    run = TrainingRun.objects.get()
    assert "queued cnn-autoencoder on 'gpu'" in out.getvalue() and f"training run {run.pk}" in out.getvalue()
    assert run.status == TrainingRun.Status.FINISHED and run.options["img_size"] == 16
    assert settings.CELERY_TASK_ROUTES["embeddings.tasks.train_encoder_task"] == {"queue": "gpu"}


@pytest.mark.parametrize(("options", "message"), [
    ({"epochs": 1, "learning_rate": float("nan")}, "learning_rate must be a finite number, got nan"),
    ({"epochs": 1, "extra": {"depth": float("inf")}}, "--option depth must be a finite number, got inf"),
])
def test_a_task_with_non_finite_options_is_refused_by_name_and_records_no_run(two_class_folder, options, message):
    with pytest.raises(TrainingError, match=message):
        train_encoder_task.delay("cnn-autoencoder", [str(two_class_folder)], options).get()

    assert not TrainingRun.objects.exists()


def test_unknown_encoder_is_refused_with_the_known_names(two_class_folder):
    with pytest.raises(CommandError, match="unknown encoder 'nope'.*baseline"):
        call_command("train_encoder", "nope", "--dataset", str(two_class_folder))


def test_training_free_encoder_is_refused(two_class_folder):
    with pytest.raises(CommandError, match="training-free"):
        call_command("train_encoder", "baseline", "--dataset", str(two_class_folder))


def test_empty_dataset_is_refused(tmp_path):
    empty = write_labelled_folder(tmp_path / "empty", [])

    with pytest.raises(CommandError, match="no images listed"):
        call_command("train_encoder", "cnn-autoencoder", "--dataset", str(empty))


def test_missing_folder_is_refused(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("train_encoder", "cnn-autoencoder", "--dataset", str(tmp_path / "absent"))


def test_malformed_option_is_refused(two_class_folder):
    with pytest.raises(CommandError, match="KEY=VALUE"):
        call_command("train_encoder", "cnn-autoencoder", "--dataset", str(two_class_folder), "--option", "depth")


def _validation_images(run) -> int:
    return json.loads((Path(run.encoder_version.checkpoint_path) / "training.json").read_text())["validation_images"]


def test_validation_fraction_sets_how_many_patients_are_held_out(two_class_folder):
    default = _train(two_class_folder)
    half = _train(two_class_folder, "--validation-fraction", "0.5")

    assert (_validation_images(default), _validation_images(half)) == (4, 8)  # 8 patients of 2 images
    assert half.options["validation_fraction"] == 0.5


@pytest.mark.parametrize("fraction", ["0", "0.6", "-0.1"])
def test_validation_fraction_outside_its_range_is_refused(two_class_folder, fraction):
    with pytest.raises(CommandError, match=rf"validation fraction must be above 0 and at most 0.5, got {fraction}"):
        _train(two_class_folder, "--validation-fraction", fraction)
    assert not EncoderVersion.objects.exists()


@pytest.mark.parametrize(("option", "message"), [
    ("metric_weight=abc", "--option metric_weight takes a number, got 'abc'"),
    ("depth=2.5", "--option depth takes a whole number, got 2.5"),
    ("depth=nan", "--option depth takes a whole number, got 'nan'"),
    ("metric_weight=inf", "--option metric_weight takes a number, got 'inf'"),
])
def test_an_option_of_the_wrong_type_is_refused_by_name_and_nothing_is_written(two_class_folder, option, message):
    with pytest.raises(CommandError, match=message):
        _train(two_class_folder, "--option", option)
    assert not EncoderVersion.objects.exists()
    assert TrainingRun.objects.get().status == TrainingRun.Status.FAILED


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--epochs", "0", "epochs must be between 1 and"), ("--epochs", "-3", "epochs must be between 1 and"),
    ("--batch", "0", "batch_size must be between 2 and"), ("--batch", "-2", "batch_size must be between 2 and"),
    ("--img-size", "0", "img_size must be between 16 and"), ("--patience", "0", "patience must be between 1 and"),
])
def test_a_setting_outside_its_range_is_refused_before_any_run(two_class_folder, flag, value, message):
    with pytest.raises(CommandError, match=message):
        call_command("train_encoder", "cnn-autoencoder", "--dataset", str(two_class_folder), *TINY, flag, value)
    assert not TrainingRun.objects.exists() and not EncoderVersion.objects.exists()


def test_a_misspelt_option_is_refused_with_the_encoders_options(two_class_folder):
    with pytest.raises(CommandError, match=r"unknown --option embeding_dim for googlenet-gem-arcface; it takes: "
                                           r".*embedding_dim"):
        call_command("train_encoder", "googlenet-gem-arcface", "--dataset", str(two_class_folder), *TINY,
                     "--option", "embeding_dim=16")
    assert not TrainingRun.objects.exists()


def test_ce_net_encoders_take_their_constructor_settings_as_options():
    assert {"reduction", "pca_dim", "segmentation_epochs", "classification_epochs", "max_seconds"} <= \
        CENetXceptionEncoder.accepted_options()
    assert "size" not in CENetXceptionEncoder.accepted_options()


def test_the_task_refuses_an_unknown_field_and_a_value_of_the_wrong_type_by_name(two_class_folder):
    with pytest.raises(TrainingError, match="unknown training option epoch;"):
        train_encoder_task("cnn-autoencoder", [str(two_class_folder)], {"epoch": 3})
    with pytest.raises(TrainingError, match="epochs must be a whole number, got '1'"):
        train_encoder_task("cnn-autoencoder", [str(two_class_folder)], {"epochs": "1"})
    assert not TrainingRun.objects.exists()


def test_settings_take_the_type_of_their_default():
    options = TrainingOptions(extra={"embedding_dim": 128.0, "arcface_scale": 30, "reduction": "pca"})

    assert options.setting("embedding_dim", 256) == 128 and type(options.setting("embedding_dim", 256)) is int
    assert options.setting("arcface_scale", 64.0) == 30.0 and type(options.setting("arcface_scale", 64.0)) is float
    assert options.setting("reduction", "gem") == "pca"
    assert options.setting("absent", 0.5) == 0.5


def test_booleans_and_lists_are_read_from_command_line_text_and_from_json():
    options = TrainingOptions(extra={"normalize_parts": "false", "widths": "4, 8,8,8", "classes": ["a", "b"],
                                     "augment": 1})

    assert options.setting("normalize_parts", True) is False and options.setting("augment", False) is True
    assert options.setting("widths", (64, 128)) == (4, 8, 8, 8)
    assert options.setting("classes", ("COVID", "NonCOVID")) == ("a", "b")


@pytest.mark.parametrize(("extra", "message"), [
    ({"widths": "4,x"}, "--option widths takes a comma-separated list of whole numbers, got '4,x'"),
    ({"widths": "4.5,8"}, "--option widths takes a comma-separated list of whole numbers"),
    ({"normalize_parts": "maybe"}, "--option normalize_parts takes true or false, got 'maybe'"),
    ({"pca_dim": "many"}, "--option pca_dim takes a whole number, got 'many'"),
    ({"pca_dim": float("nan")}, "--option pca_dim takes a whole number, got nan"),  # a task's JSON can carry NaN
])
def test_constructor_settings_of_the_wrong_type_are_refused_by_name(extra, message):
    with pytest.raises(TrainingError, match=message):
        encoder_kwargs(CENetXceptionEncoder, TrainingOptions(img_size=64, extra=extra))


def test_constructor_settings_take_their_defaults_types_and_other_options_are_left_out():
    extra = {"widths": "4,8,8,8", "normalize_parts": "false", "pca_dim": 3.0, "classification_epochs": 40}
    kwargs = encoder_kwargs(CENetXceptionEncoder, TrainingOptions(img_size=64, extra=extra))

    assert kwargs == {"size": 64, "widths": (4, 8, 8, 8), "normalize_parts": False, "pca_dim": 3}
    assert type(kwargs["pca_dim"]) is int


def test_a_bad_validation_fraction_is_refused_before_any_image_is_read(tmp_path):
    with pytest.raises(CommandError, match="validation fraction"):
        call_command("train_encoder", "cnn-autoencoder", "--dataset", str(tmp_path / "absent"),
                     "--validation-fraction", "0.9")


def test_a_second_process_on_the_same_run_is_refused_while_the_first_trains(two_class_folder, monkeypatch):
    import fcntl

    from embeddings.encoders.cnn_autoencoder import CNNAutoencoderEncoder

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(CNNAutoencoderEncoder, "fit", classmethod(interrupted))
        with pytest.raises(KeyboardInterrupt):
            _train(two_class_folder)
    run = TrainingRun.objects.get()
    lock = Path(run.work_dir).parent / "work.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)

    with open(lock, "w") as held:  # another process training this run holds its lock
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(CommandError, match=f"training run {run.pk} .* is already running"):
            _train(two_class_folder)
    resumed = _train(two_class_folder)  # once it is gone, the run resumes and finishes

    assert resumed.pk == run.pk and resumed.status == TrainingRun.Status.FINISHED


def test_a_failing_re_embed_after_activation_keeps_the_run_finished_and_the_next_run_clean(
        two_class_folder, monkeypatch, django_capture_on_commit_callbacks):
    import embeddings.services

    def broken(**kwargs):
        raise NotADirectoryError("the index folder is a file")

    monkeypatch.setattr(embeddings.services, "embed_and_index_new_images", broken)
    with django_capture_on_commit_callbacks(execute=True):
        first = _train(two_class_folder, "--activate")
    second = _train(two_class_folder, "--activate")

    assert first.status == second.status == TrainingRun.Status.FINISHED and first.pk != second.pk
    assert EncoderVersion.objects.get(name="cnn-autoencoder", is_active=True) == second.encoder_version
