"""What a person reads on a page: its text and the attributes a screen reader or a tooltip
speaks, without scripts, styles, the values behind form controls, or literal code samples."""

from __future__ import annotations

from html.parser import HTMLParser

# Read aloud or shown beside the element, so they are text for people too.
SPOKEN_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")
HIDDEN_ELEMENTS = {"script", "style", "template"}
# <code> and friends show an identifier on purpose: a CSV column name, a rule, a hash.
LITERAL_ELEMENTS = {"code", "pre", "kbd", "samp"}


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN_ELEMENTS | LITERAL_ELEMENTS:
            self.skipping.append(tag)
        if self.skipping:
            return
        self.parts += [value for name, value in attrs if name in SPOKEN_ATTRIBUTES and value]
        if tag == "input" and dict(attrs).get("type") in {"submit", "button"}:
            self.parts.append(dict(attrs).get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    collector = _TextCollector()
    collector.feed(html)
    return " ".join(" ".join(collector.parts).split())
