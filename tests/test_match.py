"""The probabilistic person matcher: names, phones and emails as people write them, strangers
kept apart, placeholders defused, and clusters that do not depend on row order."""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listclean.people.cluster import cluster
from listclean.people.match import MatchSettings, explain, link
from listclean.people.names import fold_name, phonetic, split_full_name

GIVEN = ["Ana", "Lucía", "Carmen", "Pablo", "Javier", "Marta", "Sergio", "Elena", "Raúl", "Irene", "Hugo", "Nuria",
         "James", "Oliver", "Emily", "Grace", "Thomas", "Chloe", "Daniel", "Sophie", "Álvaro", "Rocío", "Íñigo",
         "Begoña", "Zbigniew", "Agnieszka", "Mateo", "Valeria", "Tomás", "Noelia"]
SURNAMES = ["García", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Ruiz", "Hernández", "Díaz",
            "Moreno", "Muñoz", "Álvarez", "Romero", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos", "Gil",
            "Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Roberts", "Walker", "Wright",
            "Kowalski", "Nowak", "Iglesias", "Castillo", "Ortega", "Delgado", "Serrano", "Molina", "Blanco", "Suárez"]
COLUMNS = ["_id", "_source", "first_name", "last_name", "full_name", "email_key", "phone_e164", "phone_digits",
           "postcode", "city", "birth_date"]


