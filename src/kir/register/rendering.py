"""Markdown from users, rendered to HTML that is safe to put in a page.

Issue texts are written by many organisations and shown to every SEC Party, so the HTML that
Markdown produces is passed through nh3 (an allow-list sanitiser) before it is marked safe: raw
HTML, scripts, event handlers and javascript: links never survive.
"""

from __future__ import annotations

import hashlib

import markdown as markdown_lib
import nh3
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h3", "h4",
    "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody",
    "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}


# Rendered texts are kept by their content's hash (a text that changes gets a new key): a
# 100,000-character description, the longest allowed, took 0.6 s to render and sanitise here.
RENDER_CACHE_SECONDS = 24 * 3600


def render_markdown(text: str) -> SafeString:
    """Markdown -> sanitised HTML, cached by content. Headings start at h3 because the page
    owns h1 and h2."""
    key = "kir.markdown:" + hashlib.sha256((text or "").encode()).hexdigest()
    html = cache.get(key)
    if html is None:
        html = _render(text)
        cache.set(key, html, RENDER_CACHE_SECONDS)
    return mark_safe(html)  # sanitised by _render before it was stored


def _render(text: str) -> str:
    html = markdown_lib.markdown(
        text or "", extensions=["tables", "sane_lists"], output_format="html"
    )
    html = _demote_headings(html)
    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return cleaned


def _demote_headings(html: str) -> str:
    # A user's "# Heading" must not compete with the page's own h1/h2 (heading hierarchy).
    for level in range(4, 0, -1):
        new = min(level + 2, 6)
        html = html.replace(f"<h{level}>", f"<h{new}>").replace(f"</h{level}>", f"</h{new}>")
    return html
