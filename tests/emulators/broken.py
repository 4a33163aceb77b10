"""Answers no API gives but a misconfigured address or a proxy in front of it does.

Both emulators serve them on request (``fail_next(method, …, "html")``), so the bot's start-up
can be tested against each way a wrong ``TELEGRAM_API_BASE``/``VK_API_BASE`` or a broken proxy
answers. Several echo the request's path and query, as framework error pages do ("Cannot POST
/bot123:AA…/getMe"): the token is in them, and the bot must not print it.
"""

from __future__ import annotations

from aiohttp import web

#: The kinds `broken_answer` knows, each with what it models.
KINDS = {
    "html": "a 502 HTML error page of a proxy or framework, echoing the address",
    "text": "200 with a plain-text body (a health page, a captive portal)",
    "binary": "200 with bytes that are not UTF-8 text",
    "json404": "404 with a JSON body that is not the API's (another service's router)",
    "redirect": "302 to an address that answers a plain-text 404",
    "redirect_loop": "302 to the same address, for ever",
}


def broken_answer(kind: str, request: web.Request) -> web.Response:
    """The answer of ``kind``; a redirect is raised, as aiohttp wants."""
    if kind == "html":
        page = (
            "<html><body><h1>502 Bad Gateway</h1>"
            f"<p>Cannot {request.method} {request.path_qs}</p></body></html>"
        )
        return web.Response(status=502, text=page, content_type="text/html")
    if kind == "text":
        return web.Response(text="OK", content_type="text/plain")
    if kind == "binary":
        body = b"\x89PNG\r\n\xff\xfe\xfa"
        return web.Response(body=body, content_type="application/octet-stream")
    if kind == "json404":
        return web.json_response({"detail": "Not Found", "path": request.path_qs}, status=404)
    if kind == "redirect":
        raise web.HTTPFound(f"/moved{request.path_qs}")
    if kind == "redirect_loop":
        raise web.HTTPFound(request.path_qs)
    raise ValueError(f"unknown broken answer {kind!r}; known: {', '.join(KINDS)}")
