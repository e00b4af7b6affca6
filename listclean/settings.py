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
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from listclean.checks.registry import Severity, unknown_selectors
from listclean.errors import ListcleanError

CHANNELS = ("email", "sms")
CONSENT_MODELS = ("opt-in", "opt-out")


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
    consent_model: dict[str, str] = field(default_factory=lambda: {"email": "opt-out", "sms": "opt-in"})
    max_inactive_days: int = 730
    max_shared_identifier: int = 25
    extra_role_accounts: list[str] = field(default_factory=list)


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
    dns: bool = False                     # ask DNS whether email domains take mail
    nameservers: list[str] = field(default_factory=list)
    dns_timeout: float = 2.0
    dns_deadline: float = 120.0
    dns_concurrency: int = 100
    dns_cache: Path | None = None         # None: the user's cache folder


# --------------------------------------------------------------------- policies

_POLICY_KEYS = {
    "policy": {"name", "description", "extends"},
    "rules": {"select", "ignore", "extend-select"},
    "severity": None,                      # any rule code
    "consent": {"email", "sms"},
    "stale": {"max_inactive_days"},
    "dedupe": {"max_shared_identifier"},
    "email": {"extra_role_accounts"},
}


def policy_names() -> list[str]:
    return sorted(p.name[:-5] for p in (resources.files("listclean") / "policies").iterdir()
                  if p.name.endswith(".toml"))


def _policy_path(name_or_path: str, relative_to: Path | None = None) -> tuple[str, bytes]:
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
    source, raw = _policy_path(name_or_path)
    if source in _seen:
        raise ListcleanError(f"policy extends itself in a loop: {' → '.join(_seen + (source,))}", file=source)
    data = _parse_toml(raw, source)
    _check_keys(data, _POLICY_KEYS, source)
    parent_name = data.get("policy", {}).get("extends")
    policy = load_policy(parent_name, _seen + (source,)) if parent_name else Policy()
    policy = dataclasses.replace(policy, severity=dict(policy.severity), consent_model=dict(policy.consent_model))
    policy.source = source
    policy.sha256 = hashlib.sha256(raw).hexdigest()
    head = data.get("policy", {})
    policy.name = _typed(head.get("name", Path(source).stem), str, source, "policy.name")
    policy.description = _typed(head.get("description", ""), str, source, "policy.description")
    rules = data.get("rules", {})
    if "select" in rules:
        policy.select = _codes(rules["select"], source, "rules.select")
    policy.select = policy.select + _codes(rules.get("extend-select", []), source, "rules.extend-select")
    policy.ignore = policy.ignore + _codes(rules.get("ignore", []), source, "rules.ignore")
    policy.severity.update(_severities(data.get("severity", {}), source))
    for channel, table in data.get("consent", {}).items():
        model = _typed(table.get("model") if isinstance(table, dict) else None, str, source, f"consent.{channel}.model")
        if model not in CONSENT_MODELS:
            raise ListcleanError(f"consent.{channel}.model must be one of {', '.join(CONSENT_MODELS)}", file=source)
        extra = set(table) - {"model"}
        if extra:
            raise ListcleanError(f"unknown key consent.{channel}.{sorted(extra)[0]}", file=source)
        policy.consent_model[channel] = model
    stale = data.get("stale", {})
    if "max_inactive_days" in stale:
        policy.max_inactive_days = _positive_int(stale["max_inactive_days"], source, "stale.max_inactive_days")
    dedupe = data.get("dedupe", {})
    if "max_shared_identifier" in dedupe:
        policy.max_shared_identifier = _positive_int(dedupe["max_shared_identifier"], source,
                                                     "dedupe.max_shared_identifier")
    roles = data.get("email", {}).get("extra_role_accounts", [])
    policy.extra_role_accounts = policy.extra_role_accounts + [
        _typed(r, str, source, "email.extra_role_accounts").lower() for r in roles]
    return policy


# --------------------------------------------------------------------- project settings

