"""Keep DICOM UIDs out of the logs.

Original Study/Series/SOP Instance UIDs can be traced back to a patient at the sending hospital,
yet they appear in request paths (a STOW-RS URL, a 404 for one), in urllib3's debug lines for
PACS retrievals and in gunicorn's access log. Every log line passes through `mask_uids` first.
Numbers of five or more dotted parts are masked (issued UIDs are that long); IPv4 addresses and
version numbers, with four or fewer, are left alone.
"""
from __future__ import annotations

import logging
import re

UID_SHAPE = re.compile(r"(?<![\w.])\d+(?:\.\d+){4,}(?![\w.])")  # 5+ numeric parts: a UID, not a version or IPv4


def mask_uids(text: str) -> str:
    return UID_SHAPE.sub("<uid>", text)


class MaskUids(logging.Filter):
    """Rewrites the record's message with UIDs masked (arguments are merged in first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_uids(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