def people(count: int, seed: int = 7, start: int = 0) -> list[dict]:
    """``count`` different people, one row each: realistic names, a unique email and mobile."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        first, last = rng.choice(GIVEN), f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"
        number = f"6{rng.randrange(10**7, 10**8):08d}"
        rows.append({"_id": start + i, "_source": "crm.csv", "first_name": first, "last_name": last,
                     "email_key": f"{first.lower()}.{i}.{rng.randrange(10**6)}@correo.es",
                     "phone_e164": f"+34{number}", "phone_digits": number,
                     "postcode": f"{rng.choice([28, 8, 41, 46, 29]):02d}{rng.randrange(1, 60):03d}",
                     "city": rng.choice(["Madrid", "Barcelona", "Sevilla", "Valencia", "Málaga"])})
    return rows


def frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame([{c: row.get(c) for c in COLUMNS} for row in rows],
                        schema={c: (pl.Int64 if c == "_id" else pl.String) for c in COLUMNS})


DEFAULT = MatchSettings()


def persons(records: pl.DataFrame, match_settings: MatchSettings = DEFAULT) -> dict[int, int]:
    links = link(records, match_settings)
    return dict(cluster(records["_id"], links, match_settings).person.iter_rows())


BACKGROUND = people(400)

# (what varies, row A, row B): two rows of one person written differently. Each shares the
# name or the postcode with its twin, and the varied field must still count as agreement.
VARIATIONS = [
    ("accents", {"first_name": "José", "last_name": "Núñez Peña", "email_key": "jnp@correo.es"},
     {"first_name": "Jose", "last_name": "Nunez Pena", "email_key": "jnp@correo.es"}, "surname", "exact"),
    ("case", {"first_name": "MARÍA", "last_name": "LÓPEZ ORTEGA", "phone_e164": "+34611222333"},
     {"first_name": "maría", "last_name": "lópez ortega", "phone_e164": "+34611222333"}, "given_name", "exact"),
    ("typo", {"first_name": "Gonzalo", "last_name": "Martínez Sainz", "phone_e164": "+34622333444"},
     {"first_name": "Gonzalo", "last_name": "Martnez Sainz", "phone_e164": "+34622333444"}, "surname", "similar"),
    ("swap", {"first_name": "Valentina", "last_name": "Quiroga", "email_key": "vq@correo.es"},
     {"first_name": "Quiroga", "last_name": "Valentina", "email_key": "vq@correo.es"},
     "given_name", "given name and surname swapped"),
    ("compound surname", {"first_name": "Lorena", "last_name": "García-Villalobos", "phone_e164": "+34633444555"},
     {"first_name": "Lorena", "last_name": "García Villalobos", "phone_e164": "+34633444555"}, "surname", "exact"),
    ("missing second surname", {"first_name": "Ramiro", "last_name": "Echeverría Salgado",
                                "email_key": "res@correo.es"},
     {"first_name": "Ramiro", "last_name": "Echeverría", "email_key": "res@correo.es"},
     "surname", "a surname missing"),
    ("full name only", {"first_name": "Ainhoa", "last_name": "Urquijo Bengoa", "phone_e164": "+34644555666"},
     {"full_name": "Ainhoa Urquijo Bengoa", "phone_e164": "+34644555666"}, "surname", "exact"),
    ("Mª", {"first_name": "María José", "last_name": "Arrieta", "email_key": "mja@correo.es"},
     {"first_name": "Mª José", "last_name": "Arrieta", "email_key": "mja@correo.es"}, "given_name", "exact"),
    ("phone without country code", {"first_name": "Teodoro", "last_name": "Bermejo Lasa", "phone_e164": "+34655666777",
                                    "postcode": "28004"},
     {"first_name": "Teodoro", "last_name": "Bermejo Lasa", "phone_digits": "655 666 777", "postcode": "28004"},
     "phone", "same national number"),
    ("one digit off", {"first_name": "Leocadia", "last_name": "Ferrer Bosch", "phone_e164": "+34666777888",
                       "postcode": "08011"},
     {"first_name": "Leocadia", "last_name": "Ferrer Bosch", "phone_e164": "+34666777988", "postcode": "08011"},
     "phone", "one digit off or swapped"),
    ("swapped digits", {"first_name": "Casimiro", "last_name": "Vidal Roca", "phone_e164": "+34677888999",
                        "postcode": "46002"},
     {"first_name": "Casimiro", "last_name": "Vidal Roca", "phone_e164": "+34677889899", "postcode": "46002"},
     "phone", "one digit off or swapped"),
    ("email only, other case", {"first_name": "Eulalia", "last_name": "Prats", "email_key": "eulalia.prats@correo.es"},
     {"first_name": "Eulalia", "last_name": "Prats Mir", "email_key": "eulalia.prats@correo.es",
      "postcode": "08020"}, "email", "exact"),
]


@pytest.fixture(scope="module")
def linked():
    rows = list(BACKGROUND)
    pairs = {}
    for number, (name, a, b, *_) in enumerate(VARIATIONS):
        ids = (10_000 + 2 * number, 10_001 + 2 * number)
        rows += [{"_id": ids[0], "_source": "web.csv", **a}, {"_id": ids[1], "_source": "till.csv", **b}]
        pairs[name] = ids
    records = frame(rows)
    links = link(records, MatchSettings())
    return records, links, dict(cluster(records["_id"], links, MatchSettings()).person.iter_rows()), pairs


def test_records_keyed_a_slice_at_a_time_give_the_same_links(linked, monkeypatch):
    """The holders of large inputs are keyed a slice at a time (memory): the slices must not show."""
    import listclean.people.match as match

    records, links, *_ = linked
    monkeypatch.setattr(match, "RECORDS_AT_A_TIME", 37)
    sliced = link(records.sample(fraction=1.0, shuffle=True, seed=3), MatchSettings())
    assert sliced.pairs.equals(links.pairs)
    assert sliced.data.equals(links.data)
    assert sliced.model == links.model


@pytest.mark.parametrize("max_block", [2, 200])
def test_blocking_on_the_codes_proposes_what_blocking_on_the_texts_hashes_does(linked, monkeypatch, max_block):
    """Blocking keys are made from the encoded records' codes, not from a second hash of every
    text: the same candidate pairs, skipped values and pairs per rule as from the texts' hashes."""
    import listclean.people.match as match

    # One address on three records and one number on three others: skipped values at 2.
    records = linked[0]
    first, next_ = records["_id"].head(3).implode(), records["_id"].slice(3, 3).implode()
    records = records.with_columns(
        pl.when(pl.col("_id").is_in(first)).then(pl.lit("shared@example.com")).otherwise(pl.col("email_key"))
        .alias("email_key"),
        *[pl.when(pl.col("_id").is_in(next_)).then(pl.lit(number)).otherwise(pl.col(column)).alias(column)
          for column, number in (("phone_e164", "+34600111222"), ("phone_digits", "34600111222"))])
    data, dictionaries = match._encode(match.prepare(records))
    data = data.with_columns(match.SOUND_KEYS.values())
    coded, numbered = match._block(data, max_block), match.coded_key_parts(data)
    # Without the texts (as link blocks), the skipped values are shown from the codes alike.
    common = match._common_texts(data, max_block)
    bare = data.drop([c for c in match.KEY_COLUMNS if data.schema[c] == pl.String])
    textless = match._block(bare, max_block, lambda rows: match._key_texts_at(bare, dictionaries, common, rows))
    assert textless[0].equals(coded[0]) and textless[1].equals(coded[1]) and textless[2] == coded[2]
    if max_block == 2:
        assert {"email_key", "phone", "name sounds"} <= set(coded[1]["field"]), coded[1]
        assert "shared@example.com" in coded[1]["value"].to_list()
    monkeypatch.setattr(match, "coded_key_parts", lambda encoded: match.key_hashes(match.as_text(encoded)))
    hashed = match._block(data, max_block)
    assert coded[0].equals(hashed[0]) and coded[1].equals(hashed[1]) and coded[2] == hashed[2]
    assert coded[0].height > 0 and (max_block == 200 or coded[1].height > 0)
    # Each part's numbers stand for its texts one to one, and 0 for none.
    texts = match.key_texts(data)
    for part, numbers in numbered.items():
        both = pl.DataFrame({"number": numbers, "text": texts[part].cast(pl.String)})
        assert both.select((pl.col("number") != 0) == pl.col("text").is_not_null()).to_series().all(), part
        assert both.n_unique() == both["number"].n_unique() == both["text"].n_unique(), part


