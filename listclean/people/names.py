"""Names as the matcher compares them: folded text, full names split into given name and
surname, surname particles set aside, and a rough phonetic key for blocking.

Everything here is a polars expression, so it runs vectorised; the matcher applies it to the
distinct values of a column only.
"""

from __future__ import annotations

import polars as pl

#: Written abbreviations of Spanish names (after folding), spelled out.
ABBREVIATIONS = {
    "fco": "francisco", "fdez": "fernandez", "fernz": "fernandez", "glez": "gonzalez", "gonz": "gonzalez",
    "hdez": "hernandez", "hrndz": "hernandez", "rguez": "rodriguez", "rdguez": "rodriguez", "rodz": "rodriguez",
    "mtnez": "martinez", "mnez": "martinez", "martz": "martinez", "gcia": "garcia", "sdez": "sanchez",
    "ma": "maria",
}
#: Courtesy titles dropped from the start of a name.
TITLES = ("sr", "sra", "srta", "dr", "dra", "dna", "mr", "mrs", "ms", "miss", "mme", "mlle", "herr", "frau", "prof")
#: Words inside surnames that carry no identity ("García de la Vega" ~ "García Vega").
PARTICLES = frozenset({"de", "del", "la", "las", "los", "y", "i", "e", "da", "das", "do", "dos", "di", "du",
                       "van", "von", "der", "den", "le", "st"})
#: Second words of common compound given names ("María José", "Juan Carlos"): a full name of
#: three words whose second word is one of these is read as two given names and one surname.
COMPOUND_GIVEN = frozenset({
    "maria", "jose", "luis", "carlos", "antonio", "manuel", "angel", "ignacio", "javier", "miguel", "pablo",
    "fernando", "francisco", "isabel", "carmen", "teresa", "elena", "eugenia", "victoria", "cristina", "pilar",
    "jesus", "ramon", "andres", "alberto", "enrique", "juan", "pedro", "rosa", "luisa", "mar", "paz",
})
#: Letters NFKD does not take apart, and apostrophes (which join: O'Brien → obrien).
_LETTERS = {"ß": "ss", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ł": "l", "Ł": "l",
            "đ": "d", "Đ": "d", "ð": "d", "þ": "th", "ı": "i", "'": "", "’": "", "`": "", "´": ""}
#: Soundex classes for :func:`phonetic`: vowels 0 (they separate repeats), h and w nothing.
_SOUNDEX = {**dict.fromkeys("aeiouy", "0"), **dict.fromkeys("hw", ""), **dict.fromkeys("bfpv", "1"),
            **dict.fromkeys("cgjkqsxz", "2"), **dict.fromkeys("dt", "3"), "l": "4", "m": "5", "n": "5", "r": "6"}
_REPEATED = {digit * 2: digit for digit in "123456"}


def fold(text: pl.Expr) -> pl.Expr:
    """Lower case, accents stripped (NFKD), punctuation dropped (apostrophes join, anything
    else separates), spaces collapsed; empty becomes null. ``"  O'Brien-Núñez "`` → ``"obrien nunez"``."""
    return (text.str.replace_many(_LETTERS).str.normalize("NFKD").str.replace_all(r"\p{M}", "")
            .str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", " ")
            .str.strip_chars()
            .replace("", None))


def fold_name(name: pl.Expr) -> pl.Expr:
    """:func:`fold` for person names: ``Mª``/``M.ª`` read as María, courtesy titles dropped,
    written abbreviations (``Fco.``, ``Fdez.``) spelled out."""
    folded = fold(name.str.replace_all(r"(?i)\bM\.?\s?[ªº]\.?", "maria "))
    # Two spaces between words and one at each end, so whole words are found in one pass.
    padded = (pl.lit(" ") + folded.str.replace_all(" ", "  ", literal=True) + pl.lit(" "))
    padded = padded.str.replace(r"^ (?:(?:" + "|".join(TITLES) + r")  )+", " ")
    padded = padded.str.replace(r"^ ma  (\p{L})", " maria  $1")   # "Ma Luisa"; "ma" alone may be a name
    padded = padded.str.replace_many({f" {short} ": f" {long} " for short, long in ABBREVIATIONS.items()})
    return padded.str.replace_all(" +", " ").str.strip_chars().replace("", None)


def split_full_name(full: pl.Series) -> pl.DataFrame:
    """``given``, ``surname`` (both folded) of each full name.

    ``"García López, María"`` is surname first. Otherwise one word is a given name; two are
    given name and surname; three are one given name and two surnames (Spanish style), unless
    the second word is a common second given name (``"María José García"``); four or more are
    the given names followed by two surnames (``"María José García López"``).
    """
    frame = full.rename("full").to_frame().with_columns(
        pl.col("full").str.contains(",", literal=True).alias("comma"),
        fold_name(pl.col("full").str.extract(r"^([^,]*),", 1)).alias("before"),
        fold_name(pl.col("full").str.extract(r",(.*)$", 1)).alias("after"),
        fold_name(pl.col("full")).str.split(" ").alias("words"))
    frame = frame.with_columns(pl.col("words").list.len().alias("n"),
                               pl.col("words").list.get(1, null_on_oob=True).is_in(list(COMPOUND_GIVEN))
                               .fill_null(False).alias("second_given"))
    frame = frame.with_columns(
        pl.when(pl.col("n") <= 2).then(1)
        .when(pl.col("n") == 3).then(pl.when(pl.col("second_given")).then(2).otherwise(1))
        .otherwise(pl.col("n") - 2).alias("given_words"))
    return frame.select(
        pl.when(pl.col("comma")).then(pl.col("after"))
        .otherwise(pl.col("words").list.head(pl.col("given_words")).list.join(" ")).replace("", None).alias("given"),
        pl.when(pl.col("comma")).then(pl.col("before"))
        .otherwise(pl.col("words").list.slice(pl.col("given_words")).list.join(" ")).replace("", None)
        .alias("surname"))


def surname_key(surname: pl.Expr) -> pl.Expr:
    """A folded surname without particles: ``"garcia de la vega"`` → ``"garcia vega"`` (a
    surname made only of particles is kept as it is)."""
    pattern = r"\b(?:" + "|".join(sorted(PARTICLES)) + r") "
    return pl.coalesce((surname + pl.lit(" ")).str.replace_all(pattern, "").str.strip_chars().replace("", None),
                       surname)


def phonetic(word: pl.Expr, length: int = 4) -> pl.Expr:
    """Soundex of a folded word, for blocking: its first letter, then the sound classes of the
    next consonants (b f p v · c g j k q s x z · d t · l · m n · r), a class repeated only once
    unless a vowel separates it, ``length`` characters in all. ``trzcinski`` and ``trzconski``
    are both ``t625``; typos in vowels and among similar consonants keep the key."""
    word = word.str.replace_all(r"[^a-z]", "")
    classes = word.str.replace_many(_SOUNDEX).str.replace_many(_REPEATED).str.replace_many(_REPEATED)
    first = word.str.slice(0, 1)
    rest = pl.when(first.is_in(["h", "w"])).then(classes).otherwise(classes.str.slice(1))   # h, w have no class
    return pl.concat_str([first, rest.str.replace_all("0", "", literal=True)]).str.slice(0, length).replace("", None)
