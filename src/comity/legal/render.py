"""Renderers of a drafted request: PDF (A4, reportlab) and DOCX (python-docx).

    document = build_document(kb, request, case, outcomes)    # comity.legal.drafting
    pdf = render_pdf(document)                                # bytes
    docx = render_docx(document)                              # bytes, editable in Word

Both show a gap the same way — a shaded box, in bold, starting ``MISSING —`` — so a gap can
never be mistaken for text. The PDF has a footer on every page with the request id and "page X
of Y" (laid out twice, the first time only to count the pages). It uses DejaVu Sans when the
system has it (Latin, Greek, Cyrillic, ✓ ✗), else Helvetica; a character the font cannot show
is replaced by ``?`` and the document says so (the DOCX keeps every character).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from reportlab.lib import colors
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from comity.legal.drafting import Block, DraftDocument, Items, Missing, Para, Table

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_FALLBACKS = {"✓": "yes", "✗": "NO", "—": "-", "–": "-", "→": "->", "…": "..."}
_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/local/share/fonts",
    "/Library/Fonts",
    "C:/Windows/Fonts",
)
_FACES = {
    "regular": "DejaVuSans.ttf",
    "bold": "DejaVuSans-Bold.ttf",
    "italic": "DejaVuSans-Oblique.ttf",
    "bolditalic": "DejaVuSans-BoldOblique.ttf",
}


MARGIN = 18 * mm
FRAME_WIDTH = A4[0] - 2 * MARGIN


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (control characters, surrogates)."""
    return _XML_INVALID.sub("", text)


# ---------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PdfFonts:
    """The PDF's font family and which characters it can show."""

    regular: str
    bold: str
    italic: str
    covers: Callable[[str], bool]


