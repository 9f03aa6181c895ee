"""Where the ink is on a PDF page: a conservative content box for carrier label pages (pure, no I/O).

Used by :mod:`connector.labels` to find the label on an A4 page that carries one A6 label in a
corner (DHL ``LBLP``, some CDEK and InPost ``normal`` prints). The box is built from the content
stream alone: paths, images (inline, XObject) and text, through ``q``/``Q``/``cm`` and nested form
XObjects. It errs on the large side, so a wrong answer only means "do not crop":

* glyphs are taken from 0.3 em below the baseline to 1 em above it, and their widths come from
  the font's ``/Widths`` (simple fonts) or the widest glyph of ``/W`` (CID fonts); fonts without
  widths (the standard 14) count 1 em per character;
* clipping paths are ignored (the box may only grow), white fills and strokes are ignored (they do
  not print on white stock), and anything whose extent cannot be told (``sh`` shadings, a
  PostScript XObject, forms nested too deep) makes the whole answer ``None``.

Boxes are ``(x0, y0, x1, y1)`` in default user space (points), the same space as the page's
``/MediaBox``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from pypdf import PageObject
from pypdf.generic import ContentStream, DictionaryObject

Box = tuple[float, float, float, float]
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_MAX_FORM_DEPTH = 8
_PAINT_FILL = {b"f", b"F", b"f*"}
_PAINT_STROKE = {b"S", b"s"}
_PAINT_BOTH = {b"B", b"B*", b"b", b"b*"}
_FILL_COLOUR = {b"g", b"rg", b"k", b"sc", b"scn", b"cs"}
_STROKE_COLOUR = {b"G", b"RG", b"K", b"SC", b"SCN", b"CS"}


class _Unbounded(Exception):
    """The page paints something whose extent this module cannot tell."""


def mul(m: Matrix, n: Matrix) -> Matrix:
    """``m × n`` in PDF's row-vector convention (apply ``m`` first, then ``n``)."""
    return (m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3],
            m[2] * n[0] + m[3] * n[2], m[2] * n[1] + m[3] * n[3],
            m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5])


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _translate(tx: float, ty: float) -> Matrix:
    return (1.0, 0.0, 0.0, 1.0, tx, ty)


@dataclass(frozen=True)
class _State:
    """The parts of the graphics state that move or hide ink."""

    ctm: Matrix = IDENTITY
    fill_white: bool = False
    stroke_white: bool = False
    line_width: float = 1.0
    font: tuple[int, Callable[[int], float]] = (1, lambda code: 1.0)  # (bytes per code, em width of a code)
    size: float = 0.0
    char_spacing: float = 0.0
    word_spacing: float = 0.0
    h_scale: float = 1.0
    leading: float = 0.0
    rise: float = 0.0


class _Extent:
    """Accumulates device-space points into one box."""

    def __init__(self) -> None:
        self.box: Box | None = None

    def add(self, points: list[tuple[float, float]], pad: float = 0.0) -> None:
        if not points:
            return
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        box = (min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad)
        old = self.box
        self.box = box if old is None else (min(old[0], box[0]), min(old[1], box[1]),
                                            max(old[2], box[2]), max(old[3], box[3]))


def content_box(page: PageObject) -> Box | None:
    """The box holding every mark on ``page``, or ``None`` for an empty page or one that cannot be bounded."""
    contents = page.get_contents()
    if contents is None:
        return None
    extent = _Extent()
    try:
        _walk(contents.operations, _resources(page.get("/Resources")), _State(), extent, 0, contents.pdf)
    except _Unbounded:
        return None
    return extent.box


def _resources(obj) -> DictionaryObject:
    obj = obj.get_object() if obj is not None else None
    return obj if isinstance(obj, DictionaryObject) else DictionaryObject()


def _is_white(operands, op: bytes) -> bool:
    """White in DeviceGray/RGB/CMYK only: a ``sc``/``scn`` 1.0 may be a full-tint spot colour."""
    values = [float(v) for v in operands if isinstance(v, (int, float))]
    if op in (b"k", b"K"):
        return len(values) == 4 and all(v == 0 for v in values)
    if op in (b"g", b"G", b"rg", b"RG"):
        return bool(values) and all(v == 1 for v in values)
    return False


def _walk(operations, resources, state: _State, extent: _Extent, depth: int, pdf) -> None:
    """Interpret one content stream; updates ``extent``. Raises :class:`_Unbounded`."""
    stack: list[_State] = []
    path: list[tuple[float, float]] = []
    text = IDENTITY
    line = IDENTITY
    for operands, op in operations:
        if op == b"q":
            stack.append(state)
        elif op == b"Q":
            state = stack.pop() if stack else state
        elif op == b"cm":
            state = replace(state, ctm=mul(tuple(float(v) for v in operands), state.ctm))
        elif op == b"w":
            state = replace(state, line_width=float(operands[0]))
        elif op in _FILL_COLOUR:
            state = replace(state, fill_white=_is_white(operands, op))
        elif op in _STROKE_COLOUR:
            state = replace(state, stroke_white=_is_white(operands, op))
        elif op in (b"m", b"l", b"c", b"v", b"y"):
            nums = [float(v) for v in operands]
            path.extend(apply(state.ctm, nums[i], nums[i + 1]) for i in range(0, len(nums) - 1, 2))
        elif op == b"re":
            x, y, w, h = (float(v) for v in operands)
            path.extend(apply(state.ctm, px, py) for px, py in ((x, y), (x + w, y), (x, y + h), (x + w, y + h)))
        elif op in _PAINT_FILL or op in _PAINT_STROKE or op in _PAINT_BOTH:
            _paint(op, path, state, extent)
            path = []
        elif op == b"n":
            path = []
        elif op == b"sh":
            raise _Unbounded("shading fills the clip area")
        elif op == b"INLINE IMAGE":
            extent.add(_unit_square(state.ctm))
        elif op == b"Do":
            _draw_xobject(resources, operands[0], state, extent, depth, pdf)
        elif op == b"BT":
            text = line = IDENTITY
        elif op in (b"Tf", b"Tc", b"Tw", b"Tz", b"TL", b"Ts"):
            state = _text_state(op, operands, state, resources)
        elif op in (b"Td", b"TD", b"T*", b"Tm"):
            state, line = _text_move(op, operands, state, line)
            text = line
        elif op in (b"Tj", b"'", b'"', b"TJ"):
            state, line, text = _text_show(op, operands, state, line, text, extent)


def _paint(op: bytes, path, state: _State, extent: _Extent) -> None:
    fills = op in _PAINT_FILL or op in _PAINT_BOTH
    strokes = op in _PAINT_STROKE or op in _PAINT_BOTH
    visible = (fills and not state.fill_white) or (strokes and not state.stroke_white)
    if visible:
        scale = max(abs(state.ctm[0]) + abs(state.ctm[2]), abs(state.ctm[1]) + abs(state.ctm[3]))
        extent.add(path, pad=state.line_width * scale / 2 if strokes else 0.0)


def _unit_square(ctm: Matrix) -> list[tuple[float, float]]:
    return [apply(ctm, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]


def _draw_xobject(resources, name, state: _State, extent: _Extent, depth: int, pdf) -> None:
    xobjects = _resources(resources.get("/XObject"))
    xobject = xobjects.get(name)
    xobject = xobject.get_object() if xobject is not None else None
    if xobject is None:
        return  # a missing XObject draws nothing
    subtype = xobject.get("/Subtype")
    if subtype == "/Image":
        extent.add(_unit_square(state.ctm))
    elif subtype == "/Form":
        if depth >= _MAX_FORM_DEPTH:
            raise _Unbounded("forms nested too deep")
        matrix = tuple(float(v) for v in xobject.get("/Matrix", IDENTITY))
        inner = replace(state, ctm=mul(matrix, state.ctm))
        form_resources = _resources(xobject.get("/Resources")) if "/Resources" in xobject else resources
        _walk(ContentStream(xobject, pdf).operations, form_resources, inner, extent, depth + 1, pdf)
    else:
        raise _Unbounded(f"XObject of subtype {subtype}")


def _text_state(op: bytes, operands, state: _State, resources) -> _State:
    if op == b"Tf":
        fonts = _resources(resources.get("/Font"))
        font = fonts.get(operands[0])
        return replace(state, font=font_metrics(font.get_object() if font is not None else None),
                       size=float(operands[1]))
    value = float(operands[0])
    field = {b"Tc": "char_spacing", b"Tw": "word_spacing", b"TL": "leading", b"Ts": "rise"}.get(op)
    return replace(state, h_scale=value / 100) if op == b"Tz" else replace(state, **{field: value})


def _text_move(op: bytes, operands, state: _State, line: Matrix) -> tuple[_State, Matrix]:
    if op == b"Tm":
        return state, tuple(float(v) for v in operands)
    if op == b"T*":
        return state, mul(_translate(0.0, -state.leading), line)
    tx, ty = float(operands[0]), float(operands[1])
    if op == b"TD":
        state = replace(state, leading=-ty)
    return state, mul(_translate(tx, ty), line)


def _text_show(op, operands, state: _State, line: Matrix, text: Matrix, extent: _Extent):
    if op in (b"'", b'"'):
        if op == b'"':
            state = replace(state, word_spacing=float(operands[0]), char_spacing=float(operands[1]))
        line = mul(_translate(0.0, -state.leading), line)
        text = line
    items = operands[0] if op == b"TJ" else operands[-1:]
    for item in items:
        if isinstance(item, (int, float)):
            text = mul(_translate(-float(item) / 1000 * state.size * state.h_scale, 0.0), text)
            continue
        advance = _advance(_raw(item), state)
        corners = ((0.0, state.rise - 0.3 * state.size), (advance, state.rise - 0.3 * state.size),
                   (0.0, state.rise + state.size), (advance, state.rise + state.size))
        device = mul(text, state.ctm)
        extent.add([apply(device, x, y) for x, y in corners])
        text = mul(_translate(advance, 0.0), text)
    return state, line, text


def _raw(item) -> bytes:
    raw = getattr(item, "original_bytes", None)
    return bytes(raw if raw is not None else item)


def _advance(data: bytes, state: _State) -> float:
    """Text-space advance of one shown string (PDF 32000 §9.4.4, with the font's widths)."""
    per_code, width = state.font
    total = 0.0
    for i in range(0, len(data), per_code):
        code = int.from_bytes(data[i:i + per_code], "big")
        space = state.word_spacing if per_code == 1 and code == 32 else 0.0
        total += (width(code) * state.size + state.char_spacing + space) * state.h_scale
    return total


def font_metrics(font) -> tuple[int, Callable[[int], float]]:
    """(bytes per character code, em width of a code) for a font dictionary; generous when unsure."""
    if font is None:
        return 1, lambda code: 1.0
    if font.get("/Subtype") == "/Type0":
        per_code = 2 if str(font.get("/Encoding", "")).startswith("/Identity") else 1
        widest = _widest_cid(font)
        return per_code, lambda code: widest
    widths = font.get("/Widths")
    if widths is None:
        return 1, lambda code: 1.0
    widths = [float(w) for w in widths.get_object()]
    first = int(font.get("/FirstChar", 0))
    scale = _type3_scale(font) if font.get("/Subtype") == "/Type3" else 0.001
    fallback = max(widths, default=1000.0) * scale
    return 1, lambda code: widths[code - first] * scale if 0 <= code - first < len(widths) else fallback


def _type3_scale(font) -> float:
    matrix = [abs(float(v)) for v in font.get("/FontMatrix", [0.001, 0, 0, 0.001, 0, 0])]
    return max(matrix[0], matrix[2])


def _widest_cid(font) -> float:
    descendant = font["/DescendantFonts"][0].get_object()
    widest = float(descendant.get("/DW", 1000))
    items = list(descendant.get("/W", []))
    i = 0
    while i < len(items):
        if i + 1 < len(items) and not isinstance(items[i + 1], (int, float)):
            widest = max([widest, *(float(w) for w in items[i + 1])])
            i += 2
        else:
            widest = max(widest, float(items[i + 2])) if i + 2 < len(items) else widest
            i += 3
    return widest / 1000
