"""listclean: clean a contact export before an email or SMS campaign."""

from listclean.errors import ExitStatus, ListcleanError
from listclean.pipeline import check, clean
from listclean.result import Result
from listclean.settings import Settings, build_settings

__all__ = ["check", "clean", "Result", "Settings", "build_settings", "ListcleanError", "ExitStatus"]
