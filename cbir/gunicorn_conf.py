"""gunicorn settings of `make demo` (and docker): warm each worker after it boots."""


def post_worker_init(worker):
    from cbir.warmup import warm_in_background

    warm_in_background()
