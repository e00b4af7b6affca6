"""Settings: built-in defaults < listclean.toml / [tool.listclean] < --policy file < CLI flags.

A policy file (``rules/NAME.toml``) holds what the law or the house decides:
which rules run, their severities, consent models and thresholds. Project
settings and CLI flags hold how this run is done. Everything is validated once;
an unknown key is an error naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from listclean.checks.registry import unknown_selectors
from listclean.result import Severity
from listclean.errors import ListcleanError

CHANNELS = ("email", "sms", "whatsapp", "call")
CONSENT_MODELS = ("opt-in", "opt-out")
EVIDENCE = ("date", "source")


@dataclass(frozen=True)
class ChannelConsent:
    """What a policy requires of consent on one channel."""

    model: str = "opt-in"                    # opt-in: a recorded yes; opt-out: send unless stopped
    evidence: tuple[str, ...] = ()           # what a consent must carry to be provable: date, source
    max_age_days: int | None = None          # consent older than this needs re-permission
    resubscribe: bool = False                # a consent dated after the unsubscribe re-subscribes
    soft_opt_in: bool = False                # existing customers, similar products, opt-out offered
    implied_purchase_days: int | None = None   # implied consent lasts this long after a purchase (CASL)
    implied_inquiry_days: int | None = None    # …and this long after an inquiry (CASL)
    robinson_check: bool = False             # rows without consent must have been checked (Spain)


_CHANNEL_CONSENT_TYPES = {"model": str, "evidence": list, "max_age_days": int, "resubscribe": bool,
                          "soft_opt_in": bool, "implied_purchase_days": int, "implied_inquiry_days": int,
                          "robinson_check": bool}


def _default_consent() -> dict[str, ChannelConsent]:
    return {"email": ChannelConsent(model="opt-out"), "sms": ChannelConsent(), "whatsapp": ChannelConsent(),
            "call": ChannelConsent(model="opt-out")}


MATCH_MODES = ("auto", "exact", "probabilistic")


@dataclass(frozen=True)
class MessagePolicy:
    """What a policy requires of the campaign message itself (``[message]``; the MS rules)."""

    postal_address: bool = False             # every email carries the sender's postal address (CAN-SPAM, CASL)
    opt_out_keywords: tuple[str, ...] = ("STOP",)  # replies that stop texts, as the message must write them


@dataclass
class MatchPolicy:
    """How rows are matched into people (``[match]``): thresholds on the match probability."""

    mode: str = "auto"              # auto: probabilistic when an input has a name column
    merge: float = 0.6              # at or above: one person
    review: float = 0.1             # from here to merge: possibly one person (stops shared, review)
    max_block: int = 200            # a blocking value shared by more rows blocks nothing
    one_per_source: list[str] = field(default_factory=list)   # systems of record: one row per person
    source_priority: list[str] = field(default_factory=list)  # most trusted input first (golden records)


@dataclass
class Policy:
    """The decisions a policy file makes, after ``extends`` chains are resolved."""

    name: str = "default"
    description: str = ""
    source: str = "<built-in>"
    sha256: str = ""
    select: list[str] = field(default_factory=lambda: ["ALL"])
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, Severity] = field(default_factory=dict)
    consent: dict[str, ChannelConsent] = field(default_factory=_default_consent)
    max_inactive_days: int = 730
    max_shared_identifier: int = 25
    match: MatchPolicy = field(default_factory=lambda: MatchPolicy())
    extra_role_accounts: list[str] = field(default_factory=list)
    quiet_hours: dict[str, tuple[dt.time, dt.time]] = field(default_factory=dict)
    min_days_between_contacts: int | None = None
    unsubscribe_deadline_business_days: int | None = None
    message: MessagePolicy = field(default_factory=MessagePolicy)

    def consent_for(self, channel: str) -> ChannelConsent:
        return self.consent.get(channel, ChannelConsent())


@dataclass
class Settings:
    """Everything one run needs to know."""

    policy: Policy = field(default_factory=Policy)
    channel: str | None = None            # None: email if the export has an email column, else sms
    default_region: str | None = None
    as_of: dt.date = field(default_factory=dt.date.today)
    date_format: str | None = None        # dmy | mdy | a strftime pattern
    select: list[str] | None = None       # CLI/project selection on top of the policy's
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, Severity] = field(default_factory=dict)
    fail_on: str = "error"                # error | warning | info | never
    column_map: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    sheet: str | None = None
    settings_file: str | None = None
    send_at: dt.datetime | None = None    # planned send time, for quiet hours (timezone-aware)
    similar_products: bool = False        # the sender declares the campaign is about its own similar products
    consent_evidence: str | None = None   # the sender declares where dated proof of consent is kept
    dns: bool = False                     # ask DNS whether email domains take mail
    nameservers: list[str] = field(default_factory=list)
    dns_timeout: float = 2.0
    dns_deadline: float = 120.0
    dns_concurrency: int = 100
    dns_cache: Path | None = None         # None: the user's cache folder
    store: Path | None = None             # suppression store; None: the user's data folder
    store_disabled: bool = False          # --store none: consult no suppression store

    def __post_init__(self) -> None:
        _validate(self)

    def overrides(self) -> dict[str, Any]:
        """What this run changed on top of its policy that can change who is stopped or sent:
        written into the JSON report's run block and every audit line, so a send can always be
        traced to the overrides that allowed it."""
        changed = {
            "select": self.select, "ignore": self.ignore or None,
            "severity": {code: str(value) for code, value in self.severity.items()} or None,
            "similar_products": self.similar_products or None, "consent_evidence": self.consent_evidence,
            "default_region": self.default_region, "date_format": self.date_format,
            "map": self.column_map or None, "store": "none" if self.store_disabled else None,
        }
        return {key: value for key, value in changed.items() if value is not None}


# --------------------------------------------------------------------- policies

_POLICY_KEYS = {
    "policy": {"name", "description", "extends"},
    "rules": {"select", "ignore", "extend-select"},
    "severity": None,                      # any rule code
    "consent": set(CHANNELS),
    "stale": {"max_inactive_days"},
    "dedupe": {"max_shared_identifier"},
    "match": {"mode", "merge", "review", "max_block", "one_per_source", "source_priority"},
    "email": {"extra_role_accounts"},
    "quiet_hours": set(CHANNELS),
    "contact": {"min_days_between_contacts", "unsubscribe_deadline_business_days"},
    "message": {"postal_address", "opt_out_keywords"},
}


def policy_names() -> list[str]:
    return sorted(p.name[:-5] for p in (resources.files("listclean") / "policies").iterdir()
                  if p.name.endswith(".toml"))


def policy_file(name_or_path: str, relative_to: Path | None = None) -> tuple[str, bytes]:
    """(where it was found, its bytes) for a policy name or path."""
    looks_like_path = name_or_path.endswith(".toml") or "/" in name_or_path or "\\" in name_or_path
    if looks_like_path:
        path = Path(name_or_path)
        if relative_to is not None and not path.is_absolute():
            path = relative_to / path
        if not path.is_file():
            raise ListcleanError("policy file not found", file=str(path))
        return str(path), path.read_bytes()
    resource = resources.files("listclean") / "policies" / f"{name_or_path}.toml"
    if not resource.is_file():
        raise ListcleanError(f"unknown policy {name_or_path!r} (known: {', '.join(policy_names())}; "
                             "or give a path to a .toml file)")
    return f"rules/{name_or_path}.toml", resource.read_bytes()


def load_policy(name_or_path: str, _seen: tuple[str, ...] = ()) -> Policy:
    """Load a policy by name (``gdpr``) or path, following ``extends``."""
    source, raw = policy_file(name_or_path)
    if source in _seen:
        raise ListcleanError(f"policy extends itself in a loop: {' → '.join(_seen + (source,))}", file=source)
    data = _parse_toml(raw, source)
    _check_keys(data, _POLICY_KEYS, source)
    parent_name = data.get("policy", {}).get("extends")
    policy = load_policy(parent_name, _seen + (source,)) if parent_name else Policy()
    policy = dataclasses.replace(policy, severity=dict(policy.severity), consent=dict(policy.consent),
                                 quiet_hours=dict(policy.quiet_hours))
    policy.source = source
    policy.sha256 = hashlib.sha256(raw).hexdigest()
    head = data.get("policy", {})
    policy.name = _typed(head.get("name", Path(source).stem), str, source, "policy.name")
    policy.description = _typed(head.get("description", ""), str, source, "policy.description")
    rules = data.get("rules", {})
    if "select" in rules:
        policy.select = _codes(rules["select"], source, "rules.select", allow_empty=False)
    policy.select = policy.select + _codes(rules.get("extend-select", []), source, "rules.extend-select")
    policy.ignore = policy.ignore + _codes(rules.get("ignore", []), source, "rules.ignore")
    policy.severity.update(_severities(data.get("severity", {}), source))
    for channel, table in data.get("consent", {}).items():
        policy.consent[channel] = _channel_consent(policy.consent_for(channel), table, source, channel)
    for channel, window in data.get("quiet_hours", {}).items():
        policy.quiet_hours[channel] = _time_window(window, source, f"quiet_hours.{channel}")
    contact = data.get("contact", {})
    for key in ("min_days_between_contacts", "unsubscribe_deadline_business_days"):
        if key in contact:
            setattr(policy, key, _positive_int(contact[key], source, f"contact.{key}"))
    stale = data.get("stale", {})
    if "max_inactive_days" in stale:
        policy.max_inactive_days = _positive_int(stale["max_inactive_days"], source, "stale.max_inactive_days")
    dedupe = data.get("dedupe", {})
    if "max_shared_identifier" in dedupe:
        policy.max_shared_identifier = _positive_int(dedupe["max_shared_identifier"], source,
                                                     "dedupe.max_shared_identifier")
    if "match" in data:
        policy.match = _match_policy(policy.match, data["match"], source)
    roles = data.get("email", {}).get("extra_role_accounts", [])
    policy.extra_role_accounts = policy.extra_role_accounts + [
        _typed(r, str, source, "email.extra_role_accounts").lower() for r in roles]
    if "message" in data:
        policy.message = _message_policy(policy.message, data["message"], source)
    return policy


def _message_policy(base: MessagePolicy, table: Any, source: str) -> MessagePolicy:
    """[message]: each key replaces the parent policy's (a national policy narrows the keywords)."""
    if not isinstance(table, dict):
        raise ListcleanError("[message] must be a table", file=source)
    values = {}
    if "postal_address" in table:
        values["postal_address"] = _typed(table["postal_address"], bool, source, "message.postal_address")
    if "opt_out_keywords" in table:
        keywords = [_typed(k, str, source, "message.opt_out_keywords").strip()
                    for k in _typed(table["opt_out_keywords"], list, source, "message.opt_out_keywords")]
        if not keywords or not all(keywords):
            # No keyword would make every text fail MS007: say which keyword counts instead.
            raise ListcleanError("message.opt_out_keywords must list at least one keyword, none empty", file=source)
        values["opt_out_keywords"] = tuple(keywords)
    return dataclasses.replace(base, **values)


