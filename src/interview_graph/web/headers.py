"""The headers every workbench page is sent with.

The Content-Security-Policy allows scripts from this server only: no inline script, no
`eval`, so even text that slipped past escaping could run nothing. Styles come from this
server too, plus one exception for the charting library: plotly.js creates an EMPTY <style>
element and fills it through the CSSOM (which CSP does not govern); the hash below is the
hash of the empty string, so no inline style text is allowed. plotly.js's map stylesheet
(inline text) stays blocked: the workbench draws no maps.
"""

from __future__ import annotations

EMPTY_STYLE_HASH = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        f"style-src 'self' {EMPTY_STYLE_HASH}",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)

PAGE_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # Pages show the graph as it is now; the browser asks again rather than show an old one.
    "Cache-Control": "no-cache",
}
