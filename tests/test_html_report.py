"""The list-health report: a self-contained HTML page, checked in a real headless Chromium."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings, strategies as st
from PIL import Image

from listclean import pipeline
from listclean.columns import map_columns
from listclean.load import load
from listclean.normalize.consent import date_columns, settle_date_orders
from listclean.profile import ProfileCounter
from listclean.settings import build_settings

from browser import Browser

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "crm_export.csv"
AS_OF = "2026-11-01"


@pytest.fixture(scope="module")
def browser():
    opened = Browser()
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory) -> Path:
    """The sample's report, made by the command line with two earlier runs in its history."""
    from typer.testing import CliRunner

    from listclean.cli import app

    folder = tmp_path_factory.mktemp("report")
    history = folder / "history.sqlite"
    for day in ("2026-09-01", "2026-10-01", AS_OF):
        outcome = CliRunner().invoke(app, ["report", str(SAMPLE), "-o", str(folder / "report.html"), "--as-of", day,
                                           "--history", str(history), "--store", "none", "--fail-on", "never"])
        assert outcome.exit_code == 0, outcome.output
    return folder / "report.html"


def _ink(image: Image.Image) -> tuple[float, int]:
    """Share of pixels that are not (near) white, and how many distinct colours there are."""
    colours = image.convert("RGB").getcolors(maxcolors=1 << 24)
    inked = sum(count for count, (r, g, b) in colours if min(r, g, b) < 235)
    return inked / max(1, image.width * image.height), len(colours)


@pytest.mark.parametrize("width, mobile", [(1100, False), (390, True)], ids=["desktop", "phone"])
def test_the_page_loads_offline_without_errors_and_every_chart_draws(browser, sample_report, width, mobile):
    visit = browser.visit(sample_report, width=width, mobile=mobile)
    assert visit.console == [], visit.console
    assert visit.requests == [sample_report.resolve().as_uri()], "the page asked for something besides itself"
    assert visit.headings[0] == "List health: crm_export.csv"
    for heading in ("Where every row went", "Trend", "Findings by rule", "Email domains and phone numbers",
                    "Activity and consent", "Duplicates and people", "Examples", "How this run was made"):
        assert heading in visit.headings
    # status shares, trend, rules, domains, countries, phone types, staleness, consent, people
    assert len(visit.charts) == 9
    assert visit.width <= width, "the page is wider than the screen"
    shot = Image.open(io.BytesIO(visit.screenshot))
    for chart in visit.charts:
        assert chart["title"] and chart["labelled"], chart
        assert chart["outside"] == [], (chart["title"], chart["outside"])  # every label fits in its chart
        assert 0 < chart["width"] <= width and chart["height"] > 20
        box = (int(chart["x"]), int(chart["y"]), int(chart["x"] + chart["width"]), int(chart["y"] + chart["height"]))
        inked, colours = _ink(shot.crop(box))
        assert inked > 0.02 and colours > 3, (chart["title"], inked, colours)
    if not mobile:
        # The README's screenshot is this page; keep a copy beside the test run for a human to look at.
        shot.crop((0, 0, shot.width, min(shot.height, 2400))).save(sample_report.with_suffix(".png"))


class _Page(HTMLParser):
    """What the page would load and how its charts are labelled."""

    def __init__(self) -> None:
        super().__init__()
        self.fetches: list[str] = []
        self.tags: list[str] = []
        self.svgs: list[dict] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append(tag)
        for name in ("src", "href", "data", "srcset", "poster"):
            value = attributes.get(name) or ""
            if value and not value.startswith("#"):
                self.fetches.append(f"{tag} {name}={value}")
        if tag == "svg":
            self.svgs.append(attributes)

    def handle_data(self, data):
        self.text.append(data)


def test_the_page_is_self_contained_and_accessible(sample_report):
    page = _Page()
    html = sample_report.read_text(encoding="utf-8")
    page.feed(html)
    assert page.fetches == []                       # nothing linked, nothing to fetch
    assert "script" not in page.tags and "link" not in page.tags
    assert re.search(r'<html lang="en">', html) and '<meta name="viewport"' in html
    assert all(svg.get("role") == "img" and svg.get("aria-labelledby") for svg in page.svgs)
    assert "url(" not in html                        # no style fetching a font or an image
    assert len(html.encode()) < 150_000