def _channel_consent(base: ChannelConsent, table: Any, source: str, channel: str) -> ChannelConsent:
    if not isinstance(table, dict):
        raise ListcleanError(f"consent.{channel} must be a table", file=source)
    values = {}
    for key, value in table.items():
        label = f"consent.{channel}.{key}"
        kind = _CHANNEL_CONSENT_TYPES.get(key)
        if kind is None:
            raise ListcleanError(f"unknown key {label!r}", file=source)
        if kind is int:
            value = _positive_int(value, source, label)
        elif kind is list:
            value = tuple(_typed(v, str, source, label) for v in _typed(value, list, source, label))
            if not set(value) <= set(EVIDENCE):
                raise ListcleanError(f"{label} may hold only {', '.join(EVIDENCE)}", file=source)
        else:
            value = _typed(value, kind, source, label)
        values[key] = value
    if values.get("model", base.model) not in CONSENT_MODELS:
        raise ListcleanError(f"consent.{channel}.model must be one of {', '.join(CONSENT_MODELS)}", file=source)
    return dataclasses.replace(base, **values)


def _time_window(text: Any, source: str, key: str) -> tuple[dt.time, dt.time]:
    """'08:00-21:00' → (08:00, 21:00)."""
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in _typed(text, str, source, key).split("-"))
    except ValueError:
        raise ListcleanError(f"{key} must look like \"08:00-21:00\"", file=source) from None
    if not start < end:
        raise ListcleanError(f"{key}: the window must start before it ends", file=source)
    return start, end


