"""gunicorn settings of `make demo` (and docker): warm each worker after it boots; no UIDs in the access log."""
from gunicorn.glogging import Logger

from cbir.log_filters import mask_uids


class UidMaskingLogger(Logger):
    """The access log's request line, path, query and referer with DICOM UIDs masked."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = mask_uids(atoms[key])
        return atoms


logger_class = UidMaskingLogger


def post_worker_init(worker):
    from cbir.warmup import warm_in_background

    warm_in_background()
