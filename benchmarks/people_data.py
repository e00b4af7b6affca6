"""Synthetic customers for identity-resolution benchmarks: one person, several messy rows.

    python benchmarks/people_data.py --rows 1000000 -o /tmp/people      # three CSV exports + truth
    python benchmarks/people_data.py --rows 100000 -o /tmp/p --one-file --format parquet

    from benchmarks.people_data import generate, write
    frame = generate(1_000_000, seed=7)      # entity (truth) + source + canonical columns
    paths, truth = write(frame, folder)      # exports without the truth; truth.parquet beside them

Files are generated at run time (never committed). 10M rows take about 35 s of CPU on this
2-core machine (generation only; writing the CSVs adds about 15 s): every column is drawn with
numpy over whole arrays and built with polars expressions, with no Python loop per row, and the
rows are made a million at a time so memory stays linear.

The people (``entity``): 60 % Spanish (given name, two surnames, some compound like "de la Fuente"
or "Fernández-Castro", a +34 6/7 mobile, a 5-digit postcode of a real province and its city), 40 %
British (one surname, a +44 7 mobile, an outward code of the city plus a random inward code).
Names are drawn with Zipf-like weights from pools with accents, so many different people share
"María García" or "James Smith": a name alone must not make two rows one person. Every email
address has one owner (the second James Smith at gmail.com is james.smith1982@, as a mail
provider would make him choose). About 2 % of people are family members of another one (same
surname, postcode, city and home phone, their own given name; a quarter of them give the
household's email address): a shared phone or address must not merge them either.

The rows: 20 % of people appear 2 to 4 times (2: 60 %, 3: 30 %, 4: 10 %), so about 23 % of
rows are copies of someone, across three exports: ``web`` (web shop, Shopify-like headers), ``till``
(till / loyalty card, Spanish headers, one full-name column, often upper case and without
accents, few emails) and ``crm`` (HubSpot-like). A second appearance is in another export 75 %
of the time, in the same one (a duplicate contact) 25 %. Each row may differ from the person:

* names: one typo (substitution, deletion, transposition or doubled letter) 3 %, given name and
  surname swapped 2 %, the second Spanish surname missing (15 % of rows), upper or lower case,
  accents dropped (60 % of till rows, 5 % of others);
* email: from the person's name (``maria.garcia.lopez@``, ``mgarcia84@``, ``maria_g@`` … at a
  domain of their country), missing (web 3 %, till 45 %, crm 10 %), another address of the same
  person on 8 % of copies, mixed case 5 %, a domain typo (gmial.com, hotmial.com …) 0.5 %;
* phone: national or international, spaced or not, 00-prefixed; missing (web 10 %, till 3 %,
  crm 20 %), one mistyped digit 2 %, two adjacent digits swapped 1.5 %;
* postcode / city: missing 10 % / 8 %, the person moved (another city and postcode of the same
  country) on 3 % of copies;
* placeholders shared by thousands of unrelated rows: phone ``000000000`` (0.3 %), email
  ``test@test.com`` (0.2 %), names ``N/A`` (0.2 %);
* stops: 10 % of people are unsubscribed on exactly ONE of their rows (column ``stop`` marks
  that row); consent is given on 90 % of the other rows; last
  activity is recent (2025-06-01 … 2026-10-31), so staleness does not hide a stop.

Customer ids are per export and per row (systems do not share ids). ``entity`` stays in a
column of its own that :func:`write` keeps out of the exports (it goes to ``truth.parquet``
with each export's file name and 1-based data row).
"""

from __future__ import annotations

import argparse
import itertools
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

SOURCES = ("web", "till", "crm")


def _words(text: str) -> list[str]:
    return text.split()