@pytest.mark.parametrize("variation", VARIATIONS, ids=[v[0] for v in VARIATIONS])
def test_each_variation_links(linked, variation):
    records, links, person, pairs = linked
    name, _, _, field, label = variation
    a, b = pairs[name]
    evidence = {e.field: e for e in explain(links, a, b, records)}
    assert evidence[field].label == label, evidence
    assert evidence[field].weight > 0
    assert person[a] == person[b], evidence


def test_the_background_stays_apart(linked):
    _, _, person, _ = linked
    background = [row["_id"] for row in BACKGROUND]
    assert len({person[i] for i in background}) == len(background)


def test_namesakes_in_one_postcode_stay_apart():
    """Common surname, same postcode, different people: not one person."""
    rows = list(BACKGROUND)
    for i, first in enumerate(["Ana", "Luis", "Pedro", "Rosa", "Jorge", "Elena"]):
        rows.append({"_id": 5000 + i, "first_name": first, "last_name": "García López", "postcode": "28001",
                     "city": "Madrid", "email_key": f"{first.lower()}{i}@correo.es",
                     "phone_e164": f"+3469{i}{i}{i}1234"})
    person = persons(frame(rows))
    assert len({person[5000 + i] for i in range(6)}) == 6


@pytest.mark.parametrize("placeholder", ["phone", "name"])
def test_a_placeholder_shared_by_thousands_merges_nobody(placeholder):
    rows = people(5000, seed=3)
    for row in rows:
        if placeholder == "phone":
            row["phone_e164"], row["phone_digits"] = "+34600000000", "600000000"
        else:
            row["first_name"], row["last_name"] = "Test", "Test"
    records = frame(rows)
    links = link(records, MatchSettings())
    clusters = cluster(records["_id"], links, MatchSettings())
    assert clusters.person["_person"].n_unique() == 5000
    fields = set(links.skipped.filter(pl.col("rows") == 5000)["field"].to_list())
    assert ({"phone"} if placeholder == "phone" else {"name sounds+postcode", "name sounds"}) & fields, \
        links.skipped


def test_a_chain_of_strong_links_does_not_join_strangers():
    """A–B share an email, B–C a phone (B has nothing else), but A and C disagree on everything."""
    rows = list(BACKGROUND) + [
        {"_id": 9001, "first_name": "Ana", "last_name": "Ibarra Soto", "email_key": "ana.ibarra@correo.es",
         "phone_e164": "+34611000001", "postcode": "28001", "city": "Madrid"},
        {"_id": 9002, "email_key": "ana.ibarra@correo.es", "phone_e164": "+34611000002"},
        {"_id": 9003, "first_name": "Julián", "last_name": "Castaño Puig", "email_key": "julian@correo.es",
         "phone_e164": "+34611000002", "postcode": "08001", "city": "Barcelona"},
    ]
    records = frame(rows)
    links = link(records, MatchSettings())
    scores = {(a, b): p for a, b, p in links.score(pl.DataFrame({"_id_l": [9001, 9002, 9001],
                                                                "_id_r": [9002, 9003, 9003]}))
              .select("_id_l", "_id_r", "probability").iter_rows()}
    assert scores[(9001, 9002)] >= 0.6 and scores[(9002, 9003)] >= 0.6 and scores[(9001, 9003)] < 0.1, scores
    clusters = cluster(records["_id"], links, MatchSettings())
    person = dict(clusters.person.iter_rows())
    assert person[9001] != person[9003]
    assert person[9002] in (person[9001], person[9003])
    # A caller that scores nothing more: the same persons, and the records' codes and prices gone.
    once = link(records, MatchSettings())
    forgetting = cluster(records["_id"], once, MatchSettings(), keep_scoring=False)
    assert forgetting.person.equals(clusters.person) and forgetting.review.equals(clusters.review)
    assert once.data.columns == ["_id", "_source", "_hash"] and not once.dictionaries
    assert once.pairs.columns == ["_id_l", "_id_r", "weight", "probability"]


