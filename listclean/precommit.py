"""pre-commit's entry (``.pre-commit-hooks.yaml``): ``listclean check`` on each file by itself.

``listclean check a.csv b.csv`` judges its inputs as one list of people: a stop in one reaches
the same person in the other, and a row of one may be the duplicate of a row of the other. The
files pre-commit passes are the ones a commit happened to change, split over several processes
when there are many, so judging them together would give a verdict that depends on the commit.
Each file is judged here exactly as ``listclean check FILE`` judges it by hand; to judge a
folder of exports as one list, run ``listclean check`` on all of them (see the README).

pre-commit runs ``python -m listclean.precommit ARGS FILE…``: the hook's ``args`` (any option of
``check``) first, then the files. Every file gets its own run with the same options and prints
its own report; the exit status is the worst of the runs (2 before 1 before 0).
"""

from __future__ import annotations

import sys


def split(argv: list[str]) -> tuple[list[str], list[str]]:
    """(the options every run gets, the files): the files are the inputs ``check`` reads off the
    end of the arguments, where pre-commit puts them. Arguments ``check`` cannot parse come back
    whole as options with no file, so the one run reports the mistake."""
    import contextlib
    import io

    import typer.main
    from typer.exceptions import TyperException

    from listclean.cli import app

    command = typer.main.get_command(app).commands["check"]
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # --help prints, then exits: the run shows it
            files = list(command.make_context("check", list(argv)).params.get("path") or [])
    except (TyperException, typer.Exit):  # a usage error: the one run reports it as `listclean check` would
        return list(argv), []
    if not files or argv[len(argv) - len(files):] != files:
        return list(argv), []
    return argv[:len(argv) - len(files)], files


class _NotATerminal:
    """A stream as it is, except that it says it is no terminal. pre-commit runs hooks in a
    pseudo-terminal (to keep their colours) and shows what they printed once they are done: a
    progress bar drawn there would come out as a screenful of escape codes."""

    def __init__(self, stream):
        self._stream = stream

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    import contextlib

    from listclean.entry import settle

    settle()
    from listclean.cli import main as run

    options, files = split(list(sys.argv[1:] if argv is None else argv))
    worst = 0
    for args in ([[*options, file] for file in files] or [options]):
        status = 0
        try:
            with contextlib.redirect_stderr(_NotATerminal(sys.stderr)):
                run(["check", *args])  # always ends in SystemExit with the run's status
        except SystemExit as done:
            status = done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
        if status not in (0, 1, 2, 3):  # interrupted (Ctrl-C, SIGTERM): stop at once
            return status
        worst = max(worst, status)
    return worst


if __name__ == "__main__":
    sys.exit(main())
