"""Safe Markdown for training modules and conversation guides: raw HTML is shown as text, and
markdown-it refuses javascript:, vbscript: and file: links, so an author cannot inject script
into a reader's page.

Headings start at level 2 by default: every page has its own <h1> (the module's or the
meeting's title), and an author's "# Heading" must not add a second one."""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True})


def render_markdown(text: str, *, top_heading: int = 2) -> SafeString:
    """The text as HTML, its "#" headings at level ``top_heading`` ("##" one below, and so on,
    down to <h6>)."""
    tokens = _renderer.parse(text)
    for token in tokens:
        # A heading's open and close tokens carry its tag ("h1" for "#"); shifting the tag is
        # all the renderer needs (the tokens are this call's own).
        if token.type in ("heading_open", "heading_close"):
            level = min(6, int(token.tag[1:]) + top_heading - 1)
            token.tag = f"h{level}"
    # Safe to mark: with html disabled, markdown-it escapes every tag the author typed.
    return mark_safe(_renderer.renderer.render(tokens, _renderer.options, {}))
