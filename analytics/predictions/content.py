"""What a campaign's HTML body holds: visible text length, links, images, calls to action.

Parsed with the standard library's HTML parser (tolerant of the broken markup email
builders produce), never with regular expressions over the markup, and nothing in it is
run or fetched. A call to action is a ``<button>``, a submit input, or a link styled or
marked as a button (a class containing ``button``, ``btn`` or ``cta``, or
``role="button"``): the element a reader is meant to press.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

# What a campaign's template is built as; the campaign import accepts only these.
TEMPLATE_TYPES = ("plain_text", "single_column", "multi_column", "product_grid")
# The counted columns, in the order the campaign table stores them.
CONTENT_COLUMNS = ("content_length", "link_count", "image_count", "cta_count")
_CTA_CLASSES = ("button", "btn", "cta")
# Text inside these is not read by anyone.
_HIDDEN = frozenset({"script", "style", "head", "title"})
# Elements that never have an end tag, so they never hide what follows them.
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                   "meta", "source", "track", "wbr"})


@dataclass(frozen=True)
class ContentCounts:
    content_length: int
    link_count: int
    image_count: int
    cta_count: int

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.content_length, self.link_count, self.image_count, self.cta_count)


class _Counter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links = self.images = self.ctas = 0
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: (value or "") for name, value in attrs}
        classes = values.get("class", "").lower().split()
        styled = values.get("role", "").lower() == "button" or any(
            marker in name for name in classes for marker in _CTA_CLASSES)
        if tag == "a" and values.get("href", "").strip():
            self.links += 1
            self.ctas += styled
        elif tag == "img":
            self.images += 1
        elif tag == "button" or (tag == "input" and values.get("type", "").lower()
                                 in ("submit", "button")):
            self.ctas += 1
        if tag in _HIDDEN and tag not in _VOID:
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.text.append(data)


def content_counts(html: str) -> ContentCounts:
    """Visible characters (whitespace runs counted as one space, ends trimmed), links
    with an ``href``, ``<img>`` elements and calls to action in ``html``."""
    counter = _Counter()
    counter.feed(html)
    counter.close()
    text = " ".join(" ".join(counter.text).split())
    return ContentCounts(content_length=len(text), link_count=counter.links,
                         image_count=counter.images, cta_count=counter.ctas)