# --------------------------------------------------------------------- project settings

#: ``--store none`` / ``store = "none"``: run without a suppression store.
NO_STORE = "none"


def _text(value: Any, source: str, key: str) -> str:
    return _typed(value, str, source, key)


def _flag(value: Any, source: str, key: str) -> bool:
    return _typed(value, bool, source, key)


def _number(value: Any, source: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ListcleanError(f"{key} must be a positive number", file=source)
    return float(value)


def _texts(value: Any, source: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ListcleanError(f"{key} must be a list of strings", file=source)
    return list(value)


def _table(value: Any, source: str, key: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ListcleanError(f"[{key}] must be a table of FIELD = \"column\"", file=source)
    return {k: _text(v, source, f"{key}.{k}") for k, v in value.items()}


def _day(value: Any, source: str, key: str) -> dt.date | str:
    return value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else _text(value, source, key)


def _moment(value: Any, source: str, key: str) -> dt.datetime | str:
    return value if isinstance(value, dt.datetime) else _text(value, source, key)


#: listclean.toml key → (Settings field, how its value is read). Every command-line option that
#: makes sense for a project is a key; values are checked here, naming the file and the key.
_PROJECT_SETTINGS: dict[str, tuple[str, Any]] = {
    "channel": ("channel", _text), "default-region": ("default_region", _text),
    "date-format": ("date_format", _text), "fail-on": ("fail_on", _text), "map": ("column_map", _table),
    "encoding": ("encoding", _text), "sheet": ("sheet", _text), "as-of": ("as_of", _day),
    "send-at": ("send_at", _moment), "dns": ("dns", _flag), "nameservers": ("nameservers", _texts),
    "dns-timeout": ("dns_timeout", _number), "dns-deadline": ("dns_deadline", _number),
    "dns-concurrency": ("dns_concurrency", lambda v, s, k: _positive_int(v, s, k)),
    "similar-products": ("similar_products", _flag), "consent-evidence": ("consent_evidence", _text),
    "ignore": ("ignore", lambda v, s, k: _codes(v, s, k)),
    "select": ("select", lambda v, s, k: _codes(v, s, k, allow_empty=False)),
    "severity": ("severity", lambda v, s, k: _severities(v, s)),
}
_PROJECT_KEYS = {"policy", "cache", "store", *_PROJECT_SETTINGS}
#: Settings a caller may give build_settings besides the fields themselves.
_FIELDS = {f.name for f in dataclasses.fields(Settings)} - {"policy", "settings_file", "store_disabled"}

#: The policy a run uses when neither the command line nor the project names one.
DEFAULT_POLICY = "default"

#: What each listclean.toml key does, in the order ``listclean init`` writes them, with an example
#: value for the keys whose default is "not set" (TOML has no null: ``init`` writes them commented
#: out) and for the entries of the tables. ``{policies}`` is the list of bundled policies.
_PROJECT_HELP: dict[str, tuple[str, Any]] = {
    "policy": (("The policy: which rules run, how severe they are, what consent must carry. A bundled one "
                "({policies}; `listclean policy show NAME`) or a .toml file, relative to this file."), None),
    "channel": (("The campaign's channel: email, sms, whatsapp or call. Not set: email if the export has an "
                 "email column, else sms."), "email"),
    "fail-on": ("Exit with status 1 when a finding is at or above: error, warning, info, or never.", None),
    "select": (("Rule codes or prefixes (EM, CN001, ALL) to run, instead of the policy's selection "
                "(`listclean rule` lists them). Not set: the policy's."), ["ALL"]),
    "ignore": ("Rule codes or prefixes to skip, on top of the policy's.", None),
    "default-region": (("Region (ISO code) for national phone numbers on rows without a country. Not set: "
                        "such numbers are unparseable unless most of the file's numbers settle it."), "ES"),
    "date-format": (("How to read ambiguous dates: dmy, mdy, or a strftime pattern such as %d.%m.%Y. Not "
                     "set: settled from each column's values."), "dmy"),
    "as-of": ("The day taken as today, for reproducible runs. Not set: the day of the run.", dt.date(2026, 11, 1)),
    "send-at": (("Planned send time with its UTC offset: checks quiet hours at the recipient (SMS, WhatsApp, "
                 "calls). Not set: no quiet-hours check."),
                dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))),
    "encoding": ("Text encoding of the inputs. Not set: detected.", "cp1252"),
    "sheet": ("Excel sheet to read. Not set: the first.", "Contacts"),
    "similar-products": (("Declare that the campaign is about your own similar products (soft opt-in, PECR "
                          "and LSSI)."), None),
    "consent-evidence": (("Declare where dated proof of consent is kept: CN006/CN007 are then not applied, "
                          "and reports and the audit record it. Not set: no declaration."), "Shopify admin"),
    "store": (("Suppression store (SQLite), relative to this file; \"none\" consults no store. Not set: the "
               "one in the user's data folder."), "suppression.sqlite"),
    "dns": ("Ask DNS whether each distinct email domain takes mail (MX, A, null MX...).", None),
    "nameservers": ("Resolvers to ask, as \"IP\" or \"IP:PORT\". Empty: the system's.", None),
    "dns-timeout": ("Seconds per DNS query.", None),
    "dns-deadline": ("Seconds for all the DNS work of a run; domains left are unknown (EM011).", None),
    "dns-concurrency": ("DNS queries in flight at once.", None),
    "cache": ("DNS cache file, relative to this file. Not set: the one in the user's cache folder.",
              "dns-cache.sqlite"),
    "map": (("The input column that holds a field, as FIELD = \"COLUMN\", where listclean does not "
             "recognise the header (`listclean columns FILE` shows its choice)."), {"phone": "Tel. móvil"}),
    "severity": ("Re-grade a rule on top of the policy, as CODE = \"error\", \"warning\" or \"info\".",
                 {"ST001": "error"}),
}


def _project_default(key: str) -> Any:
    """The value a run takes when listclean.toml leaves ``key`` out (None: not set)."""
    if key == "policy":
        return DEFAULT_POLICY
    name = {"cache": "dns_cache", "store": "store"}.get(key) or _PROJECT_SETTINGS[key][0]
    spec = {f.name: f for f in dataclasses.fields(Settings)}[name]
    if spec.default is not dataclasses.MISSING:
        return spec.default
    return None if spec.default_factory == dt.date.today else spec.default_factory()


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def project_template(version: str) -> str:
    """A listclean.toml with every project setting: what it does, and its default (an active line)
    or, where the default is "not set", a commented example. Keys and defaults come from the
    settings themselves, so the file cannot drift from what build_settings reads."""
    if set(_PROJECT_HELP) != _PROJECT_KEYS:
        raise RuntimeError(f"listclean.toml keys and their descriptions differ: {sorted(set(_PROJECT_HELP) ^ _PROJECT_KEYS)}")
    import textwrap

    def comment(text: str) -> list[str]:
        text = text.format(policies=", ".join(policy_names()))
        return ["# " + line for line in textwrap.wrap(text, 96, break_on_hyphens=False)]

    lines = comment(f"listclean project settings, written by `listclean init` (listclean {version}).") + [
        "#", *comment("listclean reads the nearest listclean.toml from the folder it runs in up to the root of "
                      "the repository (or a [tool.listclean] table in pyproject.toml, with the same keys). "
                      "Command-line options win over this file. Every setting is here with its default: a "
                      "line \"key = value\" holds the default, a commented-out \"# key = value\" is not set and "
                      "shows an example. An unknown key is an error that names this file and the key.")]
    tables = []
    for key, (text, example) in _PROJECT_HELP.items():
        default = _project_default(key)
        if isinstance(default, dict):
            tables += ["", *comment(text), f"[{key}]",
                       *(f"{name} = {_toml_value(value)}" for name, value in default.items()),
                       *(f"# {name} = {_toml_value(value)}" for name, value in example.items())]
        elif default is None:
            lines += ["", *comment(text), f"# {key} = {_toml_value(example)}"]
        else:
            lines += ["", *comment(text), f"{key} = {_toml_value(default)}"]
    return "\n".join(lines + tables) + "\n"


def find_project_settings(start: Path) -> tuple[str, dict] | None:
    """The nearest listclean.toml, or pyproject.toml with [tool.listclean], from ``start`` up."""
    for folder in [start, *start.parents]:
        candidate = folder / "listclean.toml"
        if candidate.is_file():
            return str(candidate), _parse_toml(candidate.read_bytes(), str(candidate))
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            data = _parse_toml(pyproject.read_bytes(), str(pyproject))
            if "listclean" in data.get("tool", {}):
                return str(pyproject), data["tool"]["listclean"]
        if (folder / ".git").exists():
            break
    return None


def build_settings(*, cwd: Path | None = None, policy: str | None = None, **given: Any) -> Settings:
    """Merge the layers: defaults < project settings < policy < ``given`` (the options the caller
    set; None means "not given"). Project settings (listclean.toml, or [tool.listclean] in
    pyproject.toml) are looked for from ``cwd`` up, and only when ``cwd`` is given: a library
    caller gets none unless it asks. An unknown name is refused, whatever the route."""
    unknown = sorted(set(given) - _FIELDS - {"store"})
    if unknown:
        raise ListcleanError(f"unknown setting {unknown[0]!r} (settings: {', '.join(sorted(_FIELDS | {'store'}))})")
    project_file, project = (find_project_settings(cwd) if cwd is not None else None) or (None, {})
    values: dict[str, Any] = {}
    if project_file:
        _check_keys({"": project}, {"": _PROJECT_KEYS}, project_file, flat=True)
        here = Path(project_file).parent
        for key, (name, read) in _PROJECT_SETTINGS.items():
            if key in project:
                values[name] = read(project[key], project_file, key)
        if "cache" in project:
            values["dns_cache"] = here / _text(project["cache"], project_file, "cache")
        if "store" in project:
            values["store"] = _text(project["store"], project_file, "store")
            values["store"] = values["store"] if values["store"] == NO_STORE else here / values["store"]
    policy_name = policy or project.get("policy") or DEFAULT_POLICY
    if project_file and not policy and str(project.get("policy", "")).endswith(".toml"):
        policy_name = str(Path(project_file).parent / project["policy"])
    for key, value in given.items():
        if value is None:
            continue
        if key == "select":
            values["select"] = _codes(value, "--select", "select", allow_empty=False)
        elif key == "ignore":
            values["ignore"] = values.get("ignore", []) + _codes(value, "--ignore", "ignore")
        elif key == "column_map":
            values["column_map"] = {**values.get("column_map", {}), **value}
        else:
            values[key] = value
    store = values.pop("store", None)
    return Settings(policy=load_policy(policy_name), settings_file=project_file,
                    store=None if store is None or str(store) == NO_STORE else Path(store),
                    store_disabled=store is not None and str(store) == NO_STORE, **values)


def _validate(settings: Settings) -> None:
    if settings.channel is not None and settings.channel not in CHANNELS:
        raise ListcleanError(f"unknown channel {settings.channel!r} (use {' or '.join(CHANNELS)})")
    if settings.fail_on not in ("error", "warning", "info", "never"):
        raise ListcleanError(f"--fail-on must be error, warning, info or never, not {settings.fail_on!r}")
    if settings.default_region is not None:
        import phonenumbers

        region = str(settings.default_region).upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ListcleanError(f"unknown --default-region {settings.default_region!r} (use an ISO code like ES)")
        settings.default_region = region
    for name in ("dns_timeout", "dns_deadline", "dns_concurrency"):
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ListcleanError(f"--{name.replace('_', '-')} must be a positive number, not {value!r}")
    if settings.date_format is not None:
        _check_date_format(settings.date_format)
    if settings.consent_evidence is not None and not str(settings.consent_evidence).strip():
        raise ListcleanError("--consent-evidence must say where the proof of consent is kept")
    if isinstance(settings.as_of, str):
        try:
            settings.as_of = dt.date.fromisoformat(settings.as_of)
        except ValueError:
            raise ListcleanError(f"--as-of must be a date like 2026-11-01, not {settings.as_of!r}") from None
    if isinstance(settings.send_at, str):
        try:
            settings.send_at = dt.datetime.fromisoformat(settings.send_at)
        except ValueError:
            settings.send_at = None
    if settings.send_at is not None and settings.send_at.tzinfo is None:
        raise ListcleanError("--send-at must be a date and time with its UTC offset, "
                             "like 2026-12-01T10:00+01:00")


def _check_date_format(text: str) -> None:
    """dmy, mdy, or a strftime pattern that writes and reads back a day (``%d.%m.%Y``)."""
    if text in ("dmy", "mdy"):
        return
    probe = dt.date(2031, 12, 25)
    try:
        ok = "%" in text and dt.datetime.strptime(probe.strftime(text), text).date() == probe
    except ValueError:
        ok = False
    if not ok:
        raise ListcleanError(f"--date-format must be dmy, mdy or a strftime pattern with day, month and "
                             f"year such as %d.%m.%Y, not {text!r}")


# --------------------------------------------------------------------- helpers

def _parse_toml(raw: bytes, source: str) -> dict:
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ListcleanError(f"invalid TOML: {error}", file=source) from None


def _check_keys(data: dict, allowed: dict, source: str, flat: bool = False) -> None:
    for section, table in data.items():
        if section not in allowed:
            raise ListcleanError(f"unknown section [{section}]", file=source)
        keys = allowed[section]
        if keys is None or not isinstance(table, dict):
            continue
        for key in table:
            if key not in keys:
                label = key if flat else f"{section}.{key}"
                raise ListcleanError(f"unknown key {label!r}", file=source)


def _match_policy(base: MatchPolicy, table: dict, source: str) -> MatchPolicy:
    values = dataclasses.asdict(base)
    if "mode" in table:
        values["mode"] = _typed(table["mode"], str, source, "match.mode")
        if values["mode"] not in MATCH_MODES:
            raise ListcleanError(f"match.mode must be one of {', '.join(MATCH_MODES)}", file=source)
    for key in ("merge", "review"):
        if key in table:
            value = table[key]
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < 1:
                raise ListcleanError(f"match.{key} must be a probability between 0 and 1", file=source)
            values[key] = float(value)
    if "max_block" in table:
        values["max_block"] = _positive_int(table["max_block"], source, "match.max_block")
    for key in ("one_per_source", "source_priority"):
        if key in table:
            items = _typed(table[key], list, source, f"match.{key}")
            values[key] = [_typed(item, str, source, f"match.{key}") for item in items]
    if values["review"] > values["merge"]:
        raise ListcleanError("match.review must not be above match.merge", file=source)
    return MatchPolicy(**values)


def _typed(value: Any, kind: type, source: str, key: str) -> Any:
    if not isinstance(value, kind):
        raise ListcleanError(f"{key} must be a {kind.__name__}", file=source)
    return value


def _positive_int(value: Any, source: str, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ListcleanError(f"{key} must be a positive integer", file=source)
    return value


def _codes(value: Any, source: str, key: str, allow_empty: bool = True) -> list[str]:
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ListcleanError(f"{key} must be a list of rule codes or prefixes", file=source)
    codes = [v.strip().upper() for v in value if v.strip()]
    if not codes and not allow_empty:
        # An empty selection runs no rule and would send everyone, stops included.
        raise ListcleanError(f"{key} is empty: it would run no rule and send everyone; "
                             "name rule codes or prefixes, or ALL", file=source)
    unknown = unknown_selectors(codes)
    if unknown:
        raise ListcleanError(f"{key}: {unknown[0]!r} selects no rule (see `listclean rule`)", file=source)
    return codes


def _severities(table: Any, source: str) -> dict[str, Severity]:
    if not isinstance(table, dict):
        raise ListcleanError("[severity] must be a table of CODE = \"error|warning|info\"", file=source)
    result = {}
    for code, value in table.items():
        if unknown_selectors([code]):
            raise ListcleanError(f"severity: {code!r} selects no rule", file=source)
        try:
            result[code.upper()] = Severity.parse(str(value))
        except ValueError as error:
            raise ListcleanError(f"severity.{code}: {error}", file=source) from None
    return result
