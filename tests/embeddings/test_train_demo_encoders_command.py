"""manage.py train_demo_encoders: budgeted, idempotent, activates only what beats the baseline."""
import pytest
from django.core.management import CommandError, call_command

from embeddings.models import EncoderVersion, TrainingRun
from embeddings.selectors import get_default_encoder_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_trained(two_class_folder, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("train_demo_encoders", "--budget-minutes", "0.1", "--dataset", str(two_class_folder))
    return two_class_folder


def test_demo_training_trains_each_learned_encoder_once(demo_trained, capsys):
    call_command("train_demo_encoders", "--budget-minutes", "0.1", "--dataset", str(demo_trained))

    assert sorted(TrainingRun.objects.values_list("encoder_name", flat=True)) == ["cnn-autoencoder",
                                                                                   "googlenet-gem-arcface"]
    assert "nothing to do" in capsys.readouterr().out
    for version in EncoderVersion.objects.exclude(name="baseline"):
        baseline = version.metrics["rivals_validation_map"]["baseline"]
        assert version.is_active == (version.metrics["validation_map"] > baseline)
    defaults = EncoderVersion.objects.filter(is_default=True)
    assert defaults.count() == (1 if EncoderVersion.objects.exclude(name="baseline").filter(is_active=True) else 0)
    assert get_default_encoder_name() == (defaults.first().name if defaults else "baseline")


def test_non_positive_budget_is_refused():
    with pytest.raises(CommandError, match="budget"):
        call_command("train_demo_encoders", "--budget-minutes", "0")
