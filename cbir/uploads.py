"""Upload handling that never writes a request to disk.

Django spools a multipart request larger than FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file,
which for an identifiable DICOM means patient identity on disk before de-identification (and
left behind if the worker dies). This handler keeps every request in memory and refuses a
larger one outright, which the API answers with 413.
"""
from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import MemoryFileUploadHandler


class MemoryOnlyUploadHandler(MemoryFileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        super().handle_raw_input(input_data, META, content_length, boundary, encoding)
        if not self.activated:
            raise RequestDataTooBig("upload larger than FILE_UPLOAD_MAX_MEMORY_SIZE")