ES_GIVEN = _words("""María Carmen Ana Laura Marta Lucía Isabel Cristina Sofía Elena Paula Sara Raquel Pilar Rosa
Beatriz Nuria Silvia Irene Patricia Andrea Mónica Alba Julia Claudia Noelia Rocío Ángela Inmaculada Begoña
Montserrat Dolores Concepción Mercedes Teresa Eva Yolanda Natalia Verónica Lorena Miriam Ainhoa Itziar Nerea
Aitana Valeria Martina Daniela Jimena Inés Antonio José Manuel Francisco David Juan Javier Daniel Carlos
Jesús Alejandro Miguel Rafael Pablo Pedro Ángel Sergio Fernando Jorge Luis Alberto Álvaro Adrián Diego Raúl
Enrique Ramón Vicente Andrés Joaquín Óscar Rubén Iván Íñigo Iñaki Gonzalo Hugo Martín Mateo Lucas Nicolás
Víctor Emilio Tomás Agustín Ignacio Julián Salvador Jordi Xavier Josep Marc Oriol Pau Aitor Unai Asier""")
EN_GIVEN = _words("""James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew
Anthony Mark Paul Steven Andrew Kenneth Joshua Kevin Brian George Edward Ronald Timothy Jason Jeffrey Ryan
Jacob Gary Nicholas Eric Stephen Jonathan Larry Justin Scott Oliver Harry Jack Charlie Alfie Freddie Archie
Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Nancy Lisa Margaret Betty Sandra
Ashley Dorothy Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie Rebecca Laura Sharon
Cynthia Kathleen Amy Shirley Angela Helen Anna Brenda Pamela Nicole Emma Samantha Katherine Christine
Rachel Olivia Amelia Isla Ava Chloé Zoë Renée Siobhán Niamh Seán""")
ES_SURNAMES = _words("""García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz
Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez Vázquez Ramos Gil
Ramírez Serrano Blanco Molina Morales Suárez Ortega Delgado Castro Ortiz Rubio Marín Sanz Núñez Iglesias
Medina Garrido Cortés Castillo Santos Lozano Guerrero Cano Prieto Méndez Cruz Calvo Gallego Herrera Márquez
León Peña Flores Cabrera Campos Vega Fuentes Carrasco Diez Reyes Caballero Nieto Aguilar Pascual Santana
Herrero Montero Lorenzo Hidalgo Giménez Ibáñez Ferrer Durán Santiago Benítez Vargas Mora Vicente Arias
Carmona Crespo Román Pastor Soto Sáez Velasco Moya Soler Parra Esteban Bravo Gallardo Rojas Pardo Merino
Franco Espinosa Izquierdo Lara Rivas Silva Rivera Casado Arroyo Redondo Camacho Rey Vera Otero Luque
Galán Montes Ríos Sierra Segura Carrillo Marcos Marí Soriano Mendoza Robles Bernal Vila Valero Palacios
Pereira Vidal Benito Castaño Aguirre Echevarría Goikoetxea Urrutia Zubizarreta Puig Roig Casals""")
ES_COMPOUND = ["de la Fuente", "del Río", "San Martín", "de la Cruz", "Fernández-Castro", "García-Page",
               "de los Santos", "Ruiz de Alda", "Pérez de Guzmán", "del Valle", "de Miguel", "López-Ibor"]
EN_SURNAMES = _words("""Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson
Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin
Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson Davis
Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy
Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell
Webb Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd
Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Graham Pearson Ahmed Fletcher Walsh Kaur
Gibson Howard Andrews Stewart Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks West Lawrence Cole
Atkinson Bradley Spencer Gill Dawson Ball Burton O'Brien Watts Rose Booth Perry Ryan Grant Wells Armstrong
O'Connor McDonald MacLeod Smith-Jones Hamilton-Smith""")

# (city, province prefix or outward codes, weight)
ES_CITIES = [("Madrid", "28", 20), ("Barcelona", "08", 14), ("Valencia", "46", 7), ("Sevilla", "41", 6),
             ("Zaragoza", "50", 5), ("Málaga", "29", 5), ("Murcia", "30", 4), ("Palma", "07", 4),
             ("Las Palmas de Gran Canaria", "35", 3), ("Bilbao", "48", 3), ("Alicante", "03", 3),
             ("Córdoba", "14", 3), ("Valladolid", "47", 3), ("Vigo", "36", 3), ("Gijón", "33", 2),
             ("A Coruña", "15", 2), ("Granada", "18", 2), ("Vitoria-Gasteiz", "01", 2), ("Elche", "03", 2),
             ("Oviedo", "33", 2), ("Pamplona", "31", 2), ("San Sebastián", "20", 2), ("Santander", "39", 2),
             ("Salamanca", "37", 1), ("Logroño", "26", 1), ("Cádiz", "11", 1), ("León", "24", 1),
             ("Castellón de la Plana", "12", 1), ("Badajoz", "06", 1), ("Almería", "04", 1)]
GB_CITIES = [("London", "SW1A E1 N1 NW3 SE15 W2 EC1V WC2H", 25), ("Manchester", "M1 M4 M14 M20", 6),
             ("Birmingham", "B1 B5 B15 B29", 6), ("Leeds", "LS1 LS6 LS11", 4), ("Glasgow", "G1 G3 G12", 4),
             ("Liverpool", "L1 L8 L17", 3), ("Bristol", "BS1 BS6 BS8", 3), ("Sheffield", "S1 S10 S11", 3),
             ("Edinburgh", "EH1 EH3 EH10", 3), ("Cardiff", "CF10 CF11 CF24", 2), ("Newcastle upon Tyne", "NE1 NE6", 2),
             ("Nottingham", "NG1 NG7", 2), ("Brighton", "BN1 BN2", 2), ("Oxford", "OX1 OX4", 1),
             ("Cambridge", "CB1 CB4", 1), ("Belfast", "BT1 BT9", 1), ("York", "YO1 YO10", 1)]
