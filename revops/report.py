"""One self-contained HTML page: tables and plots (embedded as PNG data) for every step.

Written for a sales leader first: numbers formatted (currency, thousands separators, %), human
column labels (the raw name in each header's tooltip), the key columns first, wide tables in
their own horizontal scroll box so the page never gets wider than the window, notes folded away
when there are many, and sections or tables with nothing to show left out with a note.
"""
from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from typing import Sequence, Union

import pandas as pd

from revops.report_format import format_frame, label


@dataclass
class Table:
    """A table of the report, with how to show it (the frame itself stays raw)."""

    frame: pd.DataFrame
    caption: str = ""
    kinds: dict[str, str] = field(default_factory=dict)    # column -> report_format kind
    labels: dict[str, str] = field(default_factory=dict)   # column -> header, over the defaults
    key: tuple[str, ...] = ()     # columns shown first (the first one stays put when scrolling)
    max_rows: int = 60
    empty_note: str = ""          # said instead when the frame has no rows
    css_id: str = ""
    css_class: str = ""           # extra class of the <table> (e.g. "headline")
    cell_classes: bool = False    # class "c-<column>" on every cell (the headline, for tests)


@dataclass
class Section:
    """A part of the report: paragraphs, raw blocks, tables and figures, in that order.

    Paragraphs starting with "Note:" are notes: shown as such (folded when there are many).
    ``blocks`` are HTML fragments the step built and escaped itself. A section with nothing but
    notes is left out of the page, and its notes say why at the top.
    """

    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Union[Table, tuple[str, pd.DataFrame]]] = field(default_factory=list)
    figures: list[tuple[str, bytes]] = field(default_factory=list)  # caption, PNG bytes
    anchor: str = ""
    blocks: list[str] = field(default_factory=list)
    figure_grid: bool = False     # figures side by side (small multiples such as fan charts)

    def table_objects(self) -> list[Table]:
        return [t if isinstance(t, Table) else Table(frame=t[1], caption=t[0]) for t in self.tables]

    def has_content(self) -> bool:
        return bool(self.figures or self.blocks
                    or any(len(t.frame) for t in self.table_objects()))


