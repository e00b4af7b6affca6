"""listclean: clean a contact export before an email or SMS campaign."""

import os

# polars allocates through jemalloc, which by default keeps freed pages for ten seconds; a run
# over a big file frees and re-allocates a batch's worth every few seconds, so give them back
# sooner (peak memory on 10M rows: 3.86 → 3.69 GiB, same speed). Only effective when listclean
# is imported before polars, as the command line does; a caller's own setting wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:500,muzzy_decay_ms:0")

from listclean.errors import ExitStatus, ListcleanError
from listclean.pipeline import check, clean
from listclean.result import Result
from listclean.settings import Settings, build_settings

__all__ = ["check", "clean", "Result", "Settings", "build_settings", "ListcleanError", "ExitStatus"]
