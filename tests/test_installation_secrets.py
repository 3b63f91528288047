"""cbir.settings.installation_secret: per-installation keys, never a shared default."""
import stat

from cbir import settings as base


def test_a_missing_secret_is_made_once_private_and_then_reused(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "VAR_DIR", tmp_path)
    monkeypatch.delenv("CBIR_TEST_SECRET", raising=False)

    first = base.installation_secret("CBIR_TEST_SECRET", "test-secret")
    second = base.installation_secret("CBIR_TEST_SECRET", "test-secret")

    path = tmp_path / "secrets" / "test-secret"
    assert first == second and len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and not list(path.parent.glob(".*.tmp"))


def test_the_environment_wins_and_two_installations_differ(tmp_path, monkeypatch):
    monkeypatch.delenv("CBIR_TEST_SECRET", raising=False)
    monkeypatch.setattr(base, "VAR_DIR", tmp_path / "a")
    one = base.installation_secret("CBIR_TEST_SECRET", "test-secret")
    monkeypatch.setattr(base, "VAR_DIR", tmp_path / "b")
    other = base.installation_secret("CBIR_TEST_SECRET", "test-secret")
    monkeypatch.setenv("CBIR_TEST_SECRET", "from-the-environment")

    assert one != other
    assert base.installation_secret("CBIR_TEST_SECRET", "test-secret") == "from-the-environment"
