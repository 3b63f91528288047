"""Load the default encoder and its index in the background once a web worker has booted, so the
first query does not pay for importing torch and reading the index (seconds) while nobody waits."""
import logging
import threading

logger = logging.getLogger(__name__)


def warm_default_encoder() -> str | None:
    """Load the default encoder's model and serving index into this process; returns its label."""
    from browser.services import get_serving_index
    from embeddings.selectors import get_default_encoder_name
    from embeddings.services import get_active_version, load_encoder

    version = get_active_version(get_default_encoder_name())
    load_encoder(version)
    get_serving_index(version)
    return str(version)


def warm_in_background() -> threading.Thread:
    def run():
        try:
            logger.info("warmed %s", warm_default_encoder())
        except Exception:  # nothing indexed yet, or no checkpoint: the first query will say so itself
            logger.warning("could not warm the default encoder", exc_info=True)

    thread = threading.Thread(target=run, name="warm-default-encoder", daemon=True)
    thread.start()
    return thread
