"""Golden records: which member row each field of a person is taken from, and why."""

from __future__ import annotations

import datetime as dt
import os

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listclean.people.golden import field_rule_description, golden_records

SCHEMA = {"_source": pl.String, "_row": pl.Int64, "person_id": pl.String, "_updated": pl.Date,
          "_completeness": pl.Int32}
FIELDS = ["email", "city"]
DAY = dt.date(2025, 3, 1)


def frame(*rows: dict, fields: list[str] = FIELDS) -> pl.DataFrame:
    """Rows as dicts; anything left out is null (a person is "p1" unless said)."""
    filled = [{"person_id": "p1", "_updated": None, "_completeness": 5, **{f: None for f in fields}, **r}
              for r in rows]
    return pl.DataFrame(filled, schema={**SCHEMA, **{f: pl.String for f in fields}})


def one(rows: pl.DataFrame, priority: list[str] = (), fields: list[str] = FIELDS) -> dict:
    out = golden_records(rows, fields, priority)
    assert out.height == 1
    return out.row(0, named=True)


# ---------------------------------------------------------------- each level of the order

def test_the_most_trusted_source_wins_over_newer_and_more_complete_rows():
    rows = frame({"_source": "web.csv", "_row": 2, "email": "new@web.es", "_updated": DAY, "_completeness": 9},
                 {"_source": "crm.csv", "_row": 7, "email": "old@crm.es", "_updated": None, "_completeness": 1})
    assert one(rows, ["crm.csv", "web.csv"])["email"] == "old@crm.es"
    assert one(rows, ["web.csv", "crm.csv"])["email"] == "new@web.es"
    assert one(rows, ["crm.csv"])["email"] == "old@crm.es", "a listed source beats any unlisted one"


def test_unlisted_sources_are_equal_so_the_newest_row_decides():
    rows = frame({"_source": "a.csv", "_row": 2, "email": "a@x.es", "_updated": DAY},
                 {"_source": "b.csv", "_row": 2, "email": "b@x.es", "_updated": DAY + dt.timedelta(days=1)},
                 {"_source": "crm.csv", "_row": 2, "email": "crm@x.es", "_updated": DAY + dt.timedelta(days=9)})
    assert one(rows, ["z.csv"])["email"] == "crm@x.es"
    assert one(rows, ["b.csv"])["email"] == "b@x.es"
    assert one(rows, ["a.csv", "b.csv"])["email"] == "a@x.es"


def test_equal_trust_the_most_recently_updated_row_wins_and_undated_is_oldest():
    rows = frame({"_source": "shop.csv", "_row": 2, "email": "undated@x.es", "_completeness": 9},
                 {"_source": "shop.csv", "_row": 3, "email": "older@x.es", "_updated": DAY},
                 {"_source": "shop.csv", "_row": 4, "email": "newer@x.es", "_updated": DAY + dt.timedelta(days=1)})
    assert one(rows)["email"] == "newer@x.es"
    assert one(rows[:2])["email"] == "older@x.es", "an undated row loses to any dated one"


def test_equal_dates_the_most_complete_row_wins():
    rows = frame({"_source": "a.csv", "_row": 2, "email": "thin@x.es", "_updated": DAY, "_completeness": 3},
                 {"_source": "b.csv", "_row": 9, "email": "full@x.es", "_updated": DAY, "_completeness": 8})
    assert one(rows)["email"] == "full@x.es"
    undated = rows.with_columns(pl.lit(None, pl.Date).alias("_updated"))
    assert one(undated)["email"] == "full@x.es", "two undated rows tie on the date too"


def test_all_else_equal_the_lowest_source_then_row_wins():
    rows = frame({"_source": "b.csv", "_row": 2, "email": "b2@x.es"},
                 {"_source": "a.csv", "_row": 9, "email": "a9@x.es"},
                 {"_source": "a.csv", "_row": 4, "email": "a4@x.es"})
    assert one(rows)["email"] == "a4@x.es"
    assert one(rows, ["b.csv"])["email"] == "b2@x.es"
    assert one(rows.filter(pl.col("_source") == "b.csv"))["email"] == "b2@x.es"


def test_fields_survive_independently_and_say_where_they_came_from():
    rows = frame({"_source": "crm.csv", "_row": 12, "email": "ana@crm.es", "city": None},
                 {"_source": "till.csv", "_row": 3, "email": "ana@till.es", "city": "Bilbao"},
                 {"_source": "shop.csv", "_row": 40, "email": None, "city": "Madrid", "_updated": DAY})
    got = one(rows, ["crm.csv", "till.csv"])
    assert (got["email"], got["email_from"]) == ("ana@crm.es", "crm.csv:12")
    assert (got["city"], got["city_from"]) == ("Bilbao", "till.csv:3")
    assert got["rows"] == 3 and got["sources"] == "crm.csv, till.csv, shop.csv"