_PROJECT_KEYS = {"policy", "channel", "default-region", "date-format", "select", "ignore", "severity",
                 "fail-on", "map", "encoding", "dns", "nameservers", "dns-timeout", "dns-deadline",
                 "dns-concurrency", "cache"}


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


def build_settings(*, cwd: Path | None = None, policy: str | None = None, **cli: Any) -> Settings:
    """Merge the layers. ``cli`` holds only the flags the user actually gave (not None)."""
    project_file, project = find_project_settings(cwd or Path.cwd()) or (None, {})
    if project_file:
        _check_keys({"": project}, {"": _PROJECT_KEYS}, project_file, flat=True)
    settings = Settings(settings_file=project_file)
    policy_name = policy or project.get("policy") or "default"
    if project_file and not policy and project.get("policy", "").endswith(".toml"):
        policy_name = str(Path(project_file).parent / project["policy"])
    settings.policy = load_policy(policy_name)
    where = project_file or "settings"
    if "select" in project:
        settings.select = _codes(project["select"], where, "select")
    settings.ignore = _codes(project.get("ignore", []), where, "ignore")
    settings.severity = _severities(project.get("severity", {}), where)
    settings.channel = project.get("channel")
    settings.default_region = project.get("default-region")
    settings.date_format = project.get("date-format")
    settings.fail_on = project.get("fail-on", "error")
    settings.column_map = {k: str(v) for k, v in project.get("map", {}).items()}
    settings.encoding = project.get("encoding")
    settings.dns = bool(project.get("dns", False))
    settings.nameservers = [str(n) for n in project.get("nameservers", [])]
    settings.dns_timeout = float(project.get("dns-timeout", settings.dns_timeout))
    settings.dns_deadline = float(project.get("dns-deadline", settings.dns_deadline))
    settings.dns_concurrency = int(project.get("dns-concurrency", settings.dns_concurrency))
    if "cache" in project:
        settings.dns_cache = Path(project_file).parent / project["cache"]
    for key, value in cli.items():
        if value is None:
            continue
        if key == "select":
            settings.select = _codes(value, "--select", "select")
        elif key == "ignore":
            settings.ignore = settings.ignore + _codes(value, "--ignore", "ignore")
        elif key == "column_map":
            settings.column_map.update(value)
        else:
            setattr(settings, key, value)
    _validate(settings)
    return settings


def _validate(settings: Settings) -> None:
    if settings.channel is not None and settings.channel not in CHANNELS:
        raise ListcleanError(f"unknown channel {settings.channel!r} (use {' or '.join(CHANNELS)})")
    if settings.fail_on not in ("error", "warning", "info", "never"):
        raise ListcleanError(f"--fail-on must be error, warning, info or never, not {settings.fail_on!r}")
    if settings.default_region is not None:
        import phonenumbers

        region = settings.default_region.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ListcleanError(f"unknown --default-region {settings.default_region!r} (use an ISO code like ES)")
        settings.default_region = region
    if settings.dns_timeout <= 0 or settings.dns_deadline <= 0 or settings.dns_concurrency <= 0:
        raise ListcleanError("--dns-timeout, --dns-deadline and --dns-concurrency must be positive")
    if isinstance(settings.as_of, str):
        try:
            settings.as_of = dt.date.fromisoformat(settings.as_of)
        except ValueError:
            raise ListcleanError(f"--as-of must be a date like 2026-11-01, not {settings.as_of!r}") from None


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
            if key not in keys and not (section == "consent"):
                label = key if flat else f"{section}.{key}"
                raise ListcleanError(f"unknown key {label!r}", file=source)


def _typed(value: Any, kind: type, source: str, key: str) -> Any:
    if not isinstance(value, kind):
        raise ListcleanError(f"{key} must be a {kind.__name__}", file=source)
    return value


def _positive_int(value: Any, source: str, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ListcleanError(f"{key} must be a positive integer", file=source)
    return value


def _codes(value: Any, source: str, key: str) -> list[str]:
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ListcleanError(f"{key} must be a list of rule codes or prefixes", file=source)
    codes = [v.strip().upper() for v in value]
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