ES_DOMAINS = [("gmail.com", 40), ("hotmail.com", 18), ("hotmail.es", 10), ("yahoo.es", 7), ("outlook.es", 6),
              ("outlook.com", 5), ("telefonica.net", 4), ("icloud.com", 4), ("gmx.es", 2), ("orange.es", 2),
              ("movistar.es", 2)]
GB_DOMAINS = [("gmail.com", 35), ("hotmail.co.uk", 14), ("yahoo.co.uk", 10), ("outlook.com", 10),
              ("btinternet.com", 9), ("icloud.com", 7), ("sky.com", 5), ("live.co.uk", 5), ("aol.com", 3),
              ("virginmedia.com", 2)]
DOMAIN_TYPOS = {"gmail.com": "gmial.com", "hotmail.com": "hotmial.com", "yahoo.es": "yaho.es",
                "outlook.com": "outlok.com", "hotmail.es": "hotmail.con", "hotmail.co.uk": "hotmail.co",
                "yahoo.co.uk": "yahoo.co.uk.", "icloud.com": "iclod.com"}
LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))

HEADERS = {  # canonical field -> header per export; a missing field is not in that export
    "web": {"customer_id": "Customer ID", "first_name": "First Name", "last_name": "Last Name",
            "email": "Email", "phone": "Phone", "postcode": "Zip", "city": "City",
            "consent": "Accepts Email Marketing", "unsubscribed": "Unsubscribed",
            "last_activity": "Last Order Date"},
    "till": {"customer_id": "Nº Tarjeta", "full_name": "Nombre y apellidos", "phone": "Teléfono móvil",
             "email": "Email", "postcode": "Código postal", "city": "Población",
             "consent": "Acepta publicidad", "unsubscribed": "Baja", "last_activity": "Última compra"},
    "crm": {"customer_id": "Record ID", "first_name": "First Name", "last_name": "Last Name",
            "email": "Email", "phone": "Mobile Phone Number", "postcode": "Postal Code", "city": "City",
            "consent": "Marketing consent", "unsubscribed": "Unsubscribed from all email",
            "last_activity": "Last Activity Date"},
}
YES_NO = {"web": ("yes", "no"), "till": ("sí", "no"), "crm": ("true", "false")}