# ---------------------------------------------------------------- empty never survives

@pytest.mark.parametrize("blank", [None, "", " ", "   ", "\t", "\n", " \t\r\n ", "\u00a0"])
def test_an_empty_cell_never_survives_over_a_value(blank):
    rows = frame({"_source": "crm.csv", "_row": 2, "email": blank, "_updated": DAY, "_completeness": 9},
                 {"_source": "web.csv", "_row": 5, "email": " ana@web.es"})
    got = one(rows, ["crm.csv"])
    assert (got["email"], got["email_from"]) == (" ana@web.es", "web.csv:5"), "the value as the row wrote it"


def test_a_person_with_no_value_gets_null_and_no_provenance():
    got = one(frame({"_source": "crm.csv", "_row": 2, "email": " "}, {"_source": "web.csv", "_row": 3}))
    assert got["email"] is None and got["email_from"] is None
    assert got["city"] is None and got["city_from"] is None


# ---------------------------------------------------------------- the output

def test_one_sorted_row_per_person_with_count_and_sources_in_trust_order():
    rows = frame({"_source": "web.csv", "_row": 2, "person_id": "p2", "email": "b@x.es"},
                 {"_source": "crm.csv", "_row": 3, "person_id": "p10", "email": "c@x.es"},
                 {"_source": "web.csv", "_row": 4, "person_id": "p1", "email": "a@x.es"},
                 {"_source": "alpha.csv", "_row": 5, "person_id": "p2"},
                 {"_source": "web.csv", "_row": 6, "person_id": "p2"},
                 {"_source": "crm.csv", "_row": 7, "person_id": "p2"})
    out = golden_records(rows, ["email"], ["web.csv"])
    assert out.columns == ["person_id", "rows", "sources", "email", "email_from"]
    assert out.schema == {"person_id": pl.String, "rows": pl.Int64, "sources": pl.String, "email": pl.String,
                          "email_from": pl.String}
    assert out.rows() == [("p1", 1, "web.csv", "a@x.es", "web.csv:4"),
                          ("p10", 1, "crm.csv", "c@x.es", "crm.csv:3"),
                          ("p2", 4, "web.csv, alpha.csv, crm.csv", "b@x.es", "web.csv:2")]


def test_more_sources_than_bits_in_an_integer():
    names = [f"file{i:02}.csv" for i in range(70)]
    rows = frame(*[{"_source": name, "_row": 2, "email": f"{name}@x.es"} for name in names])
    got = one(rows, ["file42.csv"])
    assert got["sources"] == ", ".join(["file42.csv", *(n for n in names if n != "file42.csv")])
    assert got["email_from"] == "file42.csv:2" and got["rows"] == 70


def test_categorical_sources_other_field_types_and_empty_input():
    rows = frame({"_source": "b.csv", "_row": 2, "email": "b@x.es"}, {"_source": "a.csv", "_row": 3})
    rows = rows.with_columns(pl.col("_source").cast(pl.Categorical),
                             pl.Series("born", [None, dt.date(1980, 5, 1)], pl.Date))
    got = one(rows, fields=["email", "born"])
    assert (got["email_from"], got["born"], got["born_from"]) == ("b.csv:2", dt.date(1980, 5, 1), "a.csv:3")
    empty = golden_records(rows.clear(), ["email", "born"])
    assert empty.is_empty() and empty.schema["born"] == pl.Date and empty.schema["born_from"] == pl.String


def test_wide_keys_take_the_multi_column_sort_and_agree():
    """Row numbers and timestamps too wide to pack in 64 bits are sorted column by column."""
    rows = frame({"_source": "a.csv", "_row": -(2**62), "email": "first@x.es"},
                 {"_source": "a.csv", "_row": 2**62, "email": "last@x.es"},
                 {"_source": "b.csv", "_row": 0, "email": "b@x.es"})
    assert one(rows)["email_from"] == f"a.csv:{-(2**62)}"
    stamps = rows.with_columns(pl.Series("_updated", [dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1), None]))
    assert one(stamps)["email_from"] == f"a.csv:{2**62}"


