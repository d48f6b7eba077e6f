"""A stand-in for the cloud's venue API (docs/protocol.md), served over real HTTP.

It plays the other tier, whose real implementation is tested on its own; it lets these tests
make the cloud page, fail, refuse or acknowledge exactly as a scenario needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar, MediaType, Request, Response, get, post

from shared.messages import ManifestPage, ScanAck, ScanBatch, ScanRecord, decode, encode


@dataclass
class CloudDouble:
    api_key: str
    pages: list[ManifestPage]
    venue_name: str = "Hall"
    cursors_asked: list[str] = field(default_factory=list)
    received: dict[str, ScanRecord] = field(default_factory=dict)
    failing_cursors: set[str] = field(default_factory=set)
    # Acknowledge at most this many scans per batch (None: all).
    ack_limit: int | None = None

    def _page_for(self, cursor: str) -> ManifestPage | None:
        if cursor == "":
            return self.pages[0]
        for before, page in zip(self.pages, self.pages[1:], strict=False):
            if before.next_cursor == cursor:
                return page
        if cursor == self.pages[-1].next_cursor:
            return ManifestPage(next_cursor=cursor, has_more=False)
        return None

    def app(self) -> Litestar:
        double = self

        def refused(request: Request[Any, Any, Any]) -> Response[Any] | None:
            if request.headers.get("authorization") != f"Bearer {double.api_key}":
                return Response({"status_code": 401, "detail": "bad key"}, status_code=401)
            return None

        @get("/api/v1/venue/me", sync_to_thread=False)
        def me(request: Request[Any, Any, Any]) -> Response[Any]:
            return refused(request) or Response({"venue_id": 3, "name": double.venue_name})

        @get("/api/v1/venue/manifest", sync_to_thread=False)
        def manifest(request: Request[Any, Any, Any]) -> Response[Any]:
            if denied := refused(request):
                return denied
            cursor = request.query_params.get("cursor", "")
            double.cursors_asked.append(cursor)
            page = double._page_for(cursor)
            if cursor in double.failing_cursors:
                return Response({"status_code": 500, "detail": "boom"}, status_code=500)
            if page is None:
                return Response({"status_code": 400, "detail": "bad cursor"}, status_code=400)
            return Response(encode(page), media_type=MediaType.JSON)

        @post("/api/v1/venue/scans")
        async def scans(request: Request[Any, Any, Any]) -> Response[Any]:
            if denied := refused(request):
                return denied
            batch = decode(await request.body(), ScanBatch)
            kept = batch.scans[: double.ack_limit]
            new = [r for r in kept if r.scan_id not in double.received]
            double.received.update((r.scan_id, r) for r in kept)
            ack = ScanAck(
                stored=len(new),
                duplicates=len(kept) - len(new),
                acked=[r.scan_id for r in kept],
            )
            return Response(encode(ack), media_type=MediaType.JSON, status_code=200)

        return Litestar(route_handlers=[me, manifest, scans])
