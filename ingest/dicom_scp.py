"""DICOM C-STORE / C-ECHO receiver (pynetdicom) feeding the one ingestion service."""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Sequence

from django.conf import settings
from django.db import close_old_connections
from pydicom.dataset import Dataset
from pydicom.pixels import get_decoder
from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, AllStoragePresentationContexts, evt
from pynetdicom.sop_class import Verification

from ingest.dicom_policy import (OUT_OF_RESOURCES, PROCESSING_FAILURE, RETIRED_ULTRASOUND_CLASSES,
                                 RETIRED_ULTRASOUND_KEYWORDS, SUCCESS)
from ingest.models import Image
from ingest.services import embed_and_index_ready_images, get_or_create_dataset, receive_dicom_instance

logger = logging.getLogger(__name__)

CHANNEL = "dicom-scp"


def decodable_transfer_syntaxes() -> list[str]:
    """The transfer syntaxes whose pixel data this installation's pydicom plugins can decode."""
    usable = []
    for syntax in ALL_TRANSFER_SYNTAXES:
        try:
            if get_decoder(syntax).is_available:
                usable.append(syntax)
        except NotImplementedError:
            continue
    return usable


@dataclass
class StoreScp:
    """Per-server state: the target dataset, stored ids per association, the embedding worker."""

    dataset_name: str
    on_batch_stored: Callable[[Sequence[int]], object] = embed_and_index_ready_images
    pending: dict[int, list[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    embedder: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, "dicom-scp-embed"))

    def handle_echo(self, event) -> int:
        return SUCCESS

    def handle_store(self, event) -> int | Dataset:
        close_old_connections()
        context = event.context
        if len(event.request.DataSet.getvalue()) > settings.MAX_UPLOAD_BYTES:
            # decoding copies an instance several times: one this size could exhaust the receiver's memory
            return failure_reply(OUT_OF_RESOURCES, "instance larger than CBIR_MAX_UPLOAD_BYTES")
        try:
            received = receive_dicom_instance(
                data=event.encoded_dataset(include_meta=True), dataset=get_or_create_dataset(self.dataset_name),
                channel=CHANNEL, sop_class_uid=str(context.abstract_syntax),
                detail={"transfer_syntax": str(context.transfer_syntax), "calling_ae": event.assoc.requestor.ae_title},
            )
        except Exception as exc:  # a bug or a database outage must not take the receiver down
            logger.error("C-STORE on association %s failed: %s", id(event.assoc), type(exc).__name__)
            return failure_reply(PROCESSING_FAILURE, "internal error while storing; retry later")
        if received.status != SUCCESS:
            return failure_reply(received.status, received.comment)
        if received.created and received.image.status == Image.Status.READY:
            with self.lock:
                self.pending.setdefault(id(event.assoc), []).append(received.image.pk)
        return SUCCESS

    def handle_association_end(self, event) -> None:
        """Embed what one association stored as one batch, off the association's thread."""
        with self.lock:
            image_ids = self.pending.pop(id(event.assoc), [])
        if image_ids:
            self.embedder.submit(self._embed, image_ids)
        close_old_connections()

    def _embed(self, image_ids: list[int]) -> None:
        try:
            self.on_batch_stored(image_ids)
        except Exception:  # the images are stored; a later embed run picks them up
            logger.exception("embedding images %s..%s failed", image_ids[0], image_ids[-1])
        finally:
            close_old_connections()

    def handlers(self) -> list:
        return [(evt.EVT_C_ECHO, self.handle_echo), (evt.EVT_C_STORE, self.handle_store),
                (evt.EVT_RELEASED, self.handle_association_end), (evt.EVT_ABORTED, self.handle_association_end)]


def failure_reply(status: int, comment: str) -> Dataset:
    reply = Dataset()
    reply.Status = status
    reply.ErrorComment = comment[:64]  # LO
    return reply


def build_ae(ae_title: str) -> AE:
    ae = AE(ae_title=ae_title)
    syntaxes = decodable_transfer_syntaxes()
    # Every storage class is negotiated, so that non-image objects get a C-STORE failure status
    # with a reason (and a Rejection row) instead of a bare presentation-context refusal.
    for context in AllStoragePresentationContexts:
        ae.add_supported_context(context.abstract_syntax, syntaxes)
    register_retired_storage_classes()
    for retired in RETIRED_ULTRASOUND_CLASSES:
        ae.add_supported_context(retired, syntaxes)
    ae.add_supported_context(Verification)
    ae.require_called_aet = True  # an association addressed to another AE title is rejected, not served
    # Only the listed modalities may store (CBIR_DICOM_CALLING_AETS); empty: any sender on the network.
    ae.require_calling_aet = list(getattr(settings, "DICOM_CALLING_AETS", []))
    return ae


def register_retired_storage_classes() -> None:
    """Tell pynetdicom that the retired ultrasound classes are storage (it aborts associations otherwise)."""
    from pynetdicom import sop_class
    from pynetdicom.service_class import StorageServiceClass

    for uid, keyword in zip(RETIRED_ULTRASOUND_CLASSES, RETIRED_ULTRASOUND_KEYWORDS):
        if not hasattr(sop_class, keyword):
            sop_class.register_uid(uid, keyword, StorageServiceClass)


def start_scp(*, host: str = "0.0.0.0", port: int = 11112, ae_title: str = "CBIR", dataset_name: str = "dicom-scp",
              block: bool = False, on_batch_stored: Callable[[Sequence[int]], object] | None = None):
    """Serve C-ECHO and C-STORE; returns the pynetdicom server (None once a blocking server stops)."""
    # pynetdicom's DEBUG messages print the sender's SOP Instance UIDs (identifiers): never emit them.
    library_logger = logging.getLogger("pynetdicom")
    library_logger.setLevel(max(logging.INFO, library_logger.getEffectiveLevel()))
    scp = StoreScp(dataset_name, **({"on_batch_stored": on_batch_stored} if on_batch_stored else {}))
    get_or_create_dataset(dataset_name)
    logger.info("DICOM SCP %s listening on %s:%s", ae_title, host, port)
    server = build_ae(ae_title).start_server((host, port), block=block, evt_handlers=scp.handlers())
    if server is not None:
        server.daemon_threads = True  # an association stuck on a silent peer must not keep the process alive
    return server


def stop_scp(server, *, grace_seconds: float = 30.0) -> None:
    """Stop accepting, then give running associations `grace_seconds` to end before returning.
    A sender cut off after that gets no success status for what was not stored and sends it again;
    what it was told is stored is already committed, so nothing accepted is lost."""
    server.block_on_close = False  # server_close() would otherwise join every association thread
    server.shutdown()
    deadline = time.monotonic() + grace_seconds
    for association in list(server.ae.active_associations):
        association.join(max(0.0, deadline - time.monotonic()))
    still_running = len(server.ae.active_associations)
    if still_running:
        logger.warning("DICOM SCP stopped with %d association(s) still running after %.0f s", still_running,
                       grace_seconds)