def test_refuses_rows_it_cannot_judge():
    rows = frame({"_source": "a.csv", "_row": 2, "email": "a@x.es"})
    with pytest.raises(ValueError, match="missing columns"):
        golden_records(rows.drop("_updated"), FIELDS)
    with pytest.raises(ValueError, match="missing columns"):
        golden_records(rows, ["phone"])
    with pytest.raises(ValueError, match="person_id"):
        golden_records(rows.with_columns(pl.lit(None, pl.String).alias("person_id")), FIELDS)
    with pytest.raises(ValueError, match="_updated must be a date"):
        golden_records(rows.with_columns(pl.col("_updated").cast(pl.String)), FIELDS)
    with pytest.raises(ValueError, match="clash"):
        golden_records(rows.with_columns(pl.lit("x").alias("sources")), ["sources"])


def test_the_rule_can_be_quoted():
    text = field_rule_description(["crm.csv", "till.csv"])
    assert "crm.csv, till.csv, then any other source" in text
    for words in ("non-empty", "most recently updated", "most complete", "lowest file name and line"):
        assert words in text
    assert "no priority given" in field_rule_description()


# ---------------------------------------------------------------- properties

EXAMPLES = int(os.environ.get("LISTCLEAN_HYPOTHESIS_EXAMPLES", "150"))
SOURCES = ["crm.csv", "shop.csv", "till.csv", "web.csv"]
VALUES = st.none() | st.sampled_from(["", " ", "\t\n", "a", "b", " a ", "c d"])


@st.composite
def members(draw):
    n = draw(st.integers(1, 30))
    wide = draw(st.booleans())  # row numbers too wide to pack: the multi-column sort
    numbers = draw(st.lists(st.integers(-(2**62), 2**62) if wide else st.integers(1, 60),
                            min_size=n, max_size=n, unique=True))
    rows = [{"_source": draw(st.sampled_from(SOURCES)), "_row": number,
             "person_id": draw(st.sampled_from(["p1", "p2", "p3", "p10"])),
             "_updated": draw(st.none() | st.dates(dt.date(2024, 1, 1), dt.date(2024, 1, 5))),
             "_completeness": draw(st.none() | st.integers(0, 3)),
             "email": draw(VALUES), "city": draw(VALUES)} for number in numbers]
    priority = draw(st.lists(st.sampled_from([*SOURCES, "gone.csv"]), max_size=4))
    return pl.DataFrame(rows, schema={**SCHEMA, "email": pl.String, "city": pl.String}), priority


def reference(rows: pl.DataFrame, priority: list[str]) -> dict[str, dict]:
    """The rule written out plainly, row by row."""
    rank = {}
    for position, source in enumerate(priority):
        rank.setdefault(source, position)

    def key(r):
        return (rank.get(r["_source"], len(priority)),
                (0, -r["_updated"].toordinal()) if r["_updated"] else (1, 0),
                (0, -r["_completeness"]) if r["_completeness"] is not None else (1, 0),
                r["_source"], r["_row"])

    people = {}
    for r in sorted(rows.iter_rows(named=True), key=key):
        person = people.setdefault(r["person_id"], {"rows": 0, "sources": set()})
        person["rows"] += 1
        person["sources"].add(r["_source"])
        for field in FIELDS:
            if f"{field}_from" not in person and r[field] is not None and r[field].strip():
                person[field], person[f"{field}_from"] = r[field], f"{r['_source']}:{r['_row']}"
    for person in people.values():
        person["sources"] = ", ".join(sorted(person["sources"], key=lambda s: (rank.get(s, len(priority)), s)))
    return people


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members(), st.randoms(use_true_random=False))
def test_properties(drawn, random):
    rows, priority = drawn
    out = golden_records(rows, FIELDS, priority)
    # One row per distinct person, sorted.
    assert out["person_id"].to_list() == sorted(set(rows["person_id"].to_list()))
    cells = {(r["_source"], r["_row"]): r for r in rows.iter_rows(named=True)}
    expected = reference(rows, priority)
    for got in out.iter_rows(named=True):
        person = got["person_id"]
        assert (got["rows"], got["sources"]) == (expected[person]["rows"], expected[person]["sources"])
        for field in FIELDS:
            if got[field] is None:
                assert got[f"{field}_from"] is None
                assert all(not (r[field] or "").strip() for r in cells.values() if r["person_id"] == person)
            else:
                # The surviving value is a non-empty value of that very row, a row of this person.
                source, row = got[f"{field}_from"].rsplit(":", 1)
                origin = cells[source, int(row)]
                assert origin["person_id"] == person and origin[field] == got[field] and got[field].strip()
            # Exactly the rule, written out plainly.
            assert (got[field], got[f"{field}_from"]) == (expected[person].get(field),
                                                          expected[person].get(f"{field}_from")), (person, field)
    # The input order changes nothing.
    order = list(range(rows.height))
    random.shuffle(order)
    assert golden_records(rows[order], FIELDS, priority).equals(out)