def _standard_covers(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _find_faces() -> dict[str, Path] | None:
    for folder in _FONT_DIRS:
        found = {style: Path(folder) / name for style, name in _FACES.items()}
        if all(p.is_file() for p in found.values()):
            return found
    return None


@cache
def pdf_fonts() -> PdfFonts:
    """DejaVu Sans if the system has it (registered once), else the standard Helvetica."""
    faces = _find_faces()
    if faces is not None:
        try:
            fonts = {style: TTFont(f"ComityDraft-{style}", str(p)) for style, p in faces.items()}
        except (TTFError, OSError):
            fonts = {}
        if fonts:
            for style, font in fonts.items():
                pdfmetrics.registerFont(font)
                addMapping("ComityDraft-regular", "bold" in style, "italic" in style, font.fontName)
            glyphs = fonts["regular"].face.charToGlyph
            return PdfFonts(
                "ComityDraft-regular",
                "ComityDraft-bold",
                "ComityDraft-italic",
                lambda c: ord(c) in glyphs,
            )
    return PdfFonts("Helvetica", "Helvetica-Bold", "Helvetica-Oblique", _standard_covers)


class _Fitter:
    """Makes text showable in the PDF's font, counting what it had to replace."""

    def __init__(self, fonts: PdfFonts) -> None:
        self.fonts = fonts
        self.replaced = 0

    def __call__(self, text: str) -> str:
        out = []
        for char in xml_safe(text):
            if char in "\n\t " or self.fonts.covers(char):
                out.append(char)
            elif char in _FALLBACKS:
                out.append(_FALLBACKS[char])
            else:
                self.replaced += 1
                out.append("?")
        return "".join(out)


class _Pdf:
    """Builds the reportlab story of a draft."""

    def __init__(self, document: DraftDocument, fonts: PdfFonts) -> None:

        self.document = document
        self.fonts = fonts
        self.fit = _Fitter(fonts)
        self.ink = colors.HexColor("#1a1a1a")
        self.rule = colors.HexColor("#9a9a9a")
        self.shade = colors.HexColor("#eef1f5")
        self.gap_fill = colors.HexColor("#fff4d6")
        self.gap_ink = colors.HexColor("#8a2500")
        body = ParagraphStyle(
            "body", fontName=fonts.regular, fontSize=9.5, leading=12.5, textColor=self.ink,
            spaceAfter=4,
        )  # fmt: skip
        self.st = {
            "body": body,
            "title": ParagraphStyle(
                "title", parent=body, fontName=fonts.bold, fontSize=15, leading=19, spaceAfter=4
            ),
            "subtitle": ParagraphStyle(
                "subtitle", parent=body, fontSize=10, leading=13,
                textColor=colors.HexColor("#333333"),
            ),
            "heading": ParagraphStyle(
                "heading", parent=body, fontName=fonts.bold, fontSize=11.5, leading=14.5,
                spaceBefore=10, spaceAfter=4, textColor=colors.HexColor("#0b2545"),
            ),
            "strong": ParagraphStyle("strong", parent=body, fontName=fonts.bold, spaceBefore=4),
            "quote": ParagraphStyle(
                "quote", parent=body, fontName=fonts.italic, leftIndent=14, rightIndent=14
            ),
            "note": ParagraphStyle(
                "note", parent=body, fontName=fonts.italic, fontSize=7.5, leading=9.5,
                textColor=colors.HexColor("#555555"),
            ),
            "item": ParagraphStyle("item", parent=body, leftIndent=18, bulletIndent=4),
            "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=10, spaceAfter=0),
            "cellhead": ParagraphStyle(
                "cellhead", parent=body, fontName=fonts.bold, fontSize=8, leading=10, spaceAfter=0
            ),
            "gap": ParagraphStyle(
                "gap", parent=body, fontName=fonts.bold, textColor=self.gap_ink, spaceAfter=0
            ),
            "banner": ParagraphStyle(
                "banner", parent=body, fontName=fonts.bold, textColor=self.gap_ink
            ),
        }  # fmt: skip

    def p(self, text: str, style: str, bullet: str | None = None) -> Any:

        markup = escape(self.fit(text)).replace("\n", "<br/>")
        return Paragraph(markup, self.st[style], bulletText=bullet)

    def boxed(self, content: list[Any], fill: Any, border: Any) -> Any:

        box = PdfTable([[content]], colWidths=[FRAME_WIDTH])
        box.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, -1), fill),
                    ("BOX", (0, 0), (-1, -1), 0.8, border),
                    ("LEFTPADDING", (0, 0), (-1, -1), 6),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                    ("TOPPADDING", (0, 0), (-1, -1), 4),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                ]
            )
        )
        return box

    def table(self, block: Table) -> Any:

        header = any(block.columns)
        rows = [[self.p(c, "cellhead") for c in block.columns]] if header else []
        rows += [[self.p(v, "cell") for v in row] for row in block.rows]
        if not rows:
            return None
        style: list[Any] = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("GRID", (0, 0), (-1, -1), 0.4, self.rule),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ]
        offset = 1 if header else 0
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), self.shade))
        else:
            style.append(("BACKGROUND", (0, 0), (0, -1), self.shade))
        style += [
            ("BACKGROUND", (0, r + offset), (-1, r + offset), self.gap_fill) for r in block.flagged
        ]
        table = PdfTable(rows, repeatRows=offset, colWidths=self.widths(block))
        table.setStyle(TableStyle(style))
        return table

    def widths(self, block: Table) -> list[float] | None:

        width = FRAME_WIDTH
        count = len(block.columns)
        if count == 2:
            return [45 * mm, width - 45 * mm]
        if count == 5:  # the checklist: mark, element, field, source, status
            fixed = [8 * mm, 42 * mm, 34 * mm, 0.0, 20 * mm]
            fixed[3] = width - sum(fixed)
            return fixed
        return None

    def block(self, block: Block) -> list[Any]:

        if isinstance(block, Para):
            return [self.p(block.text, block.style)]
        if isinstance(block, Items):
            return [self.p(item, "item", f"{n}.") for n, item in enumerate(block.items, 1)]
        if isinstance(block, Table):
            table = self.table(block)
            return [table, Spacer(1, 2 * mm)] if table is not None else []
        return [
            self.boxed([self.p(block.gap.text(), "gap")], self.gap_fill, self.gap_ink),
            Spacer(1, 2 * mm),
        ]

    def story(self) -> list[Any]:

        d = self.document
        case = f" · case {d.case_reference}" if d.case_reference else ""
        story: list[Any] = [
            self.p(d.title, "title"),
            self.p(f"{d.request_id}{case} · draft prepared {d.prepared}", "subtitle"),
        ]
        if d.gaps:
            story.append(
                self.boxed(
                    [
                        self.p(
                            f"INCOMPLETE DRAFT: {len(d.gaps)} required element(s) missing, each "
                            "marked MISSING below and on the checklist at the end.",
                            "banner",
                        )
                    ],
                    self.gap_fill,
                    self.gap_ink,
                )
            )
        for section in d.sections:
            flow: list[Any] = [self.p(section.title, "heading")]
            for block in section.blocks:
                flow += self.block(block)
            story += [KeepTogether(flow[:2]), *flow[2:]]
        if self.fit.replaced:
            story.append(
                self.p(
                    f"{self.fit.replaced} character(s) this PDF's font cannot show are printed as "
                    "'?'; the DOCX draft keeps the original text.",
                    "note",
                )
            )
        return story

    def footer(self, total: int | None) -> Callable[[Any, Any], None]:

        left = self.fit(f"{self.document.request_id} · {self.document.title} · draft")

        def draw(canvas: Any, doc: Any) -> None:
            canvas.saveState()
            canvas.setStrokeColor(self.rule)
            canvas.setLineWidth(0.4)
            canvas.line(MARGIN, 17 * mm, A4[0] - MARGIN, 17 * mm)
            canvas.setFont(self.fonts.regular, 7.5)
            canvas.setFillColor(self.ink)
            canvas.drawString(MARGIN, 12 * mm, left)
            page = canvas.getPageNumber()
            canvas.drawRightString(A4[0] - MARGIN, 12 * mm, f"page {page} of {total or page}")
            canvas.restoreState()

        return draw

    def build(self, total: int | None) -> tuple[bytes, int]:

        self.fit.replaced = 0
        buffer = io.BytesIO()
        d = self.document
        pdf = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=24 * mm,
            title=self.fit(f"{d.title} — {d.request_id}"),
            author=self.fit(d.sender),
            subject=self.fit(f"Draft {d.kind} {d.request_id}"),
            creator="Comity",
        )
        footer = self.footer(total)
        pdf.build(self.story(), onFirstPage=footer, onLaterPages=footer)
        return buffer.getvalue(), int(pdf.page)


