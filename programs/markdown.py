"""Safe Markdown for training modules: raw HTML is shown as text, and markdown-it refuses
javascript:, vbscript: and file: links, so an author cannot inject script into a reader's page."""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True})


def render_markdown(text: str) -> SafeString:
    # Safe to mark: with html disabled, markdown-it escapes every tag the author typed.
    return mark_safe(_renderer.render(text))