def fold(text: str) -> str:
    """ASCII letters only, lower case: what an email local part keeps of a name."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(c for c in ascii_text if c.isalnum())


def _zipf(n: int, s: float = 0.9) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** s
    return weights / weights.sum()


def _pick(rng: np.random.Generator, size: int, weights) -> np.ndarray:
    """``size`` draws of an index with probabilities ``weights`` (a lookup table, 1/65536 steps)."""
    weights = np.asarray(weights, dtype=float)
    edges = np.cumsum(weights / weights.sum())
    table = np.minimum(np.searchsorted(edges, (np.arange(1 << 16) + 0.5) / (1 << 16), side="right"),
                       len(weights) - 1).astype(np.int32)
    return table[rng.integers(0, 1 << 16, size)]


def _gather(pool: list[str], index: np.ndarray) -> pl.Series:
    return pl.Series(pool, dtype=pl.String).gather(index)


def _text(values: np.ndarray, width: int = 0) -> pl.Series:
    text = pl.Series(values).cast(pl.String)
    return text.str.zfill(width) if width else text


def _on(frame: pl.DataFrame, mask: np.ndarray, *stages: dict[str, pl.Expr],
        extra: Callable[[np.ndarray], dict[str, object]] | None = None) -> pl.DataFrame:
    """``frame`` with the columns of ``stages`` (applied in turn) computed on the rows of ``mask``
    only and scattered back: an expensive string expression costs what its rows cost, not the
    whole column. Each stage is materialised, so no expression tree repeats another. ``extra``
    gives columns for those rows only (from their row numbers)."""
    index = np.flatnonzero(mask)
    if not index.size:
        return frame
    changed = [name for name in dict.fromkeys(n for exprs in stages for n in exprs) if name in frame.columns]
    needed = {root for exprs in stages for expr in exprs.values() for root in expr.meta.root_names()}
    part = frame.select([name for name in frame.columns if name in needed or name in changed])[index]
    if extra is not None:
        part = part.with_columns(pl.Series(name, values) for name, values in extra(index).items())
    for exprs in stages:
        part = part.with_columns(**{name: expr.cast(pl.String) for name, expr in exprs.items()})
    return frame.with_columns(frame[name].clone().scatter(index, part[name]) for name in changed)


def _switch(frame: pl.DataFrame, choice: np.ndarray, exprs: list[pl.Expr]) -> pl.Series:
    """Branch ``choice[i]`` of ``exprs`` for each row, each branch evaluated on its own rows."""
    out = frame.with_columns(pl.lit(None, pl.String).alias("_out"))
    for k, expr in enumerate(exprs):
        out = _on(out, choice == k, {"_out": expr})
    return out["_out"]


def _local(given: str, sur1: str, sur2: str, digits: str) -> list[pl.Expr]:
    """Email local parts by pattern number."""
    g, s1, s2, d = pl.col(given), pl.col(sur1), pl.col(sur2), pl.col(digits)
    return [pl.format("{}.{}", g, s1),
            pl.format("{}{}{}", g.str.slice(0, 1), s1, d),
            pl.format("{}_{}", g, s1.str.slice(0, 1)),
            pl.concat_str(g, pl.lit("."), s1, pl.lit("."), s2, ignore_nulls=True).str.strip_chars("."),
            pl.format("{}{}", g, d),
            pl.format("{}{}", g, s1),
            pl.format("{}.{}{}", s1, g.str.slice(0, 1), d)]


ES_SURNAME_POOL = ES_SURNAMES + ES_COMPOUND


def _people(count: int, rng: np.random.Generator) -> pl.DataFrame:
    """One row per person: the truth every export row of that person varies from. Names are
    codes into the pools; ``number`` is the national mobile number without its leading 0."""
    spanish = rng.random(count) < 0.6
    es_weights = np.concatenate([_zipf(len(ES_SURNAMES), 0.7), np.full(len(ES_COMPOUND), 0.002)])
    given = np.where(spanish, _pick(rng, count, _zipf(len(ES_GIVEN))),
                     len(ES_GIVEN) + _pick(rng, count, _zipf(len(EN_GIVEN))))
    sur1 = np.where(spanish, _pick(rng, count, es_weights),
                    len(ES_SURNAME_POOL) + _pick(rng, count, _zipf(len(EN_SURNAMES), 0.7)))
    sur2 = np.where(spanish, _pick(rng, count, es_weights), -1)
    city_es = _pick(rng, count, [w for *_, w in ES_CITIES])
    city_gb = _pick(rng, count, [w for *_, w in GB_CITIES])
    outward_lists = [o.split() for _, o, _ in GB_CITIES]
    starts = np.cumsum([0] + [len(o) for o in outward_lists])[:-1]
    sizes = np.array([len(o) for o in outward_lists])
    outward = starts[city_gb] + rng.integers(0, 1 << 30, count) % sizes[city_gb]
    postcode_number = rng.integers(1, 100, count)
    inward = rng.integers(0, 9 * 20 * 20, count)
    number = np.where(spanish, np.where(rng.random(count) < 0.85, 6, 7) * 10**8 + rng.integers(0, 10**8, count),
                      7 * 10**9 + rng.integers(0, 10**9, count))
    es_domains, gb_domains = [d for d, _ in ES_DOMAINS], [d for d, _ in GB_DOMAINS]

    def domain() -> np.ndarray:
        return np.where(spanish, _pick(rng, count, [w for _, w in ES_DOMAINS]),
                        len(es_domains) + _pick(rng, count, [w for _, w in GB_DOMAINS]))

    domain_main, domain_alt = domain(), domain()
    # family members: 2 % of people take the surnames, home (postcode, city) and phone of the person before
    family = np.flatnonzero(rng.random(count) < 0.02)
    family = family[family > 0]
    for values in (spanish, sur1, sur2, city_es, city_gb, outward, postcode_number, inward, number):
        values[family] = values[family - 1]
    city = np.where(spanish, city_es, len(ES_CITIES) + city_gb)

    letters = list("ABDEFGHJLNPQRSTUWXYZ")
    frame = pl.DataFrame({
        "spanish": spanish, "given": given, "sur1": sur1, "sur2": sur2, "number": number,
        "city": _gather([c for c, *_ in ES_CITIES] + [c for c, *_ in GB_CITIES], city),
        "given_key": _gather([fold(g) for g in ES_GIVEN + EN_GIVEN], given),
        "sur1_key": _gather([fold(x) for x in ES_SURNAME_POOL + EN_SURNAMES], sur1),
        "sur2_key": _gather([fold(x) for x in ES_SURNAME_POOL], np.maximum(sur2, 0)),
        "digits": _text(rng.integers(0, 100, count), 2),
    }).with_columns(
        pl.concat_str(_gather([p for _, p, _ in ES_CITIES], city_es), _text(postcode_number, 3)).alias("_es_postcode"),
        pl.concat_str(_gather([c for o in outward_lists for c in o], outward), pl.lit(" "),
                      _text(inward // 400 + 1), _gather(letters, inward // 20 % 20),
                      _gather(letters, inward % 20)).alias("_gb_postcode"))
    frame = frame.with_columns(
        pl.when(pl.col("spanish")).then(pl.col("_es_postcode")).otherwise(pl.col("_gb_postcode")).alias("postcode"),
        pl.when(pl.col("spanish")).then(pl.col("sur2_key")).alias("sur2_key")).drop("_es_postcode", "_gb_postcode")
    locals_ = _local("given_key", "sur1_key", "sur2_key", "digits")
    email = _switch(frame, _pick(rng, count, [30, 15, 15, 15, 10, 10, 5]), locals_)
    alt_email = _switch(frame, rng.integers(0, 7, count), locals_)
    frame = frame.select(
        "spanish", "given", "sur1", "sur2", "number", "postcode", "city",
        pl.concat_str(email, pl.lit("@"), _gather(es_domains + gb_domains, domain_main)).alias("email"),
        pl.concat_str(alt_email, pl.lit("@"), _gather(es_domains + gb_domains, domain_alt)).alias("alt_email"))
    frame = _unique_addresses(frame, rng)
    # a quarter of the family members give the household's address rather than their own
    household = family[rng.random(family.size) < 0.25]
    return frame.with_columns(frame["email"].clone().scatter(household, frame["email"].gather(household - 1)))


def _unique_addresses(frame: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Every address (``email`` and ``alt_email``) owned by one person: the second James Smith at
    gmail.com is james.smith + a number, as the mail provider would have made him choose."""
    stacked = pl.concat([frame["email"], frame["alt_email"]]).alias("e")
    for _ in range(10):
        work = pl.DataFrame({"e": stacked}).with_columns(pl.int_range(pl.len()).over("e").alias("_rank"))
        taken = (work["_rank"] > 0).to_numpy()
        if not taken.any():
            break
        index = np.flatnonzero(taken)
        suffix = np.where(rng.random(index.size) < 0.5, rng.integers(1, 100, index.size), rng.integers(1950, 2010, index.size))
        fixed = work[index].with_columns(pl.Series("_n", suffix)).select(
            pl.format("{}{}@{}", pl.col("e").str.extract(r"^(.*)@"), pl.col("_n"), pl.col("e").str.extract(r"@(.*)$")))
        stacked = stacked.scatter(index, fixed.to_series())
    return frame.with_columns(stacked[:frame.height].alias("email"), stacked[frame.height:].alias("alt_email"))