def test_the_page_masks_personal_data(sample_report):
    html = sample_report.read_text(encoding="utf-8").lower()
    with SAMPLE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    addresses = {r["Email Address"].strip().lower() for r in rows if "@" in r["Email Address"]}
    numbers = {re.sub(r"\D", "", r["Phone Number"]) for r in rows if len(re.sub(r"\D", "", r["Phone Number"])) >= 9}
    assert not [a for a in addresses if a in html]
    written = {re.sub(r"\D", "", run) for run in re.findall(r"\+?\d[\d\s().-]{7,}\d", html)}
    assert not numbers & written
    assert "***@" in html                            # the examples are there, masked


def test_the_page_says_what_the_run_said(sample_report, tmp_path):
    result = pipeline.check(SAMPLE, build_settings(as_of=AS_OF, store=Path("none")))
    html = sample_report.read_text(encoding="utf-8")
    assert result.equation() in html
    for code, counts in result.counts_by_code().items():
        assert f'id="rule-{code}"' in html and f'href="#rule-{code}"' in html
        if counts["rows"]:
            assert re.search(rf"<code>{code}</code></a></td><td>[^<]*</td><td><span[^>]*>{counts['severity']}</span>"
                             rf"</td><td class=n>{counts['rows']:,}</td>", html), code
    assert result.policy_sha256 in html and result.versions["phonenumbers_metadata"] in html


def test_the_trend_comes_from_the_history_and_a_day_is_recorded_once(sample_report):
    history = sample_report.parent / "history.sqlite"
    with sqlite3.connect(history) as db:
        days = [day for (day,) in db.execute("SELECT as_of FROM runs ORDER BY as_of")]
    assert days == ["2026-09-01", "2026-10-01", AS_OF]
    html = sample_report.read_text(encoding="utf-8")
    assert "since the run of 2026-10-01" in html

    # The same day again replaces its row: a retried nightly job leaves one.
    result = pipeline.check(SAMPLE, build_settings(as_of=AS_OF, store=Path("none")),
                            report=pipeline.HtmlReport(sample_report.parent / "again.html", history))
    assert [run["as_of"] for run in result.history] == ["2026-09-01", "2026-10-01"]
    with sqlite3.connect(history) as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone() == (3,)
        stored = json.loads(db.execute("SELECT codes FROM runs WHERE as_of = ?", (AS_OF,)).fetchone()[0])
    assert stored == {code: c["rows"] for code, c in result.counts_by_code().items()}


def test_without_history_nothing_is_recorded_and_the_first_run_says_so(tmp_path):
    result = pipeline.check(SAMPLE, build_settings(as_of=AS_OF, store=Path("none")),
                            report=pipeline.HtmlReport(tmp_path / "r.html", False))
    assert result.history is None and "history" not in result.outputs
    assert "Trend" not in (tmp_path / "r.html").read_text(encoding="utf-8")
    first = pipeline.check(SAMPLE, build_settings(as_of=AS_OF, store=Path("none")),
                           report=pipeline.HtmlReport(tmp_path / "f.html", tmp_path / "h.sqlite", "nightly"))
    assert first.history == []
    assert "first recorded run of this list" in (tmp_path / "f.html").read_text(encoding="utf-8")


