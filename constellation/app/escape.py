"""Making strings from the Hub harmless before they reach markdown or HTML.

Ids, licenses and card fields are written by anyone. In Streamlit markdown they could become links,
images (which load remote URLs), LaTeX or HTML; in pyvis tooltips and plotly hover text they are HTML.
"""

from __future__ import annotations

import html
import re

# Everything CommonMark, GitHub-flavoured markdown and Streamlit's extensions ($ for LaTeX, : for
# emoji shortcodes and colours) give a meaning to.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=^&\"'])")


def md(text: object) -> str:
    """`text` as literal markdown: every markup character backslash-escaped, newlines flattened."""
    if text is None:
        return ""
    flat = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", flat)


def html_text(text: object) -> str:
    """`text` as literal HTML text (also safe inside a quoted attribute)."""
    if text is None:
        return ""
    return html.escape(str(text), quote=True)


def hub_url(model_id: str) -> str:
    """The model's page on the Hub. Ids are path segments, so anything odd in them is percent-encoded."""
    from urllib.parse import quote

    return "https://huggingface.co/" + quote(str(model_id), safe="/-_.")