def _typo(column: pl.Expr, kind: pl.Expr, position: pl.Expr, letter: pl.Expr) -> pl.Expr:
    """One typo in ``column``: kind 0 substitutes, 1 deletes, 2 transposes, 3 doubles a letter."""
    n = column.str.len_chars()
    p = (position * (n - 1).clip(lower_bound=1)).cast(pl.Int64).clip(1, None)  # keep the first letter
    head, here, nxt = column.str.slice(0, p), column.str.slice(p, 1), column.str.slice(p + 1, 1)
    typo = (pl.when(kind == 0).then(pl.concat_str(head, letter, column.str.slice(p + 1)))
            .when(kind == 1).then(pl.concat_str(head, column.str.slice(p + 1)))
            .when(kind == 2).then(pl.concat_str(head, nxt, here, column.str.slice(p + 2)))
            .otherwise(pl.concat_str(head, here, column.str.slice(p))))
    return pl.when(n > 2).then(typo).otherwise(column)


ACCENTS = {"á": "a", "é": "e", "í": "i", "ó": "o", "ú": "u", "ü": "u", "ñ": "n", "Á": "A", "É": "E",
           "Í": "I", "Ó": "O", "Ú": "U", "Ñ": "N", "ç": "c", "ò": "o", "è": "e", "à": "a", "ë": "e"}


def _plain(column: pl.Expr) -> pl.Expr:
    """Accents dropped where ``_plain``."""
    return pl.when(pl.col("_plain")).then(column.str.replace_many(list(ACCENTS), list(ACCENTS.values())))\
        .otherwise(column)


def _cased(column: pl.Expr) -> pl.Expr:
    """Upper or lower case where ``_case`` is 1 or 2."""
    return (pl.when(pl.col("_case") == 1).then(column.str.to_uppercase())
            .when(pl.col("_case") == 2).then(column.str.to_lowercase()).otherwise(column))


