"""IN: how the input itself was read (date order, countries, encodings)."""

from __future__ import annotations

import polars as pl

from listclean.checks.registry import FileNote, Flag, rule


@rule("IN001", "date-order-ambiguous", "info")
def date_order_ambiguous(ctx):
    """Flags a date column whose numeric dates could be dd/mm or mm/dd (no day above
    12 anywhere), or that mixes both; listclean then reads dd/mm.

    Why it matters: 03/04/2025 is 3 April or 4 March: stale checks and consent ages
    shift by months.

    How to fix: pass ``--date-format mdy`` (or dmy, or a strftime pattern), or set
    ``date-format`` in listclean.toml.
    """
    return [FileNote(None, f"dates in column {o.column!r}: {o.settled_by}, read as {o.order}")
            for o in ctx.date_orders.values() if o.settled_by in ("default (ambiguous)", "conflicting")] or None


@rule("IN002", "country-unrecognised", "info")
def country_unrecognised(ctx):
    """Flags country cells listclean cannot map to a country; the row's national phone
    numbers are then read in ``--default-region``.

    Why it matters: a phone number read in the wrong country is invalid or, worse,
    someone else's number.

    How to fix: use ISO codes (ES, US) or country names in English or Spanish.
    """
    return Flag(pl.col("raw_country").str.strip_chars().str.len_chars().fill_null(0).gt(0)
                & pl.col("country_code").is_null(), "country", "country not recognised")


@rule("IN003", "mixed-encoding", "warning")
def mixed_encoding(ctx):
    """Flags a UTF-8 file in which some lines are in another encoding (cp1252, else
    Latin-1), as when rows pasted from an older export are appended to a UTF-8 one.
    listclean reads each line in its own encoding and names the rows read the old way.

    Why it matters: read as one encoding, such a file turns every accented name into
    mojibake (``JosÃ©``) or the odd lines into garbage; and a guess per line can still
    be wrong for a line in yet another encoding.

    How to fix: check the names on the rows named, then export the file again as UTF-8
    (or pass ``--encoding`` if the whole file is in one encoding after all).
    """
    # The loader's notes about the file (Loaded.notes: (code, message)), as the pipeline passes them.
    notes = ctx.input_notes
    return [FileNote(None, message) for code, message in notes if code == "IN003"] or None
