"""One self-contained HTML page: tables and plots (embedded as PNG data) for every step."""
from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from typing import Sequence

import pandas as pd


@dataclass
class Section:
    """A part of the report: paragraphs, tables and figures, in that order."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    figures: list[tuple[str, bytes]] = field(default_factory=list)  # caption, PNG bytes
    anchor: str = ""


def figure_png(fig) -> bytes:
    """PNG bytes of a matplotlib figure, without metadata that would differ between runs."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def _table_html(frame: pd.DataFrame, max_rows: int = 60) -> str:
    shown = frame.head(max_rows)
    text = shown.to_html(index=False, border=0, classes="t", float_format=lambda v: f"{v:,.3f}"
                         if abs(v) < 10 else f"{v:,.0f}", na_rep="")
    if len(frame) > max_rows:
        text += f"<p class='muted'>first {max_rows} of {len(frame):,} rows; the CSV has them all.</p>"
    return text


CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;
color:#1d2733;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:2px solid #e3e8ee;padding-bottom:.3rem;
margin-top:2.2rem}.muted{color:#6b7785;font-size:.9rem}table.t{border-collapse:collapse;margin:.6rem 0;
font-size:.88rem}table.t th,table.t td{padding:.25rem .6rem;border-bottom:1px solid #e3e8ee;text-align:right}
table.t th{background:#f5f7fa}table.t td:first-child,table.t th:first-child{text-align:left}
figure{margin:1rem 0}figcaption{color:#6b7785;font-size:.88rem}img{max-width:100%}
nav a{margin-right:1rem}.note{background:#fff8e6;border-left:4px solid #f0b429;padding:.4rem .8rem;
margin:.3rem 0}
"""


def render_report(title: str, subtitle: str, sections: Sequence[Section]) -> str:
    """The whole page as a string (deterministic for the same sections)."""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p class='muted'>{html.escape(subtitle)}</p><nav>",
    ]
    for i, section in enumerate(sections):
        anchor = section.anchor or f"s{i}"
        parts.append(f"<a href='#{anchor}'>{html.escape(section.title)}</a>")
    parts.append("</nav>")
    for i, section in enumerate(sections):
        anchor = section.anchor or f"s{i}"
        parts.append(f"<section id='{anchor}'><h2>{html.escape(section.title)}</h2>")
        for paragraph in section.paragraphs:
            css = " class='note'" if paragraph.startswith("Note:") else ""
            parts.append(f"<p{css}>{html.escape(paragraph)}</p>")
        for caption, frame in section.tables:
            if caption:
                parts.append(f"<h3>{html.escape(caption)}</h3>")
            parts.append(_table_html(frame))
        for caption, png in section.figures:
            data = base64.b64encode(png).decode("ascii")
            parts.append(
                f"<figure><img alt='{html.escape(caption)}' src='data:image/png;base64,{data}'>"
                f"<figcaption>{html.escape(caption)}</figcaption></figure>"
            )
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