def render_pdf(document: DraftDocument) -> bytes:
    """The draft as an A4 PDF with a footer (request id, "page X of Y") on every page."""
    builder = _Pdf(document, pdf_fonts())
    _, pages = builder.build(None)
    data, again = builder.build(pages)
    if again != pages:  # the footer never changes the layout; guard the assumption anyway
        data, _ = builder.build(again)
    return data


# ---------------------------------------------------------------------------------------------
# DOCX
# ---------------------------------------------------------------------------------------------

_GAP_FILL = "FFF4D6"
_HEAD_FILL = "EEF1F5"


def _shade(element: Any, fill: str, tag: str) -> None:
    """Add ``<w:shd w:fill=…>`` to a paragraph's (``w:pPr``) or a cell's (``w:tcPr``) properties."""

    properties = element.get_or_add_pPr() if tag == "p" else element.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    properties.append(shd)


def _field(paragraph: Any, code: str) -> None:
    """A Word field (``PAGE``, ``NUMPAGES``) in ``paragraph``."""

    def char(kind: str) -> Any:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        return element

    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {code} "
    shown = OxmlElement("w:t")
    shown.text = "1"
    run = paragraph.add_run()
    for element in (char("begin"), instr, char("separate"), shown, char("end")):
        run._r.append(element)


