"""CSV cells that a spreadsheet shows as text, never runs."""


def inert(cell: str) -> str:
    """A spreadsheet must not run a cell as a formula: one that starts like one
    is prefixed with an apostrophe, which spreadsheets show as text."""
    return "'" + cell if cell.startswith(("=", "+", "-", "@", "\t", "\r")) else cell
