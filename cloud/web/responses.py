"""How pages answer: who may keep a copy of them, and whom they may name as referrer."""

from __future__ import annotations

from litestar import MediaType, Response

# How long anonymous visitors may see the same rendering of a public page.
PUBLIC_PAGE_TTL_S = 10
# Answers with tickets or payment secrets, or reached by a secret link: never stored by any
# cache, never sent as a referrer.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def public_page(body: bytes | str, *, shared: bool) -> Response[bytes | str]:
    """An anonymous rendering: ``shared`` pages (no form) may sit in any cache for the TTL;
    others carry the visitor's CSRF token, so only their own browser may keep them."""
    scope = "public" if shared else "private"
    return Response(
        body,
        media_type=MediaType.HTML,
        headers={"Cache-Control": f"{scope}, max-age={PUBLIC_PAGE_TTL_S}"},
    )


def secret_page(body: str, status_code: int = 200) -> Response[str]:
    """A page whose address carries the buyer's token: kept by no cache, sent as no
    referrer."""
    return Response(
        body,
        status_code=status_code,
        media_type=MediaType.HTML,
        headers=PRIVATE,
    )


def personal_page(body: str, status_code: int = 200) -> Response[str]:
    return Response(
        body,
        status_code=status_code,
        media_type=MediaType.HTML,
        headers={"Cache-Control": "private, no-cache"},
    )
