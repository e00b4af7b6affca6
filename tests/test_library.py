"""The library API: listclean.check / clean on a path or a polars frame, settings, no side effects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import listclean
from listclean.load import load_frame

ROWS = {
    "Email": ["ana.lopez@gmail.com", "bob@hotmal.es", "ana.lopez@gmail.com", "not-an-email", "eve@example.org"],
    "Phone": ["+34 612 345 678", None, None, None, "0034699111222"],
    "Email Consent": ["yes", "yes", "yes", "no", "yes"],
    "Last Activity": ["2026-10-01", "2026-10-01", "2026-09-01", "2020-01-01", "2026-10-20"],
}
AS_OF = "2026-11-01"


def settings(**given):
    return listclean.build_settings(as_of=AS_OF, **given)


@pytest.fixture
def frame() -> pl.DataFrame:
    return pl.DataFrame(ROWS)


@pytest.fixture
def as_csv(frame, tmp_path) -> Path:
    path = tmp_path / "contacts.csv"
    frame.write_csv(path)
    return path


def test_exports():
    assert set(listclean.__all__) == {"check", "clean", "people", "Result", "Settings", "build_settings",
                                      "ListcleanError", "ExitStatus"}
    for name in listclean.__all__:
        assert getattr(listclean, name) is not None
    with pytest.raises(AttributeError):
        listclean.no_such_name  # noqa: B018


@pytest.mark.parametrize("lazy", [False, True])
def test_frame_input_judged_as_the_same_rows_in_a_csv(frame, as_csv, lazy):
    from_file = listclean.check(as_csv, settings())
    from_frame = listclean.check(frame.lazy() if lazy else frame, settings())
    # person_id of a row without any identifier names its input, so it differs between the two
    assert from_frame.statuses.drop("_source", "person_id").equals(from_file.statuses.drop("_source", "person_id"))
    assert from_frame.findings.drop("_source").sort("_row", "code").equals(
        from_file.findings.drop("_source").sort("_row", "code"))
    assert from_frame.source == "<DataFrame>" and from_frame.input_format == "dataframe"
    assert from_frame.statuses["status"].cast(str).to_list() == ["send", "review", "duplicate", "drop", "drop"]


def test_statuses_carry_the_source(as_csv, frame):
    result = listclean.check(as_csv, settings())
    assert result.statuses.columns[:2] == ["_row", "_source"]
    assert set(result.statuses["_source"].cast(str)) == {str(as_csv)}
    assert set(result.findings["_source"].cast(str)) == {str(as_csv)}
    assert set(listclean.check(frame, settings()).statuses["_source"].cast(str)) == {"<DataFrame>"}


def test_load_frame_text_rows_and_hash():
    import datetime as dt

    frame = pl.DataFrame({"n": [1, None, 3], "d": [dt.date(2026, 1, 2), None, None], "b": [True, None, False],
                          "s": [["a", "b"], None, []]})
    with load_frame(frame) as loaded:
        got = loaded.frame
    assert loaded.format == "dataframe" and loaded.header == ["n", "d", "b", "s"]
    assert got["_row"].to_list() == [1, 3]  # the blank record is skipped, keeping the numbers
    assert all(dtype == pl.String for name, dtype in got.schema.items() if name != "_row")
    assert got.row(0) == (1, "1", "2026-01-02", "true", "a;b")
    assert loaded.sha256 == load_frame(frame.lazy()).sha256 == load_frame(pl.concat([frame[:1], frame[1:]],
                                                                                     rechunk=False)).sha256
    assert loaded.sha256 != load_frame(frame.with_columns(n=pl.lit(9))).sha256


def test_clean_a_frame_writes_csv_unless_the_extension_says_otherwise(frame, tmp_path):
    result = listclean.clean(frame, settings(), out=tmp_path / "send", rejects=tmp_path / "rejects.parquet")
    send = pl.read_csv(tmp_path / "send", infer_schema=False)
    assert send.height == result.counts_by_status()["send"] == 1
    assert send["Email"].to_list() == ["ana.lopez@gmail.com"]
    assert pl.read_parquet(tmp_path / "rejects.parquet").height == 4
    assert result.input_format == "dataframe"


def test_clean_a_path_as_before(as_csv, tmp_path):
    result = listclean.clean(str(as_csv), out=str(tmp_path / "send.csv"))
    assert result.outputs["send"] == str(tmp_path / "send.csv")


def test_unknown_settings_refused():
    with pytest.raises(listclean.ListcleanError, match="chanel"):
        listclean.build_settings(chanel="sms")


def test_no_config_discovery_by_default(as_csv, tmp_path, monkeypatch):
    (tmp_path / "listclean.toml").write_text('select = ["EM"]\n')
    monkeypatch.chdir(tmp_path)
    default = listclean.check(as_csv)
    assert any(not code.startswith("EM") for code in default.rules_run)
    assert default.rules_run == listclean.check(as_csv, listclean.build_settings()).rules_run
    configured = listclean.check(as_csv, listclean.build_settings(cwd=tmp_path))
    assert configured.rules_run and all(code.startswith("EM") for code in configured.rules_run)


def _run(script: str, tmp_path: Path) -> str:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_import_and_check_leave_the_process_alone(as_csv, tmp_path):
    # polars sets _RJEM_MALLOC_CONF itself when first imported (when unset): that is polars',
    # so the environment is compared once polars is in, around listclean's own work.
    script = f"""
import json, os, sys
before = dict(os.environ), sys.getswitchinterval()
import listclean
imported = dict(os.environ), sys.getswitchinterval()
heavy = "polars" in sys.modules
import polars
with_polars = dict(os.environ), sys.getswitchinterval()
result = listclean.check({str(as_csv)!r})
after = dict(os.environ), sys.getswitchinterval()
from listclean.entry import MALLOC_CONF
print(json.dumps({{"heavy": heavy, "import": imported == before, "check": after == with_polars,
                  "ours": os.environ.get("_RJEM_MALLOC_CONF", "").endswith(MALLOC_CONF), "rows": result.rows_in}}))
"""
    assert json.loads(_run(script, tmp_path)) == {"heavy": False, "import": True, "check": True,
                                                  "ours": False, "rows": 5}


def test_the_command_line_entry_sets_its_process_knobs(tmp_path):
    # A stand-in for listclean.cli, so that nothing imports polars before the entry point runs.
    script = """
import os, sys, types
stand_in = types.ModuleType("listclean.cli")
stand_in.main = lambda: None
sys.modules["listclean.cli"] = stand_in
import listclean.entry as entry
entry.main()
assert "polars" not in sys.modules
import polars
print(os.environ.get("_RJEM_MALLOC_CONF"), sys.getswitchinterval())
"""
    conf, interval = _run(script, tmp_path).split()
    # polars puts its own defaults in front when it is imported; jemalloc takes the last value given.
    assert conf.endswith("dirty_decay_ms:500,muzzy_decay_ms:0") and float(interval) == pytest.approx(0.0005)
