"""DU: duplicates. Found by listclean.dedupe; registered here for docs and selection."""

from __future__ import annotations

from listclean.checks.registry import rule


@rule("DU001", "duplicate-address", "info")
def duplicate_address(ctx):
    """Flags rows that share the campaign's address with another row: the same email
    (case, Gmail dots, +tags and googlemail.com folded) or the same E.164 number.
    One survivor (most recently active, then most complete, then first) is kept;
    the others get status ``duplicate`` and point at the survivor's row.

    Why it matters: the person would receive the campaign twice. Any unsubscribe
    or missing consent on a duplicate applies to the survivor: the most
    restrictive answer wins.

    How to fix: merge the records in the CRM. Ignore this rule (``--ignore DU001``)
    to keep every row.
    """
    return None


@rule("DU002", "probable-same-person", "info")
def probable_same_person(ctx):
    """Flags rows that share only the other identifier (the phone in an email
    campaign, the email in an SMS campaign) with another row.

    Why it matters: probably one person known twice (online and in store); worth
    merging so that a stop on one record reaches the other.

    How to fix: merge the records in the CRM if they are the same person.
    """
    return None


@rule("DU003", "shared-identifier-skipped", "info")
def shared_identifier_skipped(ctx):
    """Flags an identifier shared by more rows than the policy's
    ``[dedupe] max_shared_identifier`` (a switchboard number, a placeholder
    like 000000000): it is not used to link people.

    Why it matters: linking on such values would merge strangers and blow up
    memory (blocking-key skew).

    How to fix: clean the placeholder values at the source.
    """
    return None


@rule("DU004", "same-person-other-address", "info")
def same_person_other_address(ctx):
    """Flags rows that the person matcher found to be the same person as a row that is kept,
    under another address (a second email or number of the same customer, in the same export
    or another system's). The row gets status ``duplicate`` and points at the kept row.

    Why it matters: the person would receive the campaign twice, once per address; and a stop
    on any of their records is theirs (GDPR Art. 21, CAN-SPAM §7704(a)(4)).

    How to fix: merge the records in the CRM. ``listclean people FILES --explain ROW`` shows
    which fields agreed; raise ``[match] merge`` in the policy if merges are too eager.
    """
    return None


@rule("DU005", "possible-same-person", "warning")
def possible_same_person(ctx):
    """Flags rows that the person matcher scored between the policy's ``[match] review`` and
    ``merge`` thresholds against another row: possibly the same person, not merged. A stop on
    either row applies to both.

    Why it matters: sending to someone who said stop under a slightly different name or
    address is still sending to someone who said stop.

    How to fix: check the pair (``listclean people FILES --explain ROW``) and merge the
    records in the CRM, or tune ``[match] review`` / ``merge``.
    """
    return None
