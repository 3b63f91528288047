"""Web workers warm the default encoder and index in the background."""
import pytest

from browser.services.indexing import _loaded

pytestmark = pytest.mark.django_db


def test_warm_default_encoder_loads_the_serving_index(brain_repository):
    from cbir.warmup import warm_default_encoder

    label = warm_default_encoder()

    assert label == "baseline@1" and len(_loaded) == 1


def test_warming_without_an_index_only_logs(transactional_db, caplog):
    from cbir.warmup import warm_in_background

    warm_in_background().join(timeout=30)

    assert "could not warm the default encoder" in caplog.text
