"""Request bodies of the API: a size limit and gzip, before anything parses them.

Django's own limit answers 400; a client that sends too much deserves 413,
and a gzip body must be limited after it is inflated too (a small
compressed body can inflate to gigabytes).
"""

import zlib
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

_READ_BLOCK = 65536


def _too_large(limit: int) -> JsonResponse:
    return JsonResponse(
        {"detail": f"request body is larger than {limit} bytes; send smaller batches"},
        status=413,
    )


class ApiBodyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") and request.method in (
            "POST",
            "PUT",
            "PATCH",
        ):
            refusal = self._load_body(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _load_body(self, request: HttpRequest) -> HttpResponse | None:
        limit = settings.PORTAL_MAX_BODY_BYTES
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            detail = "send the body with a Content-Length, not chunked"
            return JsonResponse({"detail": detail}, status=411)

        declared = request.META.get("CONTENT_LENGTH") or "0"
        if not declared.isdigit():
            return JsonResponse(
                {"detail": "Content-Length is not a number"}, status=400
            )
        if int(declared) > limit:
            return _too_large(limit)

        if request.content_type and request.content_type.startswith("multipart/"):
            return None  # Django streams multipart uploads to disk itself.

        raw = request.read(limit + 1)
        if len(raw) > limit:
            return _too_large(limit)

        encoding = request.META.get("HTTP_CONTENT_ENCODING", "").strip().lower()
        if encoding in ("gzip", "x-gzip"):
            try:
                raw = _gunzip(raw, limit)
            except OverflowError:
                return _too_large(limit)
            except zlib.error:
                return JsonResponse({"detail": "body is not valid gzip"}, status=400)
        elif encoding not in ("", "identity"):
            detail = f"Content-Encoding {encoding!r} is not supported; use gzip"
            return JsonResponse({"detail": detail}, status=415)

        request._body = raw  # type: ignore[attr-defined]
        request._stream = None  # type: ignore[assignment]
        return None


def _gunzip(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=31)
    out = bytearray()
    view = memoryview(data)
    for offset in range(0, len(data), _READ_BLOCK):
        out += inflater.decompress(
            view[offset : offset + _READ_BLOCK], limit + 1 - len(out)
        )
        if len(out) > limit or inflater.unconsumed_tail:
            raise OverflowError
    out += inflater.flush()
    if len(out) > limit:
        raise OverflowError
    if not inflater.eof:
        raise zlib.error("truncated gzip stream")
    if inflater.unused_data:
        raise zlib.error("data after the end of the gzip stream")
    return bytes(out)