def _phone_forms() -> list[pl.Expr]:
    """The written forms of a national number ``_number_text``, by style: ES 612345678 as
    612345678, 612 345 678, 612 34 56 78, +34 612 345 678, +34612345678, 0034612345678; GB
    7700900123 as 07700 900123, 07700900123, +44 7700 900123, +447700900123."""
    t = pl.col("_number_text")
    return [t,
            pl.format("{} {} {}", t.str.slice(0, 3), t.str.slice(3, 3), t.str.slice(6)),
            pl.format("{} {} {} {}", t.str.slice(0, 3), t.str.slice(3, 2), t.str.slice(5, 2), t.str.slice(7)),
            pl.format("+34 {} {} {}", t.str.slice(0, 3), t.str.slice(3, 3), t.str.slice(6)),
            pl.format("+34{}", t),
            pl.format("0034{}", t),
            pl.format("0{} {}", t.str.slice(0, 4), t.str.slice(4)),
            pl.format("0{}", t),
            pl.format("+44 {} {}", t.str.slice(0, 4), t.str.slice(4)),
            pl.format("+44{}", t)]


def _digit_typos(number: np.ndarray, rng: np.random.Generator, typo: np.ndarray, swap: np.ndarray) -> np.ndarray:
    """One digit mistyped where ``typo``, two adjacent digits swapped where ``swap`` (never the
    leading digit, so the number stays a mobile)."""
    number = number.copy()
    index = np.flatnonzero(typo | swap)
    values = number[index]
    places = np.where(values < 10**9, 8, 9)                             # index of the leading digit
    power = 10 ** (rng.random(index.size) * (places - 1)).astype(np.int64)
    digit = values // power % 10
    change = (digit + rng.integers(1, 10, index.size)) % 10 - digit
    upper = values // (power * 10) % 10
    swapped = values + (upper - digit) * power + (digit - upper) * power * 10
    number[index] = np.where(typo[index], values + change * power, swapped)
    return number


CHUNK = 1_000_000


