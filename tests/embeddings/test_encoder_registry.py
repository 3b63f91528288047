"""The encoder registry: lazy lookup, refusal of duplicates and unknown names."""
import subprocess
import sys

import pytest

from embeddings.encoders import known_encoders, register_encoder
from embeddings.encoders.base import Encoder
from embeddings.errors import UnknownEncoder
from embeddings.encoders.registry import build_encoder


def test_known_encoders_lists_the_baseline():
    assert "baseline" in known_encoders()


def test_unknown_encoder_names_the_known_ones():
    with pytest.raises(UnknownEncoder, match="baseline"):
        build_encoder("no-such-encoder")


def test_registering_a_name_twice_is_refused():
    @register_encoder("test-only-duplicate")
    class First(Encoder):
        def embed(self, images):
            return None

    with pytest.raises(ValueError, match="already registered"):
        register_encoder("test-only-duplicate")(First)


def test_serving_the_baseline_never_imports_torch():
    code = ("import django, os, sys; os.environ['DJANGO_SETTINGS_MODULE']='cbir.settings_test'; django.setup();"
            "import numpy as np; from embeddings.encoders import build_encoder, known_encoders;"
            "import browser.views, ingest.services, embeddings.services;"
            "build_encoder('baseline').embed([np.zeros((8, 8), np.uint8)]); known_encoders();"
            "print('torch' in sys.modules)")

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "False"
