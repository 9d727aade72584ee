"""The credential detector: finds secrets in text, knowing where values sit.

Three signals are combined, as the best secret scanners do, but with
Dataverse knowledge on top:

* the place: a value assigned to a credential-named key (``clientSecret``,
  ``Password=``, ``"apiKey":``, ``<password>``…);
* well-known token formats (storage account keys, SAS signatures, JWTs,
  PEM private keys, cloud provider and SaaS tokens);
* the value's shape: length, character classes and entropy.

Values that are names or references are never secrets: Dataverse logical
and schema names (``new_password``), placeholders (``<password>``,
``${API_KEY}``, ``%VAR%``, ``$(Var)``), Key Vault references and empty
strings. The detector returns offsets into the scanned text; rules turn
them into locations, and :mod:`d365lint.redaction` decides what is shown.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_KEYWORDS = (
    "password",
    "passwd",
    "pwd",
    "secret",
    "clientsecret",
    "client_secret",
    "apikey",
    "api_key",
    "api-key",
    "accesskey",
    "access_key",
    "accountkey",
    "sharedaccesskey",
    "subscriptionkey",
    "subscription-key",
    "ocp-apim-subscription-key",
    "token",
    "accesstoken",
    "access_token",
    "bearer",
    "privatekey",
    "private_key",
    "authorization",
)


@dataclass(frozen=True, slots=True)
class Secret:
    """A secret found in a text: what kind, which key held it, and where."""

    kind: str
    value: str
    start: int
    key: str = ""


@dataclass(frozen=True, slots=True)
class _TokenFormat:
    kind: str
    pattern: re.Pattern[str]
    group: int = 0


# Well-known formats. Each is specific enough to report wherever it appears.
TOKEN_FORMATS = (
    _TokenFormat("Azure storage account key", re.compile(r"AccountKey\s*=\s*([A-Za-z0-9+/]{86}==)", re.I), 1),
    _TokenFormat(
        "Azure shared access key",
        re.compile(r"SharedAccessKey\s*=\s*([A-Za-z0-9+/]{42,44}=?)", re.I),
        1,
    ),
    _TokenFormat("SAS signature", re.compile(r"[?&;]sig=([A-Za-z0-9%+/]{30,}(?:%3D|=){0,2})", re.I), 1),
    _TokenFormat("Azure AD client secret", re.compile(r"(?<![A-Za-z0-9_~.-])([A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])"), 1),
    _TokenFormat("JSON Web Token", re.compile(r"\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})"), 1),
    _TokenFormat("private key", re.compile(r"(-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----)"), 1),
    _TokenFormat("AWS access key id", re.compile(r"\b((?:AKIA|ASIA)[0-9A-Z]{16})\b"), 1),
    _TokenFormat("GitHub token", re.compile(r"\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{60,})\b"), 1),
    _TokenFormat("Google API key", re.compile(r"\b(AIza[0-9A-Za-z_-]{35})\b"), 1),
    _TokenFormat("Stripe secret key", re.compile(r"\b((?:sk|rk)_live_[0-9A-Za-z]{20,})\b"), 1),
    _TokenFormat("Slack token", re.compile(r"\b(xox[abposr]-[0-9A-Za-z-]{10,})\b"), 1),
)

_QUOTED_KEY_VALUE = r"""["']?(?P<key>[A-Za-z0-9_.\-]*(?:{keywords})[A-Za-z0-9_.\-]*)["']?\s*[:=]\s*(?P<quote>["']?)(?P<value>[^"'\s;&,<>{{}}]*[^"';&,<>{{}}]*?)(?P=quote)(?=[\s;&,}}<]|$)"""
_XML_ELEMENT_VALUE = r"""<(?P<key>[A-Za-z0-9_.\-]*(?:{keywords})[A-Za-z0-9_.\-]*)>(?P<value>[^<]+)</(?P=key)>"""

_PLACEHOLDER = re.compile(
    r"""^(?:
        <[^>]*> | \$\{[^}]*\} | \{\{[^}]*\}\} | %[A-Za-z0-9_]+% | \$\([^)]*\) | \$[A-Za-z_][A-Za-z0-9_]* |
        @Microsoft\.KeyVault\(.*\) | \[parameters\(.*\)\] | \*+ | x{3,} | X{3,} | \.{3,} |
        (?:your|my|the|some|enter|insert|replace)[-_ ]?.* | .*(?:placeholder|changeme|example|sample|dummy|redacted).*
    )$""",
    re.I | re.X,
)
_KEY_VAULT_REFERENCE = re.compile(r"/subscriptions/[^/]+/resourceGroups/.+/providers/Microsoft\.KeyVault/vaults/", re.I)
_KEY_VAULT_URI = re.compile(r"^https://[a-z0-9-]+\.vault\.azure\.net/secrets/", re.I)
_LOGICAL_NAME = re.compile(r"^[A-Za-z]{2,8}_[A-Za-z][A-Za-z0-9_]*$")
_NOT_SECRET_WORDS = frozenset(
    {"true", "false", "null", "none", "undefined", "required", "optional", "strict", "basic", "bearer", "token",
     "password", "secret", "string", "hidden", "enabled", "disabled", "yes", "no", "default", "empty", "n/a"}
)


def shannon_entropy(value: str) -> float:
    """Bits of entropy per character of ``value``."""
    if not value:
        return 0.0
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def is_reference(value: str) -> bool:
    """True for values that point at a secret instead of being one."""
    stripped = value.strip()
    return (
        not stripped
        or bool(_PLACEHOLDER.match(stripped))
        or bool(_KEY_VAULT_REFERENCE.search(stripped))
        or bool(_KEY_VAULT_URI.match(stripped))
    )


# A key that names something about a secret, not the secret: secretName,
# keyVaultSecretUri, tokenEndpoint, passwordPolicy, apiKeyHeader...
_METADATA_KEY = re.compile(
    r"(name|id|uri|url|endpoint|path|type|ref|reference|field|column|attribute|policy|length|expiry|expires|header|"
    r"version|format|mode|provider|store|source|label|hint|prompt)s?$",
    re.I,
)


# A site-relative URL whose segments are words (``/Account/Login``,
# ``/forgot-password``); random characters after a slash still count.
_URL_PATH = re.compile(r"^(?:/[A-Za-z][a-z0-9_.~-]*)+/?$")


def looks_like_secret(key: str, value: str) -> bool:
    """Whether ``value``, held by a credential-named ``key``, is plausibly a real secret."""
    stripped = value.strip()
    if _METADATA_KEY.search(key.strip("\"'")):
        return False
    if is_reference(stripped) or stripped.lower() in _NOT_SECRET_WORDS:
        return False
    if _LOGICAL_NAME.match(stripped) and shannon_entropy(stripped) < 4.0:
        return False
    if " " in stripped and len(stripped.split()) > 2:
        return False  # prose: "Enter the password of the service account"
    if stripped.lower().startswith(("http://", "https://")) and "@" not in stripped:
        return False
    if _URL_PATH.match(stripped):
        return False  # a route: '/account/login/forgotpassword': '/forgot-password'
    lowered_key = key.lower()
    if any(word in lowered_key for word in ("password", "passwd", "pwd")):
        return len(stripped) >= 6 and len(set(stripped)) >= 4
    return len(stripped) >= 12 and shannon_entropy(stripped) >= 3.0


def _keyword_patterns(keywords: Iterable[str]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    alternatives = "|".join(sorted({re.escape(k) for k in keywords}, key=len, reverse=True))
    return (
        re.compile(_QUOTED_KEY_VALUE.format(keywords=alternatives), re.I),
        re.compile(_XML_ELEMENT_VALUE.format(keywords=alternatives), re.I),
    )


_DEFAULT_PATTERNS = _keyword_patterns(DEFAULT_KEYWORDS)


def scan_text(text: str, extra_keywords: Iterable[str] = ()) -> list[Secret]:
    """Every secret in ``text``, once each, in order of position.

    Works on JSON, key=value lists, connection strings, query strings, XML
    fragments and plain text alike, because it looks for the shapes they
    share rather than parsing each.
    """
    extra = tuple(extra_keywords)
    patterns = _keyword_patterns(DEFAULT_KEYWORDS + extra) if extra else _DEFAULT_PATTERNS
    found: dict[int, Secret] = {}
    for token in TOKEN_FORMATS:
        for match in token.pattern.finditer(text):
            start = match.start(token.group)
            found.setdefault(start, Secret(token.kind, match.group(token.group), start))
    for pattern in patterns:
        for match in pattern.finditer(text):
            key, value = match.group("key"), match.group("value")
            start = match.start("value")
            if start in found or any(s.start <= start < s.start + len(s.value) for s in found.values()):
                continue
            if looks_like_secret(key, value):
                found[start] = Secret(_kind_of_key(key), value.strip(), start, key)
    return [found[start] for start in sorted(found)]


def _kind_of_key(key: str) -> str:
    lowered = key.lower().replace("_", "").replace("-", "")
    if "clientsecret" in lowered:
        return "client secret"
    if any(word in lowered for word in ("password", "passwd", "pwd")):
        return "password"
    if "token" in lowered or "bearer" in lowered or "authorization" in lowered:
        return "token"
    if "key" in lowered:
        return "key"
    return "secret"


def named_secret(name: str, value: str) -> Secret | None:
    """``value`` as a whole, when its ``name`` is credential-like and the value looks like a secret.

    Settings keep the key outside the value (an environment variable's
    schema name, a site setting's ``Authentication/OpenAuth/Facebook/AppSecret``),
    so the key-value shapes of :func:`scan_text` cannot see them.
    """
    lowered = name.lower()
    if not any(keyword in lowered for keyword in DEFAULT_KEYWORDS) or not looks_like_secret(name, value):
        return None
    kind = _kind_of_key(name)
    return Secret(kind, value.strip(), len(value) - len(value.lstrip()), name)


def scan_code(text: str, extra_keywords: Iterable[str] = ()) -> list[Secret]:
    """Secrets in source code (scripts, HTML, Liquid): :func:`scan_text` without unquoted values.

    In code an unquoted value is an expression (``token: captchaToken``,
    ``key = getKey()``), never a literal secret; well-known token formats
    count wherever they appear.
    """
    return [
        secret
        for secret in scan_text(text, extra_keywords)
        if not secret.key or (secret.start > 0 and text[secret.start - 1] in "\"'`")
    ]
