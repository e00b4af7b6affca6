"""The suppression store: people who must not be contacted, per channel.

``store`` keeps the entries in SQLite, ``hashing`` turns values into the hashes partners
exchange, ``imports`` reads an ESP's export into entries and records an export's own stops.
"""

from listclean.suppression.store import (CHANNELS, KINDS, REASONS, AddResult, SuppressionEntry,  # noqa: F401
                                         SuppressionError, SuppressionStore, default_store_path)
