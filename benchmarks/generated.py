"""The benchmarks' input: an export made at run time by sample_data/generate.py (never committed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def generate(rows: int, folder: Path, name: str | None = None) -> Path:
    """A generated export of ``rows`` rows in ``folder`` (the generator's fixed seed: the same
    file every time)."""
    path = Path(folder) / (name or f"export_{rows}.csv")
    subprocess.run([sys.executable, str(ROOT / "sample_data" / "generate.py"), "--rows", str(rows),
                    "--output", str(path), "--quiet"], check=True)
    return path