def test_one_record_per_person_in_a_one_per_source_file():
    rows = list(BACKGROUND) + [
        {"_id": 9101, "_source": "crm.csv", "first_name": "Olga", "last_name": "Pujol", "email_key": "olga@correo.es",
         "phone_e164": "+34688000001"},
        {"_id": 9102, "_source": "crm.csv", "first_name": "Olga", "last_name": "Pujol", "email_key": "olga@correo.es",
         "phone_e164": "+34688000001"},
        {"_id": 9103, "_source": "web.csv", "first_name": "Olga", "last_name": "Pujol", "email_key": "olga@correo.es"},
    ]
    records = frame(rows)
    person = persons(records)
    assert person[9101] == person[9102]
    person = persons(records, MatchSettings(one_per_source=("crm.csv",)))
    assert person[9101] != person[9102]
    assert person[9103] in (person[9101], person[9102])


def test_explain_a_pair_blocking_never_proposed(linked):
    records, links, _, _ = linked
    a, b = BACKGROUND[0]["_id"], BACKGROUND[1]["_id"]
    assert links.pairs.filter((pl.col("_id_l") == a) & (pl.col("_id_r") == b)).is_empty()
    evidence = explain(links, a, b, records)
    assert [e.field for e in evidence][-2:] == ["prior", "total"]
    assert evidence[-1].probability is not None and evidence[-1].probability < 0.01
    assert evidence[-1].weight == pytest.approx(sum(e.weight for e in evidence[:-1]))


def test_pairs_and_model_are_reported(linked):
    _, links, _, _ = linked
    assert links.pairs.columns[:4] == ["_id_l", "_id_r", "weight", "probability"]
    assert (links.pairs["_id_l"] < links.pairs["_id_r"]).all()
    assert {c.name for c in links.model.comparisons} == {"given_name", "surname", "email", "phone", "postcode", "city"}
    assert "birth_date" not in links.model.fields
    assert all(links.pairs[c.name].dtype == pl.Int8 for c in links.model.comparisons)


def test_tiny_and_empty_inputs():
    empty = frame([])
    assert cluster(empty["_id"], link(empty), MatchSettings()).person.is_empty()
    one = frame([{"_id": 1, "first_name": "Ana"}])
    assert dict(cluster(one["_id"], link(one), MatchSettings()).person.iter_rows()) == {1: 1}
    bare = pl.DataFrame({"_id": [1, 2, 3]})
    assert dict(cluster(bare["_id"], link(bare), MatchSettings()).person.iter_rows()) == {1: 1, 2: 2, 3: 3}


def test_settings_are_checked():
    with pytest.raises(ValueError):
        MatchSettings(merge=0.5, review=0.9)
    with pytest.raises(ValueError):
        MatchSettings(max_block=1)


def test_names_are_folded_and_split():
    names = pl.Series(["Mª José García-López", "O'Brien, Seán", "Sr. D. Íñigo  Ortiz", "Fco. Fdez. Glez"])
    assert pl.select(fold_name(pl.lit(names))).to_series().to_list() == [
        "maria jose garcia lopez", "obrien sean", "d inigo ortiz", "francisco fernandez gonzalez"]
    split = split_full_name(pl.Series(["María José García López", "García López, Ana", "Ana García López",
                                       "John Smith"]))
    assert split.rows() == [("maria jose", "garcia lopez"), ("ana", "garcia lopez"), ("ana", "garcia lopez"),
                            ("john", "smith")]
    sounds = pl.select(phonetic(pl.lit(pl.Series(["trzcinski", "trzconski", "garcia", "garsia"])))).to_series()
    assert sounds[0] == sounds[1] and sounds[2] == sounds[3]


