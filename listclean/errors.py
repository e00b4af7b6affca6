"""The one user-facing error type and the process exit statuses."""

from __future__ import annotations

import enum

from listclean.mask import mask_personal_data


class ExitStatus(enum.IntEnum):
    """What a listclean process tells its caller (CI, cron, a shell script)."""

    #: Nothing at or above ``--fail-on`` was found.
    CLEAN = 0
    #: Findings at or above ``--fail-on`` were found.
    FINDINGS = 1
    #: A usage, settings, policy or input error: nothing was judged.
    ERROR = 2


class ListcleanError(Exception):
    """A problem the user can fix: a bad file, setting, policy or option.

    The CLI prints it as one line on stderr and exits with status 2. Anything
    else that escapes is a bug and is allowed to crash.
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