def figure_png(fig, dpi: int = 110) -> bytes:
    """PNG bytes of a matplotlib figure, without metadata that would differ between runs."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def table_html(table: Table, currency: str | None = None) -> str:
    """A table as HTML: formatted, labelled, key columns first, in a horizontal scroll box."""
    frame = table.frame
    key = [c for c in table.key if c in frame.columns]
    frame = frame[key + [c for c in frame.columns if c not in key]]
    shown = frame.head(table.max_rows)
    text, kinds = format_frame(shown, table.kinds, currency)
    wide = len(frame.columns) > 8
    attrs = f" id='{html.escape(table.css_id)}'" if table.css_id else ""
    classes = " ".join(["t"] + (["wide"] if wide else []) + ([table.css_class] if table.css_class else []))
    parts = [f"<div class='scroll'><table class='{classes}'{attrs}><thead><tr>"]
    css = {}
    for column in frame.columns:
        if kinds[column] in ("text", "flag"):
            # Long texts (reasons, bases) wrap in a column of their own width; the rest stay on a line.
            longest = int(text[column].str.len().max()) if len(text) else 0
            css[column] = "txt long" if longest > 40 else "txt"
        else:
            css[column] = "num"
        css[column] += f" c-{column}" if table.cell_classes else ""
        header = table.labels.get(column) or label(column)
        parts.append(f"<th class='{css[column]}' title='{html.escape(str(column))}'>{html.escape(header)}</th>")
    parts.append("</tr></thead><tbody>")
    for i in range(len(text)):
        parts.append("<tr>")
        for column in frame.columns:
            parts.append(f"<td class='{css[column]}'>{html.escape(text[column].iloc[i])}</td>")
        parts.append("</tr>")
    parts.append("</tbody></table></div>")
    if len(frame) > table.max_rows:
        parts.append(f"<p class='muted'>First {table.max_rows} of {len(frame):,} rows; the CSV has them all.</p>")
    return "".join(parts)


CSS = """
*{box-sizing:border-box}
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0 auto;max-width:1180px;
color:#1d2733;line-height:1.45;padding:1.5rem 1.5rem 4rem;overflow-wrap:break-word}
h1{font-size:1.6rem;margin:.2rem 0}h2{border-bottom:2px solid #e3e8ee;padding-bottom:.3rem;
margin-top:2.4rem}h3{font-size:1.02rem;margin:1.4rem 0 .3rem}.muted{color:#6b7785;font-size:.9rem}
nav{display:flex;flex-wrap:wrap;gap:.3rem 1.1rem;margin:.6rem 0 0;font-size:.95rem}
.scroll{overflow-x:auto;max-width:100%;margin:.5rem 0}
table.t{border-collapse:collapse;font-size:.86rem}
table.t th,table.t td{padding:.28rem .6rem;border-bottom:1px solid #e3e8ee;vertical-align:top}
table.t th{background:#f5f7fa;font-weight:600;text-align:right;white-space:nowrap}
table.t .num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
table.t .txt{text-align:left;white-space:nowrap}
table.t td.long{white-space:normal;min-width:14em;max-width:30em}
table.wide th:first-child,table.wide td:first-child{position:sticky;left:0;background:#fff;
box-shadow:1px 0 0 #e3e8ee}table.wide th:first-child{background:#f5f7fa}
table.headline{font-size:.98rem}table.headline td,table.headline th{padding:.45rem .7rem}
table.headline td.c-p_target{font-weight:700}
figure{margin:1rem 0}figcaption{color:#6b7785;font-size:.88rem}img{max-width:100%;height:auto}
.figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:0 1.5rem}
.note{background:#fff8e6;border-left:4px solid #f0b429;padding:.4rem .8rem;margin:.3rem 0}
details.notes{margin:.5rem 0}details.notes summary{cursor:pointer;color:#6b7785}
.callout{background:#f0f6ff;border-left:4px solid #4c78a8;padding:.6rem 1rem;margin:.8rem 0;
font-size:1.02rem}.guide li{margin:.2rem 0}
"""


def _notes_html(notes: list[str]) -> str:
    items = [f"<p class='note'>{html.escape(n.removeprefix('Note:').strip())}</p>" for n in notes]
    if len(notes) <= 2:
        return "".join(items)
    return (f"<details class='notes'><summary>{len(notes)} notes on the data and the method"
            f"</summary>{''.join(items)}</details>")


def render_report(title: str, subtitle: str, sections: Sequence[Section], *,
                  currency: str | None = None) -> str:
    """The whole page as a string (deterministic for the same sections)."""
    shown = [s for s in sections if s.has_content()]
    left_out = [s for s in sections if not s.has_content()]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p class='muted'>{html.escape(subtitle)}</p><nav>",
    ]
    anchors = [s.anchor or f"s{i}" for i, s in enumerate(shown)]
    for section, anchor in zip(shown, anchors):
        parts.append(f"<a href='#{anchor}'>{html.escape(section.title)}</a>")
    parts.append("</nav>")
    if left_out:
        why = "; ".join(
            f"{s.title}" + (f" ({' '.join(p.removeprefix('Note:').strip() for p in s.paragraphs)})"
                            if s.paragraphs else "") for s in left_out)
        parts.append(f"<p class='muted'>Not in this report: {html.escape(why)}</p>")
    for section, anchor in zip(shown, anchors):
        parts.append(f"<section id='{anchor}'><h2>{html.escape(section.title)}</h2>")
        notes = [p for p in section.paragraphs if p.startswith("Note:")]
        for paragraph in section.paragraphs:
            if not paragraph.startswith("Note:"):
                parts.append(f"<p>{html.escape(paragraph)}</p>")
        parts.extend(section.blocks)
        empty = []
        for table in section.table_objects():
            if not len(table.frame):
                if table.empty_note:
                    empty.append(f"Note: {table.caption}: {table.empty_note}" if table.caption
                                 else f"Note: {table.empty_note}")
                continue
            if table.caption:
                parts.append(f"<h3>{html.escape(table.caption)}</h3>")
            parts.append(table_html(table, currency))
        if section.figure_grid and section.figures:
            parts.append("<div class='figs'>")
        for caption, png in section.figures:
            data = base64.b64encode(png).decode("ascii")
            parts.append(
                f"<figure><img alt='{html.escape(caption)}' src='data:image/png;base64,{data}'>"
                f"<figcaption>{html.escape(caption)}</figcaption></figure>"
            )
        if section.figure_grid and section.figures:
            parts.append("</div>")
        if notes or empty:
            parts.append(_notes_html(empty + notes))
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
