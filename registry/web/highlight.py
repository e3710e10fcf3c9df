"""Syntax highlighting of contracts, done on the server by Pygments: the page carries `<span class=...>`
tokens (no inline style, which the pages' Content-Security-Policy forbids) and the colours come from
static/highlight.css, written by this module (`python -m registry.web.highlight > .../highlight.css`)."""

from __future__ import annotations

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import JsonLexer

SCOPE = ".hl"  # the class of the <pre> the highlighted contract sits in
STYLE = "default"  # its colours reach WCAG AA contrast on the pages' light background

_lexer = JsonLexer()
_formatter = HtmlFormatter(nowrap=True, style=STYLE)  # spans only: the template writes the <pre><code>


def highlight_json(text: str) -> Markup:
    """`text` as HTML: every character of it escaped by Pygments, tokens wrapped in classed spans."""
    return Markup(highlight(text, _lexer, _formatter))  # Pygments escapes the text: trusted as HTML


def stylesheet() -> str:
    """The token rules, scoped to SCOPE (Pygments also emits unscoped `pre` and line-number rules, which
    would restyle every <pre> of the catalog: left out)."""
    rules = HtmlFormatter(style=STYLE).get_style_defs(SCOPE).splitlines()  # type: ignore[no-untyped-call]
    header = f"/* Pygments' '{STYLE}' style (BSD-2-Clause), written by `python -m registry.web.highlight` */"
    return "\n".join([header, *(rule for rule in rules if rule.startswith(f"{SCOPE} "))]) + "\n"


if __name__ == "__main__":
    print(stylesheet(), end="")
