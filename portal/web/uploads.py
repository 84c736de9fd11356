"""A size limit on file uploads that holds before the file reaches the disk.

Django parses a multipart body the first time anything reads request.POST
or request.FILES (the CSRF check does), streaming large files to temporary
files. This handler stops an upload at the limit instead, and remembers that
it did so the page can say why.
"""

from django.core.files.uploadhandler import FileUploadHandler, StopUpload

# Room for the form's other fields and the multipart boundaries.
FORM_OVERHEAD_BYTES = 64 * 1024


class UploadLimit(FileUploadHandler):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.exceeded = False
        self.size = 0

    def handle_raw_input(  # type: ignore[no-untyped-def, override]
        self, input_data, META, content_length, boundary, encoding=None
    ) -> None:
        if content_length > self.limit + FORM_OVERHEAD_BYTES:
            self.exceeded = True
            self.size = content_length

    def new_file(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().new_file(*args, **kwargs)
        if self.exceeded:
            # Consume the rest without storing it, so the browser gets the
            # page that explains, not a reset connection.
            raise StopUpload(connection_reset=False)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            self.size = max(self.size, start + len(raw_data))
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