def test_clean_writes_the_report_with_its_outputs(tmp_path):
    from typer.testing import CliRunner

    from listclean.cli import app

    args = ["clean", str(SAMPLE), "-o", str(tmp_path / "send.csv"), "--rejects", str(tmp_path / "rejects.csv"),
            "--report", str(tmp_path / "report.html"), "--as-of", AS_OF, "--history", "none", "--fail-on", "never",
            "--format", "json"]
    outcome = CliRunner().invoke(app, args)
    assert outcome.exit_code == 0, outcome.output
    document = json.loads(outcome.stdout)
    assert document["outputs"]["report"] == str(tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert str(tmp_path / "send.csv") in html and "listclean clean" in html


@pytest.mark.parametrize("args, message", [
    (["clean", str(SAMPLE), "-o", "{tmp}/send.html"], "HTML is the report's format"),
    (["check", str(SAMPLE), "--format", "html"], "--report FILE.html"),
    (["check", str(SAMPLE), "--history", "none"], "--history and --list-name go with --report"),
    (["check", str(SAMPLE), "--report", str(SAMPLE)], "would overwrite the input file"),
    (["check", str(SAMPLE), "--report", "{tmp}/missing/r.html"], "does not exist"),
])
def test_report_options_are_refused_in_one_line(tmp_path, args, message):
    command = [sys.executable, "-m", "listclean", *(a.replace("{tmp}", str(tmp_path)) for a in args)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not list(tmp_path.glob("*.html"))


def test_several_inputs_get_a_table_by_input(tmp_path):
    frame = pl.read_csv(SAMPLE, infer_schema=False)
    frame.head(1200).write_csv(tmp_path / "web.csv")
    frame.slice(1200).write_csv(tmp_path / "shop.csv")
    result = pipeline.check([tmp_path / "web.csv", tmp_path / "shop.csv"],
                            build_settings(as_of=AS_OF, store=Path("none")),
                            report=pipeline.HtmlReport(tmp_path / "r.html", False))
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "List health: web.csv, shop.csv" in html and "By input" in html
    for path, counts in result.counts_by_source().items():
        assert f"<td>{path}</td><td class=n>{counts['rows']:,}</td>" in html


# ------------------------------------------------------------------ the profile's counts

def _work(as_of: str = AS_OF):
    settings_ = build_settings(as_of=as_of)
    with load(str(SAMPLE)) as loaded:
        cmap = map_columns(loaded.columns, {}, loaded.source)
        orders = settle_date_orders(loaded.scan, date_columns(cmap, "email"), None)
        source = pl.concat(list(loaded.batches()))
    return pipeline.normalise(source, cmap, settings_, "email", orders), source, cmap


WORK, SOURCE, CMAP = _work()


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, WORK.height - 1), max_size=6, unique=True))
def test_the_profile_adds_up_to_the_rows_however_the_file_is_batched(cuts):
    edges = [0, *sorted(cuts), WORK.height]
    counter = ProfileCounter(build_settings(as_of=AS_OF).as_of, 730)
    for start, end in zip(edges, edges[1:]):
        counter.add(WORK.slice(start, end - start), SOURCE.slice(start, end - start), CMAP)
    profile = counter.total()
    whole = ProfileCounter(counter.as_of, 730)
    whole.add(WORK, SOURCE, CMAP)
    expected = whole.total()
    for name in ("domains", "countries", "phone_types", "activity", "consent"):
        assert getattr(profile, name).equals(getattr(expected, name)), name
    rows = WORK.height
    assert profile.rows == rows
    assert profile.activity["rows"].sum() == rows
    assert profile.countries["rows"].sum() == rows and profile.phone_types["rows"].sum() == rows
    assert profile.domains["rows"].sum() == WORK["email_domain"].is_not_null().sum()
    for channel, frame in profile.consent.partition_by("channel", as_dict=True).items():
        assert frame["rows"].sum() == rows, channel


def test_a_domain_verdict_follows_most_of_its_rows():
    counter = ProfileCounter(build_settings(as_of=AS_OF).as_of, 730)
    counter.add(WORK, SOURCE, CMAP)
    verdicts = dict(counter.total().domains.select("email_domain", "verdict").iter_rows())
    assert verdicts["gmail.com"] == "ok"
    typo_domains = WORK.filter(pl.col("email_typo_fix").is_not_null())["email_domain"].unique().to_list()
    assert typo_domains and all(verdicts[d] == "typo" for d in typo_domains
                                if WORK.filter(pl.col("email_domain") == d)["email_typo_fix"].is_not_null().mean() > 0.5)


def test_the_campaign_message_checked_with_the_list_is_named_with_its_findings(tmp_path):
    message = ROOT / "sample_data" / "campaign.eml"
    result = pipeline.check(SAMPLE, build_settings(as_of=AS_OF, store=Path("none")), message=message,
                            report=pipeline.HtmlReport(tmp_path / "r.html", False))
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert result.message["sha256"] in html
    notes = result.file_notes().filter(pl.col("field") == "message")
    assert notes.height >= 1
    for code in notes["code"].to_list():
        assert f'<a href="#rule-{code}"><code>{code}</code></a>' in html and f'id="rule-{code}"' in html


def test_a_thousand_notes_of_one_rule_do_not_swell_the_page(tmp_path):
    result = pipeline.check(SAMPLE, build_settings(as_of=AS_OF, store=Path("none")))
    notes = pl.DataFrame({"_row": [None] * 1000, "_source": [None] * 1000, "code": ["DU003"] * 1000,
                          "field": ["phone"] * 1000, "message": [f"value {i} is shared by 30 rows" for i in range(1000)],
                          "suggestion": [None] * 1000, "severity": ["info"] * 1000, "column": [None] * 1000},
                         schema=result.findings.schema)
    from listclean.report import html

    result.findings = pl.concat([result.findings, notes])
    page = html.render(result)
    assert page.count("is shared by 30 rows") == 10 and "and 990 more notes of this rule" in page
