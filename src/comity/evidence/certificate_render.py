"""Renderers of certificate documents: Markdown and PDF (A4, via reportlab).

    data = render(document, "pdf")        # bytes; "markdown" for Markdown

Both show a :class:`~comity.evidence.certificates.Blank` the same way — in brackets, the word
BLANK and who is to complete it (the PDF adds a shaded space to write in) — so a blank can
never be mistaken for a value. The PDF
has a footer on every page with the exhibit, the item id, its SHA-256 and "page X of Y"; it is
laid out twice, the first time only to count the pages.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
)
from reportlab.platypus import (
    Table as PdfTable,
)
from reportlab.platypus import (
    TableStyle as PdfTableStyle,
)

from comity.core.errors import InvalidInput
from comity.evidence.certificates import (
    Blank,
    Block,
    CertificateDocument,
    Checklist,
    Field,
    Note,
    Table,
)

# ---------------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------------

_MD_SPECIAL = set("\\`*_[]<>|#")


def md_escape(text: str) -> str:
    """Escape Markdown (and inline HTML) syntax in ``text`` and keep it on one line."""
    flat = " ".join(text.split())
    return "".join(f"\\{c}" if c in _MD_SPECIAL else c for c in flat)


def _md_blank(blank: Blank) -> str:
    return f"**[{md_escape(blank.text())}]**"


def _md_field_value(field: Field) -> str:
    if field.blank is not None:
        text = _md_blank(field.blank)
    elif field.mono:
        text = f"`{(field.value or '').replace('`', '')}`"
    else:
        text = md_escape(field.value or "")
    if field.hint:
        text += f"<br>*{md_escape(field.hint)}*"
    return text


def _md_checklist(block: Checklist) -> list[str]:
    lines = [f"**{md_escape(block.label)}**", ""]
    lines += [f"- [{'x' if on else ' '}] {md_escape(label)}" for label, on in block.options]
    if block.blank is not None:
        lines += ["", _md_blank(block.blank)]
    return [*lines, ""]


def _md_table(block: Table) -> list[str]:
    def cell(index: int, value: str) -> str:
        if index in block.mono_columns and value:
            return f"`{value.replace('`', '')}`"
        return md_escape(value)

    lines = [
        "| " + " | ".join(md_escape(c) for c in block.columns) + " |",
        "|" + "|".join("---" for _ in block.columns) + "|",
    ]
    lines += ["| " + " | ".join(cell(i, v) for i, v in enumerate(row)) + " |" for row in block.rows]
    if block.caption:
        lines += ["", f"*{md_escape(block.caption)}*"]
    return [*lines, ""]


def render_markdown(document: CertificateDocument) -> bytes:
    """The document as UTF-8 Markdown."""
    out = [f"# {md_escape(document.title)}", ""]
    if document.subtitle:
        out += [f"## {md_escape(document.subtitle)}", ""]
    out += [
        f"Exhibit **{md_escape(document.exhibit)}** · evidence id `{document.item_id}` · "
        f"SHA-256 `{document.sha256}`",
        "",
        f"Prepared by {md_escape(document.generator)} at {md_escape(document.generated_at)}. "
        "Entries marked **[BLANK …]** are to be completed by hand by the person named; "
        "Comity has not filled them in.",
        "",
    ]
    for section in document.sections:
        out += [f"### {md_escape(section.title)}", ""]
        pending: list[Field] = []
        for block in [*section.blocks, None]:
            if isinstance(block, Field):
                pending.append(block)
                continue
            if pending:
                out += ["| Particular | Entry |", "|---|---|"]
                out += [f"| {md_escape(f.label)} | {_md_field_value(f)} |" for f in pending]
                out.append("")
                pending = []
            if isinstance(block, Checklist):
                out += _md_checklist(block)
            elif isinstance(block, Table):
                out += _md_table(block)
            elif isinstance(block, Note):
                out += [md_escape(block.text), ""]
    out += [
        "---",
        "",
        f"Exhibit {md_escape(document.exhibit)} · item `{document.item_id}` · "
        f"SHA-256 `{document.sha256}` · {md_escape(document.law)}",
        "",
    ]
    return "\n".join(out).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
BOTTOM = 24 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN
LABEL_WIDTH = 58 * mm
INK = colors.HexColor("#1a1a1a")
RULE = colors.HexColor("#9a9a9a")
SHADE = colors.HexColor("#eef1f5")
BLANK_FILL = colors.HexColor("#fff4d6")
BLANK_INK = colors.HexColor("#8a2500")


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle(
        "body", parent=base["BodyText"], fontName="Helvetica", fontSize=9, leading=11.5,
        textColor=INK, alignment=TA_LEFT,
    )  # fmt: skip
    return {
        "title": ParagraphStyle(
            "title", parent=body, fontName="Helvetica-Bold", fontSize=15, leading=19,
            spaceAfter=2,
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=body, fontName="Helvetica", fontSize=11, leading=14,
            textColor=colors.HexColor("#333333"), spaceAfter=6,
        ),
        "heading": ParagraphStyle(
            "heading", parent=body, fontName="Helvetica-Bold", fontSize=11, leading=14,
            spaceBefore=10, spaceAfter=4, textColor=colors.HexColor("#0b2545"),
        ),
        "body": body,
        "label": ParagraphStyle("label", parent=body, fontName="Helvetica-Bold"),
        "mono": ParagraphStyle(
            "mono", parent=body, fontName="Courier", fontSize=8, leading=10, splitLongWords=1,
        ),
        "blank": ParagraphStyle(
            "blank", parent=body, fontName="Helvetica-Bold", textColor=BLANK_INK,
        ),
        "hint": ParagraphStyle(
            "hint", parent=body, fontName="Helvetica-Oblique", fontSize=8, leading=10,
            textColor=colors.HexColor("#444444"),
        ),
        "cell": ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9.5),
        "cellhead": ParagraphStyle(
            "cellhead", parent=body, fontName="Helvetica-Bold", fontSize=7.5, leading=9.5,
        ),
        "cellmono": ParagraphStyle(
            "cellmono", parent=body, fontName="Courier", fontSize=7.5, leading=9.5,
        ),
        "caption": ParagraphStyle(
            "caption", parent=body, fontName="Helvetica-Oblique", fontSize=7.5, leading=9.5,
            spaceBefore=2,
        ),
    }  # fmt: skip


def _p(text: str, style: ParagraphStyle) -> Any:
    return Paragraph(escape(text), style)


def _blank_cell(blank: Blank, hint: str | None, st: dict[str, ParagraphStyle]) -> list[Any]:
    cell = [_p(f"[{blank.text()}]", st["blank"])]
    if hint:
        cell.append(_p(hint, st["hint"]))
    cell.append(Spacer(1, 9 * mm if blank.kind == "statement" else 5 * mm))
    return cell


def _field_rows(
    fields: list[Field], st: dict[str, ParagraphStyle]
) -> tuple[list[list[Any]], list[int]]:
    rows: list[list[Any]] = []
    blank_rows: list[int] = []
    for index, field in enumerate(fields):
        if field.blank is not None:
            value: Any = _blank_cell(field.blank, field.hint, st)
            blank_rows.append(index)
        else:
            value = [_p(field.value or "", st["mono" if field.mono else "body"])]
            if field.hint:
                value.append(_p(field.hint, st["hint"]))
        rows.append([_p(field.label, st["label"]), value])
    return rows, blank_rows


def _field_table(fields: list[Field], st: dict[str, ParagraphStyle]) -> Any:
    rows, blank_rows = _field_rows(fields, st)
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("BACKGROUND", (0, 0), (0, -1), SHADE),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    style += [("BACKGROUND", (1, r), (1, r), BLANK_FILL) for r in blank_rows]
    table = PdfTable(rows, colWidths=[LABEL_WIDTH, FRAME_WIDTH - LABEL_WIDTH])
    table.setStyle(PdfTableStyle(style))
    return table


def _checklist(block: Checklist, st: dict[str, ParagraphStyle]) -> Any:
    boxes = "<br/>".join(
        f'<font name="Courier">[{"X" if on else "&nbsp;"}]</font> {escape(label)}'
        for label, on in block.options
    )
    value: list[Any] = [Paragraph(boxes, st["body"])]
    if block.blank is not None:
        value += _blank_cell(block.blank, None, st)
    table = PdfTable(
        [[_p(block.label, st["label"]), value]],
        colWidths=[LABEL_WIDTH, FRAME_WIDTH - LABEL_WIDTH],
    )
    table.setStyle(
        PdfTableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.4, RULE),
                ("BACKGROUND", (0, 0), (0, -1), SHADE),
                *([("BACKGROUND", (1, 0), (1, 0), BLANK_FILL)] if block.blank is not None else []),
            ]
        )
    )
    return table


def _column_widths(block: Table, st: dict[str, ParagraphStyle]) -> list[float]:
    """Give every column room for its longest word, then share the rest by its longest text."""
    pad = 7.0
    widths_min: list[float] = []
    widths_pref: list[float] = []
    for index, heading in enumerate(block.columns):
        style = st["cellmono" if index in block.mono_columns else "cell"]
        cells = [heading, *(row[index] for row in block.rows)]
        words = [w for c in cells for w in c.split()] or [""]
        longest_word = max(stringWidth(w, style.fontName, style.fontSize) for w in words)
        longest_text = max(stringWidth(c, style.fontName, style.fontSize) for c in cells)
        widths_min.append(min(longest_word + pad, FRAME_WIDTH / 3))
        widths_pref.append(max(longest_text + pad, widths_min[-1]))
    spare = FRAME_WIDTH - sum(widths_min)
    wanted = sum(p - m for p, m in zip(widths_pref, widths_min, strict=True))
    if spare <= 0:
        return [FRAME_WIDTH * m / sum(widths_min) for m in widths_min]
    if wanted <= spare:
        extra = spare - wanted
        total = sum(widths_pref)
        return [p + extra * p / total for p in widths_pref]
    return [m + spare * (p - m) / wanted for p, m in zip(widths_pref, widths_min, strict=True)]


def _table(block: Table, st: dict[str, ParagraphStyle]) -> list[Any]:
    head = [_p(c, st["cellhead"]) for c in block.columns]
    rows = [
        [_p(v, st["cellmono" if i in block.mono_columns else "cell"]) for i, v in enumerate(r)]
        for r in block.rows
    ]
    table = PdfTable([head, *rows], colWidths=_column_widths(block, st), repeatRows=1)
    table.setStyle(
        PdfTableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.4, RULE),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    flow: list[Any] = [table]
    if block.caption:
        flow.append(_p(block.caption, st["caption"]))
    return flow


def _story(document: CertificateDocument, st: dict[str, ParagraphStyle]) -> list[Any]:
    story: list[Any] = [_p(document.title, st["title"])]
    if document.subtitle:
        story.append(_p(document.subtitle, st["subtitle"]))
    story.append(
        _p(
            f"Exhibit {document.exhibit} · prepared by {document.generator} at "
            f"{document.generated_at}. Entries marked BLANK are to be completed by hand by the "
            "person named; Comity has not filled them in.",
            st["hint"],
        )
    )
    for section in document.sections:
        flow: list[Any] = [_p(section.title, st["heading"])]
        pending: list[Field] = []
        blocks: list[Block | None] = [*section.blocks, None]
        for block in blocks:
            if isinstance(block, Field):
                pending.append(block)
                continue
            if pending:
                flow.append(_field_table(pending, st))
                pending = []
            if isinstance(block, Checklist):
                flow.append(_checklist(block, st))
            elif isinstance(block, Table):
                flow += _table(block, st)
            elif isinstance(block, Note):
                flow += [_p(block.text, st["body"]), Spacer(1, 2 * mm)]
        # Keep a heading with its first block; long sections may still break after it.
        story += [KeepTogether(flow[:2]), *flow[2:]]
    return story


def _footer(document: CertificateDocument, total: int | None) -> Callable[[Any, Any], None]:
    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN, BOTTOM - 5 * mm, PAGE_WIDTH - MARGIN, BOTTOM - 5 * mm)
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(INK)
        canvas.drawString(
            MARGIN,
            BOTTOM - 9 * mm,
            f"{document.law} · exhibit {document.exhibit} · item {document.item_id}",
        )
        canvas.setFont("Courier", 7)
        canvas.drawString(MARGIN, BOTTOM - 13 * mm, f"SHA-256 {document.sha256}")
        canvas.setFont("Helvetica", 7)
        page = canvas.getPageNumber()
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN, BOTTOM - 13 * mm, f"page {page} of {total or page}"
        )
        canvas.restoreState()

    return draw


def _build_pdf(document: CertificateDocument, total: int | None) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=BOTTOM,
        title=f"{document.title} — {document.exhibit}",
        author=document.generator,
        subject=f"{document.law} certificate for evidence item {document.item_id}",
        creator=document.generator,
        keywords=f"{document.law}, {document.exhibit}, SHA-256 {document.sha256}",
    )
    footer = _footer(document, total)
    pdf.build(_story(document, _styles()), onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue(), int(pdf.page)


def render_pdf(document: CertificateDocument) -> bytes:
    """The document as an A4 PDF with a footer (exhibit, item id, SHA-256, page X of Y)."""
    _, pages = _build_pdf(document, None)
    data, again = _build_pdf(document, pages)
    if again != pages:  # the footer never changes the layout; guard the assumption anyway
        data, _ = _build_pdf(document, again)
    return data


RENDERERS: dict[str, Callable[[CertificateDocument], bytes]] = {
    "markdown": render_markdown,
    "pdf": render_pdf,
}


def render(document: CertificateDocument, fmt: str) -> bytes:
    """Render ``document`` as ``markdown`` or ``pdf``."""
    renderer = RENDERERS.get(fmt)
    if renderer is None:
        raise InvalidInput(
            f"unknown certificate format {fmt!r}: accepted values are {', '.join(RENDERERS)}",
            format=fmt,
        )
    return renderer(document)
