"""The Spark engine's library entry point: ``listclean.spark.check(df, settings)``.

Needs the ``spark`` extra (``pip install ".[spark]"`` in a clone of the repository); see ``listclean.engines.spark``.
"""

from listclean.engines.spark import check, judge, keyed, read, session

__all__ = ["check", "judge", "keyed", "read", "session"]
