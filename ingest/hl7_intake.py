"""Receive one HL7 v2 message from any channel: parse, de-identify, store, answer with an ACK."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError

from ingest.hl7_ack import build_ack
from ingest.models import Rejection
from ingest.parsers.hl7 import parse_hl7_message
from ingest.parsers.hl7_segments import Hl7Rejected
from ingest.reports import store_clinical_record

logger = logging.getLogger(__name__)


@dataclass
class Hl7Reply:
    ack: str
    ack_code: str  # AA, AE, AR
    is_duplicate: bool = False


def receive_hl7_message(*, text: str, channel: str) -> Hl7Reply:
    """Store the message (a re-sent control id is a no-op) and build its ACK; never raises for bad input."""
    try:
        check_size(text)
        outcome = store_clinical_record(parse_hl7_message(text))
    except Hl7Rejected as error:
        record_rejection(channel=channel, error=error)
        return Hl7Reply(ack=build_ack(text, error=error), ack_code=error.ack_code)
    except DatabaseError as exc:
        # The exception text may quote stored values; log its type only.
        logger.error("hl7 message not stored on %s: %s", channel, type(exc).__name__)
        error = Hl7Rejected("message could not be stored, resend later", code="207", ack_code="AE")
        return Hl7Reply(ack=build_ack(text, error=error), ack_code="AE")
    except Exception as exc:  # a bug must cost one AE on either channel, never a 500 page or the listener
        logger.error("hl7 message failed on %s: %s", channel, type(exc).__name__)
        error = Hl7Rejected("internal error while processing the message", code="207", ack_code="AE")
        return Hl7Reply(ack=build_ack(text, error=error), ack_code="AE")
    logger.info("hl7 message %s accepted on %s (new=%s)", outcome.message.pk, channel, outcome.created)
    return Hl7Reply(ack=build_ack(text), ack_code="AA", is_duplicate=not outcome.created)


def check_size(text: str) -> None:
    limit = int(getattr(settings, "HL7_MAX_MESSAGE_BYTES", 1024 * 1024))
    if len(text) > limit:
        raise Hl7Rejected(f"message longer than {limit} characters", code="207")


def record_rejection(*, channel: str, error: Hl7Rejected) -> Rejection:
    """The reason and error location only; the message content is never kept."""
    rejection = Rejection.objects.create(channel=channel, reason=error.message, detail={
        "ack_code": error.ack_code, "error_code": error.code, "segment": error.segment,
        "sequence": error.sequence, "field": error.field})
    logger.info("hl7 message rejected on %s as rejection %s (%s)", channel, rejection.pk, error.code)
    return rejection
