"""The few pages the sign-in routes answer with themselves: sign-in off, refused, failed.
Plain HTML with no script (the pages' Content-Security-Policy applies), in Russian."""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

from api.pages import POLICY


def notice(status: int, title: str, text: str, links: tuple[tuple[str, str], ...] = ()) -> HTMLResponse:
    """A short page saying what happened and where to go from here (``links``: href, label)."""
    items = "".join(f'<li><a href="{escape(href)}">{escape(label)}</a></li>' for href, label in links)
    body = f"""<!doctype html>
<html lang="ru">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="icon" href="data:,">
  <title>{escape(title)} — okno</title>
  <link rel="stylesheet" href="/ui/okno.css">
</head>
<body>
  <header class="top"><h1>МФЦ «Мои Документы»</h1></header>
  <main>
    <h2>{escape(title)}</h2>
    <p id="notice" role="alert">{escape(text)}</p>
    <ul>{items}</ul>
  </main>
</body>
</html>
"""
    return HTMLResponse(
        body,
        status_code=status,
        headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )
