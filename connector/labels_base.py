"""Units, paper sizes and the error shared by the label modules (:mod:`connector.labels` is the entry point)."""

from __future__ import annotations

MM = 72 / 25.4  #: PDF points per millimetre
A6_PT = (105 * MM, 148 * MM)  #: A6 portrait, 297.6 × 419.5 pt (not 4×6 in, not Nova Poshta's 100×100 mm)
A4_PT = (210 * MM, 297 * MM)  #: A4 portrait, 595.3 × 841.9 pt


class LabelError(ValueError):
    """A label that is not what its format says (HTML instead of PDF, EPL instead of ZPL, ...).

    ``index`` is the label's position in the list given to the batch function.
    """

    def __init__(self, index: int, message: str) -> None:
        super().__init__(f"label {index}: {message}")
        self.index = index
