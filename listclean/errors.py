"""The one user-facing error type and the process exit statuses."""

from __future__ import annotations

import enum
import os

from listclean.mask import mask_personal_data


class ExitStatus(enum.IntEnum):
    """What a listclean process tells its caller (CI, cron, a shell script)."""

    #: Nothing at or above ``--fail-on`` was found.
    CLEAN = 0
    #: Findings at or above ``--fail-on`` were found.
    FINDINGS = 1
    #: A usage, settings, policy or input error: nothing was judged.
    ERROR = 2
    #: listclean itself failed (a bug, memory, a full disk): nothing was written.
    INTERNAL = 3


class ListcleanError(Exception):
    """A problem the user can fix: a bad file, setting, policy or option.

    The CLI prints it as one line on stderr and exits with status 2. Anything
    else that escapes is listclean's own failure (:func:`internal_error_line`, status 3).
    """

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {mask_personal_data(repr(self.column))}")
        prefix = ", ".join(where)
        # Always one line, and never a full address or phone number, whatever the message quotes.
        text = mask_personal_data(" ".join(self.message.split()))
        return f"{prefix}: {text}" if prefix else text


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep

#: Set (to anything but "" or "0") to see the traceback of an internal error instead of one line.
DEBUG_VARIABLE = "LISTCLEAN_DEBUG"


def internal_error_line(error: BaseException) -> str:
    """One line for an error listclean did not expect: what it is, where in listclean it was
    raised, and its message with any address or phone number it quotes masked (a library's
    message may quote a cell)."""
    if isinstance(error, MemoryError):
        return "out of memory: give the process more memory, or split the input"
    if isinstance(error, OSError) and error.strerror:   # the machine's doing (a full disk), not a bug
        where = f" ({error.filename})" if error.filename else ""
        return mask_personal_data(f"system error{where}: {error.strerror}")
    place = None
    trace = error.__traceback__
    while trace is not None:
        file = trace.tb_frame.f_code.co_filename
        if file.startswith(_PACKAGE):
            place = f"{os.path.relpath(file, _PACKAGE)}:{trace.tb_lineno}"
        trace = trace.tb_next
    message = mask_personal_data(" ".join(str(error).split()))
    if len(message) > 300:
        message = message[:299] + "…"
    where = f" in listclean/{place}" if place else ""
    return (f"internal error{where}: {type(error).__name__}: {message or '(no message)'} "
            f"(a bug: please report it; {DEBUG_VARIABLE}=1 shows the traceback)")
