"""A deny-by-default URL fetcher for WeasyPrint.

WeasyPrint's default fetcher opens ``file:``, ``http(s):`` and ``ftp:`` URLs
and follows redirects. A document built from user answers must reach none of
them. This fetcher serves only:

* ``data:`` URLs (decoded in memory), and
* ``file:`` URLs whose resolved path is a regular file inside the bundled
  assets directory (``doc_templates/shared``); symlinks and ``..`` are
  resolved first, so they cannot escape it.

Everything else raises :class:`FetchDenied`; WeasyPrint logs a warning and
renders without the resource. No network code is ever called, so there is
no redirect to follow. Each instance records what it allowed and denied, so
tests can check the fetcher saw (and refused) what they injected.
"""

from __future__ import annotations

import mimetypes
import threading
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import DataHandler, Request, url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse


class FetchDenied(ValueError):
    """A URL the document renderer is not allowed to open."""


class BundledAssetFetcher(URLFetcher):
    """Serve ``data:`` URLs and files under ``assets_dir``; refuse everything else."""

    def __init__(self, assets_dir: Path) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
        self.assets_dir = assets_dir.resolve()
        self.allowed: list[str] = []
        self.denied: list[str] = []
        self._lock = threading.Lock()

    def _deny(self, url: str, why: str) -> FetchDenied:
        with self._lock:
            self.denied.append(url)
        return FetchDenied(f"document renderer may not fetch {url[:200]!r}: {why}")

    def _allow(self, url: str) -> None:
        with self._lock:
            self.allowed.append(url)

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            response = DataHandler().data_open(Request(url))  # noqa: S310 (data: only)
            body = response.read()
            self._allow(url[:60])
            return URLFetcherResponse(url, body, {"Content-Type": response.headers["Content-Type"]})
        if scheme != "file":
            raise self._deny(url, "only bundled assets and data: URLs are allowed")
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise self._deny(url, "remote file URL")
        try:
            path = Path(url2pathname(parts.path)).resolve(strict=True)
        except (OSError, RuntimeError) as exc:
            raise self._deny(url, "no such bundled asset") from exc
        if not path.is_relative_to(self.assets_dir) or not path.is_file():
            raise self._deny(url, "outside the bundled assets directory")
        body = path.read_bytes()
        self._allow(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), body, {"Content-Type": content_type})

    def __call__(self, url: str) -> URLFetcherResponse:
        return self.fetch(url)