class _Docx:
    """Builds the Word document of a draft."""

    def __init__(self, document: DraftDocument) -> None:

        self.document = document
        self.doc = Document()
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Mm(20))
        normal = self.doc.styles["Normal"]
        normal.font.size = Pt(10)

    def gap(self, text: str) -> None:

        paragraph = self.doc.add_paragraph()
        _shade(paragraph._p, _GAP_FILL, "p")
        run = paragraph.add_run(xml_safe(text))
        run.bold = True
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        run.font.color.rgb = RGBColor(0x8A, 0x25, 0x00)

    def para(self, block: Para) -> None:

        text = xml_safe(block.text)
        if block.style == "quote":
            paragraph = self.doc.add_paragraph(style="Quote")
            paragraph.add_run(text)
            return
        paragraph = self.doc.add_paragraph()
        run = paragraph.add_run(text)
        if block.style == "strong":
            run.bold = True
        elif block.style == "note":
            run.italic = True
            run.font.size = Pt(8)
        paragraph.paragraph_format.space_after = Mm(1.5)

    def table(self, block: Table) -> None:
        header = any(block.columns)
        rows = ([block.columns] if header else []) + block.rows
        if not rows:
            return
        table = self.doc.add_table(rows=len(rows), cols=len(block.columns))
        table.style = "Table Grid"
        offset = 1 if header else 0
        flagged = {r + offset for r in block.flagged}
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                cell = table.cell(r, c)
                cell.text = xml_safe(value)
                if (header and r == 0) or (not header and c == 0):
                    for run in cell.paragraphs[0].runs:
                        run.bold = True
                    _shade(cell._tc, _HEAD_FILL, "tc")
                elif r in flagged:
                    _shade(cell._tc, _GAP_FILL, "tc")
                    for run in cell.paragraphs[0].runs:
                        run.bold = True
        self.doc.add_paragraph()

    def footer(self) -> None:
        paragraph = self.doc.sections[0].footer.paragraphs[0]
        paragraph.text = xml_safe(
            f"{self.document.request_id} · {self.document.title} · draft · page "
        )
        _field(paragraph, "PAGE")
        paragraph.add_run(" of ")
        _field(paragraph, "NUMPAGES")

    def build(self) -> bytes:
        d = self.document
        self.doc.core_properties.title = xml_safe(f"{d.title} — {d.request_id}")
        self.doc.core_properties.author = xml_safe(d.sender)[:255]
        self.doc.core_properties.subject = f"Draft {d.kind} {d.request_id}"
        self.doc.add_heading(xml_safe(d.title), level=0)
        case = f" · case {d.case_reference}" if d.case_reference else ""
        self.doc.add_paragraph(xml_safe(f"{d.request_id}{case} · draft prepared {d.prepared}"))
        if d.gaps:
            self.gap(
                f"INCOMPLETE DRAFT: {len(d.gaps)} required element(s) missing, each marked "
                "MISSING below and on the checklist at the end."
            )
        for section in d.sections:
            self.doc.add_heading(xml_safe(section.title), level=1)
            for block in section.blocks:
                if isinstance(block, Para):
                    self.para(block)
                elif isinstance(block, Items):
                    for n, item in enumerate(block.items, 1):
                        self.doc.add_paragraph(xml_safe(f"{n}. {item}"), style="List Paragraph")
                elif isinstance(block, Table):
                    self.table(block)
                elif isinstance(block, Missing):
                    self.gap(block.gap.text())
        self.footer()
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()


def render_docx(document: DraftDocument) -> bytes:
    """The draft as a Word document (DOCX): gaps in bold, highlighted, in shaded paragraphs."""
    return _Docx(document).build()


RENDERERS: dict[str, Callable[[DraftDocument], bytes]] = {"pdf": render_pdf, "docx": render_docx}
"""Each output format and its renderer."""