# --- properties ----------------------------------------------------------------------------

SMALL_GIVEN, SMALL_SURNAMES = ["Ana", "Ána", "Luis", "Luís", "Eva"], ["Gil", "Gil Sanz", "Sanz", "Paz"]
record = st.fixed_dictionaries({
    "first_name": st.sampled_from(SMALL_GIVEN + [None]),
    "last_name": st.sampled_from(SMALL_SURNAMES + [None]),
    "email_key": st.sampled_from(["a@x.es", "b@x.es", None, None]),
    "phone_e164": st.sampled_from(["+34611111111", "+34611111112", None, None]),
    "postcode": st.sampled_from(["28001", "28002", None]),
})


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(record, min_size=1, max_size=14), st.randoms(use_true_random=False))
def test_person_is_a_partition_and_ignores_row_order(rows, rng):
    records = frame([{"_id": 100 + i * 3, **row} for i, row in enumerate(rows)])
    ids = set(records["_id"].to_list())
    person = persons(records)
    assert set(person) == ids
    groups: dict[int, set[int]] = {}
    for identifier, head in person.items():
        groups.setdefault(head, set()).add(identifier)
    assert all(head == min(members) for head, members in groups.items())

    shuffled = records.sample(fraction=1.0, shuffle=True, seed=rng.randrange(2**31))
    assert persons(shuffled) == person


@settings(max_examples=200, deadline=None)
@given(st.sets(st.one_of(st.integers(-5, 60), st.integers(0, 3).map(lambda k: k << 40)), max_size=30),
       st.lists(st.one_of(st.integers(-10, 70), st.integers(0, 3).map(lambda k: k << 40)), max_size=30))
def test_ids_are_found_in_the_sorted_ids_whichever_way_they_are_looked_up(ids, wanted):
    """Clustering locates each pair's ids among the sorted ids: by a table when they are near
    consecutive (one input's rows), else by a join (several inputs' rows, 2**40 apart). The ids
    come in several chunks, as the pairs' do, and are read a few at a time."""
    from unittest import mock

    from listclean.people import cluster

    order = np.array(sorted(ids), dtype=np.int64)
    half = len(wanted) // 2
    values = pl.concat([pl.Series(wanted[:half], dtype=pl.Int64), pl.Series(wanted[half:], dtype=pl.Int64)],
                       rechunk=False)
    with mock.patch.object(cluster, "INDEX_AT_A_TIME", 7):
        found = cluster._index(order, values)
    assert found.tolist() == [order.tolist().index(v) if v in ids else -1 for v in wanted]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 5)), st.one_of(st.none(), st.integers(0, 2)),
                          st.integers(0, 3)), max_size=60))
def test_term_frequencies_count_each_value_s_rows_and_holders_as_windows_define_them(rows):
    """The counts that price an exact match are made over sorted runs, not windows; they are
    what the windows define: per row with a value, the rows holding it and their distinct
    holders, overall and within the row's surname (null elsewhere), and the spread that the
    average ``u`` reads."""
    from listclean.people.match import _shared_by

    frame = pl.DataFrame(rows, schema={"value": pl.UInt64, "surname": pl.UInt64, "holder": pl.UInt64}, orient="row")
    for keys in (["value"], ["value", "surname"]):
        present = pl.all_horizontal(pl.col(k).is_not_null() for k in keys)
        expected = frame.select(pl.when(present).then(pl.len().over(keys)).alias("rows"),
                                pl.when(present).then(pl.col("holder").n_unique().over(keys)).alias("holders"))
        counted, held, spread = _shared_by([frame[k] for k in keys], frame["holder"], frame.select(present).to_series())
        assert counted.cast(pl.Int64).to_list() == expected["rows"].cast(pl.Int64).to_list()
        assert held.cast(pl.Int64).to_list() == expected["holders"].cast(pl.Int64).to_list()
        by_row = (expected.drop_nulls().group_by("rows", "holders").agg(pl.len().alias("values_rows"))
                  .cast(pl.Int64).sort("rows", "holders"))
        assert spread.cast(pl.Int64).sort("rows", "holders").equals(by_row)