def generate(rows: int, seed: int = 7, dup_share: float = 0.20, stop_share: float = 0.10) -> pl.DataFrame:
    """``rows`` export rows in random order: ``entity`` (truth), ``stop`` (this row is the
    person's one stop), ``source`` (web, till, crm), and the canonical fields: customer_id,
    first_name, last_name, full_name, email, phone, postcode, city, consent, unsubscribed,
    last_activity.

    The people are drawn at once (so every address has one owner); their rows are made in
    chunks of about a million (a person's rows are in one chunk, each chunk is shuffled), which
    keeps memory and time linear. The same seed and rows always give the same rows."""
    first, *children = np.random.SeedSequence(seed).spawn(1 + (rows + CHUNK - 1) // CHUNK)
    rng = np.random.default_rng(first)
    mean = 1 + dup_share * (2 * 0.6 + 3 * 0.3 + 4 * 0.1 - 1)
    people = _people(int(rows / mean * 1.02) + 10, rng)
    copies = np.where(rng.random(people.height) < dup_share, 2 + _pick(rng, people.height, [0.6, 0.3, 0.1]), 1)
    ends = np.cumsum(copies)
    last = int(np.searchsorted(ends, rows))
    if last >= copies.size:  # pragma: no cover - the 2 % margin
        raise RuntimeError("not enough people drawn")
    copies = copies[:last + 1].copy()
    copies[last] -= int(ends[last] - rows)
    ends = np.cumsum(copies)
    cuts = [0, *(int(np.searchsorted(ends, k * CHUNK, side="right")) for k in range(1, len(children))), last + 1]
    parts = []
    for (lo, hi), child in zip(itertools.pairwise(cuts), children):
        if hi > lo:
            part = _chunk(people[lo:hi], copies[lo:hi], np.random.default_rng(child), stop_share)
            parts.append(part.with_columns(pl.col("entity") + lo))
    frame = pl.concat(parts)
    bases = {"web": 100_000, "till": 4_000_000_000, "crm": 20_000_000}
    return frame.with_columns(
        (pl.int_range(pl.len()).over("source") + pl.col("source").replace_strict(bases, return_dtype=pl.Int64))
        .cast(pl.String).alias("customer_id"))


def _chunk(people: pl.DataFrame, copies: np.ndarray, rng: np.random.Generator, stop_share: float) -> pl.DataFrame:
    """The rows of ``people`` (``copies`` each) for :func:`generate`; customer_id left blank."""
    count = people.height
    n = int(copies.sum())
    entity = np.repeat(np.arange(count), copies)
    copy = np.arange(n) - np.repeat(np.cumsum(copies) - copies, copies)
    first_source = _pick(rng, count, [0.45, 0.30, 0.25])[entity]
    source = np.where((copy == 0) | (rng.random(n) < 0.25), first_source,
                      (first_source + 1 + rng.integers(0, 2, n)) % 3)
    stop_people = rng.random(count) < stop_share
    stop = stop_people[entity] & (copy == (rng.random(count) * copies).astype(np.int64)[entity])
    # random row order from here on, so that the copies of a person are not neighbours
    order = rng.permutation(n)
    entity, copy, source, stop = entity[order], copy[order], source[order], stop[order]
    dup, till = copy > 0, source == 1

    def draw() -> np.ndarray:
        return rng.random(n)

    person = people[entity]
    given, sur1, sur2 = (person[name].to_numpy() for name in ("given", "sur1", "sur2"))
    c = pl.col
    work = pl.DataFrame({
        "first_name": _gather(ES_GIVEN + EN_GIVEN, given),
        "last_name": _gather(ES_SURNAME_POOL + EN_SURNAMES, sur1),
        "email": person["email"], "alt_email": person["alt_email"],
        "postcode": person["postcode"], "city": person["city"]})

    # ---- names: second surname kept on 85 %, one typo 3 %, swapped 2 %, accents, case
    work = _on(work, (sur2 >= 0) & (draw() >= 0.15), {"last_name": pl.format("{} {}", c("last_name"), c("_sur2"))},
               extra=lambda i: {"_sur2": _gather(ES_SURNAME_POOL, sur2[i])})
    name_typo = draw()
    which = np.where(name_typo < 0.015, 1, 2)
    first, last = c("first_name"), c("last_name")
    work = _on(work, name_typo < 0.03,
               {"first_name": pl.when(c("_which") == 1).then(_typo(first, c("_kind"), c("_at"), c("_letter")))
                .otherwise(first),
                "last_name": pl.when(c("_which") == 2).then(_typo(last, c("_kind"), c("_at"), c("_letter")))
                .otherwise(last)},
               extra=lambda i: {"_which": which[i], "_kind": rng.integers(0, 4, i.size), "_at": rng.random(i.size),
                                "_letter": np.array(list("abcdefghijklmnopqrstuvwxyz"))[rng.integers(0, 26, i.size)]})
    work = _on(work, draw() < 0.02, {"first_name": last, "last_name": first})
    plain = np.where(till, draw() < 0.6, draw() < 0.05)
    case_draw = draw()
    upper = np.where(till, case_draw < 0.5, case_draw < 0.06)
    case = np.where(upper, 1, np.where(case_draw > 0.94, 2, 0))
    styled = plain | (case > 0)

    def style(i: np.ndarray) -> dict[str, np.ndarray]:
        return {"_plain": plain[i], "_case": case[i]}

    work = _on(work, styled, {"first_name": _plain(first), "last_name": _plain(last), "city": _plain(c("city"))},
               {"first_name": _cased(first), "last_name": _cased(last), "city": _cased(c("city"))}, extra=style)

    # ---- email: the person's address, another one on 8 % of copies; domain typos; mixed case
    alt, domain_typo, mixed = dup & (draw() < 0.08), draw() < 0.005, draw() < 0.05
    user, host = c("_user"), c("_host")
    work = _on(work, alt | domain_typo | mixed,
               {"email": pl.when(c("_alt")).then(c("alt_email")).otherwise(c("email"))},
               {"_user": c("email").str.extract(r"^(.*)@"), "_host": c("email").str.extract(r"@(.*)$")},
               {"_host": pl.when(c("_domain_typo")).then(host.replace(DOMAIN_TYPOS)).otherwise(host)},
               {"_user": pl.when(c("_mixed")).then(pl.concat_str(user.str.slice(0, 1).str.to_uppercase(),
                                                                 user.str.slice(1))).otherwise(user),
                "_host": pl.when(c("_mixed")).then(host.str.to_titlecase()).otherwise(host)},
               {"email": pl.format("{}@{}", user, host)},
               extra=lambda i: {"_alt": alt[i], "_domain_typo": domain_typo[i], "_mixed": mixed[i]})

    # ---- phone: a typo on the digits (2 % one digit, 1.5 % two swapped), one of the written forms
    phone_typo = draw()
    number = _digit_typos(person["number"].to_numpy(), rng, phone_typo < 0.02,
                          (phone_typo >= 0.02) & (phone_typo < 0.035))
    style_number = np.where(number < 10**9, _pick(rng, n, [30, 20, 12, 23, 8, 7]), 6 + _pick(rng, n, [45, 15, 30, 10]))
    phone = _switch(pl.DataFrame({"_number_text": _text(number)}), style_number, _phone_forms())

    # ---- where: the person moved (another postcode and city of the same country) on 3 % of copies
    moved = np.flatnonzero(dup & (draw() < 0.03))
    spanish = people["spanish"].to_numpy()
    pools = [np.flatnonzero(~spanish), np.flatnonzero(spanish)]
    country = spanish[entity[moved]]
    elsewhere = people[np.where(country, pools[1][rng.integers(0, pools[1].size, moved.size)],
                                pools[0][rng.integers(0, pools[0].size, moved.size)])]
    elsewhere = elsewhere.with_columns(  # the new city written in this row's style
        pl.Series("_plain", plain[moved]), pl.Series("_case", case[moved])).with_columns(
        city=_plain(c("city"))).with_columns(city=_cased(c("city")))
    work = work.with_columns(work["postcode"].clone().scatter(moved, elsewhere["postcode"]),
                             work["city"].clone().scatter(moved, elsewhere["city"]))

    # ---- missing values and placeholders, consent, stop, activity, ids per export
    days = pl.date_range(pl.date(2025, 6, 1), pl.date(2026, 10, 31), eager=True).dt.to_string("%Y-%m-%d")
    work = work.with_columns(
        phone=phone, entity=entity, stop=stop, source=_gather(list(SOURCES), source), customer_id=pl.lit(None, pl.String),
        _na=draw() < 0.002, _test=draw() < 0.002, _no_email=draw() < np.choose(source, [0.03, 0.45, 0.10]),
        _zeros=draw() < 0.003, _no_phone=draw() < np.choose(source, [0.10, 0.03, 0.20]),
        _no_postcode=draw() < 0.10, _no_city=draw() < 0.08, _consent=~stop & (draw() < 0.90),
        _blank_stop=draw() < 0.3, _yes=_gather([YES_NO[s][0] for s in SOURCES], source),
        _no=_gather([YES_NO[s][1] for s in SOURCES], source),
        last_activity=days.gather(rng.integers(0, days.len(), n)))
    first_name = pl.when(c("_na")).then(pl.lit("N/A")).otherwise(c("first_name"))
    last_name = pl.when(c("_na")).then(pl.lit("N/A")).otherwise(c("last_name"))
    return work.select(
        "entity", "stop", "source", "customer_id", first_name.alias("first_name"), last_name.alias("last_name"),
        pl.concat_str(first_name, last_name, separator=" ", ignore_nulls=True).alias("full_name"),
        pl.when(c("_test")).then(pl.lit("test@test.com")).when(c("_no_email")).then(None).otherwise(c("email"))
        .alias("email"),
        pl.when(c("_zeros")).then(pl.lit("000000000")).when(c("_no_phone")).then(None).otherwise(c("phone"))
        .alias("phone"),
        pl.when(c("_no_postcode")).then(None).otherwise(c("postcode")).alias("postcode"),
        pl.when(c("_no_city")).then(None).otherwise(c("city")).alias("city"),
        pl.when(c("_consent")).then(c("_yes")).otherwise(c("_no")).alias("consent"),
        pl.when(c("stop")).then(c("_yes")).when(c("_blank_stop")).then(None).otherwise(c("_no")).alias("unsubscribed"),
        "last_activity")


def write(frame: pl.DataFrame, folder: str | Path, fmt: str = "csv", one_file: bool = False) -> tuple[list[Path], Path]:
    """Write the exports (``web``, ``till``, ``crm``; or one ``customers`` file in the CRM's headers)
    and ``truth.parquet`` (file, row = 1-based data row, entity, stop). Returns (paths, truth)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    parts = [("customers", frame, "crm")] if one_file else [(s, frame.filter(pl.col("source") == s), s)
                                                             for s in SOURCES]
    paths, truths = [], []
    for name, part, headers in parts:
        path = folder / f"{name}.{fmt}"
        out = part.select([pl.col(f).alias(h) for f, h in HEADERS[headers].items()])
        out.write_csv(path) if fmt == "csv" else out.write_parquet(path)
        paths.append(path)
        truths.append(part.select(pl.lit(path.name).alias("file"), pl.int_range(1, pl.len() + 1).alias("row"),
                                  "entity", "stop"))
    truth = folder / "truth.parquet"
    pl.concat(truths).write_parquet(truth)
    return paths, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("-o", "--out", required=True, help="folder for the exports and truth.parquet")
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--one-file", action="store_true", help="one export in the CRM's headers")
    args = parser.parse_args()
    start = time.perf_counter()
    frame = generate(args.rows, args.seed)
    made = time.perf_counter()
    paths, truth = write(frame, args.out, args.format, args.one_file)
    done = time.perf_counter()
    people = frame["entity"].n_unique()
    print(f"{args.rows:,} rows of {people:,} people ({1 - people / args.rows:.1%} of rows are copies), "
          f"{frame['stop'].sum():,} stops; generated in {made - start:.1f} s, written in {done - made:.1f} s")
    for path in [*paths, truth]:
        print(f"  {path}  {path.stat().st_size / 2**20:,.1f} MiB")


if __name__ == "__main__":
    main()
