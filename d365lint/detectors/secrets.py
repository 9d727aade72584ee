"""The credential detector: finds secrets in text, knowing where values sit.

Three signals are combined, as the best secret scanners do, but with
Dataverse knowledge on top:

* the place: a value assigned to a credential-named key (``clientSecret``,
  ``Password=``, ``"apiKey":``, ``<password>``, ``<add key="ApiKey" value=…>``,
  a flow's ``Authorization`` header…);
* well-known token formats (storage account keys, SAS and signed-URL
  signatures, Azure AD client secrets, JWTs, PEM private keys, cloud
  provider and SaaS tokens, Basic credentials, passwords in URLs);
* the value's shape: length, character classes and entropy.

Values that are names or references are never secrets: Dataverse logical
and schema names (``new_password``), setting names (``AppSettings:ApiKey``),
placeholders (``<password>``, ``${API_KEY}``, ``%VAR%``, ``$(Var)``,
``#{Token}#``), flow expressions (``@parameters('key')``), Key Vault
references, GUIDs, subresource-integrity hashes, ``data:`` URIs (inline
images) and empty strings. Names that describe a secret without holding it
(``secretName``, ``tokenEndpoint``, ``passwordPolicy``, ``publicKey``) hold
none. The detector returns offsets into the scanned text; rules turn them
into locations, and :mod:`d365lint.redaction` decides what is shown.
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple, cast

from d365lint.parsing.json_text import JsonTextError, LocatedStr, parse_json, parse_located_json, raw_offset
from d365lint.patterns import compile_lazily

DEFAULT_KEYWORDS = (
    "password",
    "passwd",
    "pwd",
    "passphrase",
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
    "x-functions-key",
    "token",
    "accesstoken",
    "access_token",
    "bearer",
    "privatekey",
    "private_key",
    "authorization",
    "credential",
    "pfx",
)


class Secret(NamedTuple):
    """A secret found in a text: what kind, which key held it, and where."""

    kind: str
    value: str
    start: int
    key: str = ""


def _basic_credentials(value: str) -> bool:
    """Whether a Basic scheme's value decodes to ``user:password`` with a real password."""
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    user, colon, password = decoded.partition(":")
    return bool(colon) and decoded.isprintable() and looks_like_secret("password", password)


def _url_password(value: str) -> bool:
    return looks_like_secret("password", value)


def is_random_token(value: str) -> bool:
    """A bearer token or signature: long, mixed, not a word or an expression."""
    return len(value) >= 16 and shannon_entropy(value) >= 3.5 and any(c.isdigit() for c in value)


class _TokenFormat(NamedTuple):
    """A well-known secret format: its pattern captures the secret itself in group 1."""

    kind: str
    pattern: re.Pattern[str]
    valid: Callable[[str], bool] | None = None


# Well-known formats. Each is specific enough to report wherever it appears.
TOKEN_FORMATS = (
    _TokenFormat("Azure storage account key", compile_lazily(r"AccountKey\s*=\s*([A-Za-z0-9+/]{86}==)", re.I)),
    _TokenFormat("Azure shared access key", compile_lazily(r"SharedAccessKey\s*=\s*([A-Za-z0-9+/]{42,44}=?)", re.I)),
    _TokenFormat("SAS signature", compile_lazily(r"[?&;]sig=([A-Za-z0-9%+/_-]{30,}(?:%3D|=){0,2})", re.I)),
    _TokenFormat(
        "Azure Functions key",
        compile_lazily(r"\.azurewebsites\.net/api/[^\s\"'<>?#]*\?(?:[^\s\"'<>#]*&)?code=([A-Za-z0-9_\-/+=%]{20,})", re.I),
    ),
    _TokenFormat(
        "Azure AD client secret",
        compile_lazily(r"(?<![A-Za-z0-9_~.-])([A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])"),
    ),
    _TokenFormat("JSON Web Token", compile_lazily(r"\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})")),
    _TokenFormat(
        "private key",
        compile_lazily(
            r"(-----BEGIN (?P<type>RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----"
            r"(?:[\s\S]{0,8000}?-----END (?P=type)?PRIVATE KEY(?: BLOCK)?-----)?)"
        ),
    ),
    _TokenFormat("AWS access key id", compile_lazily(r"\b((?:AKIA|ASIA)[0-9A-Z]{16})\b")),
    _TokenFormat("GitHub token", compile_lazily(r"\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{60,})\b")),
    _TokenFormat("GitLab token", compile_lazily(r"\b(glpat-[A-Za-z0-9_-]{20})\b")),
    _TokenFormat("npm token", compile_lazily(r"\b(npm_[A-Za-z0-9]{36})\b")),
    _TokenFormat("Google API key", compile_lazily(r"\b(AIza[0-9A-Za-z_-]{35})\b")),
    _TokenFormat("Google OAuth client secret", compile_lazily(r"\b(GOCSPX-[A-Za-z0-9_-]{28})\b")),
    _TokenFormat("Stripe secret key", compile_lazily(r"\b((?:sk|rk)_live_[0-9A-Za-z]{20,})\b")),
    _TokenFormat("Slack token", compile_lazily(r"\b(xox[abposr]-[0-9A-Za-z-]{10,})\b")),
    _TokenFormat(
        "Slack webhook URL", compile_lazily(r"(https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{20,})")
    ),
    _TokenFormat(
        "Teams webhook URL",
        compile_lazily(r"(https://[a-z0-9.-]+\.webhook\.office\.com/webhookb2/[^\s\"'<>]+/IncomingWebhook/[0-9a-f]{32}/[0-9a-f-]{36})"),
    ),
    _TokenFormat("SendGrid API key", compile_lazily(r"\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})\b")),
    _TokenFormat("Twilio API key", compile_lazily(r"\b(SK[0-9a-f]{32})\b")),
    _TokenFormat("Mailchimp API key", compile_lazily(r"\b([0-9a-f]{32}-us[0-9]{1,2})\b")),
    _TokenFormat("OpenAI API key", compile_lazily(r"\b(sk-(?:proj-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,})\b")),
    _TokenFormat("Meta access token", compile_lazily(r"\b(EAA[A-Za-z0-9]{90,})\b")),
    _TokenFormat("Telegram bot token", compile_lazily(r"\b(\d{8,10}:AA[A-Za-z0-9_-]{33})\b")),
    _TokenFormat("Basic credentials", compile_lazily(r"\bBasic\s+([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])"), _basic_credentials),
    _TokenFormat("bearer token", compile_lazily(r"\bBearer\s+([A-Za-z0-9\-._~+/]{16,}=*)(?![A-Za-z0-9\-._~+/=])"), is_random_token),
    _TokenFormat(
        "password in a URL", compile_lazily(r"\b[a-z][a-z0-9+.-]*://[^/\s:@\"'<>]+:([^/\s:@\"'<>]{3,})@[A-Za-z0-9]", re.I), _url_password
    ),
)

# A key is a whole run of name characters that contains a keyword, taken possessively from where a
# name can start: otherwise a long run (a base64 blob, a repeated word) is retried from every split
# point, which is quadratic.
_QUOTED_KEY_VALUE = r"""(?<![A-Za-z0-9_.\-])["']?(?P<key>(?=[A-Za-z0-9_.\-]*?(?:{keywords}))[A-Za-z0-9_.\-]++)["']?\s*[:=]\s*(?P<quote>["']?)(?P<value>[^"'\s;&,<>{{}}]*+[^"';&,<>{{}}]*?)(?P=quote)(?=[\s;&,}}<>/)\]]|$)"""
_XML_ELEMENT_VALUE = r"""<(?P<key>(?=[A-Za-z0-9_.\-]*?(?:{keywords}))[A-Za-z0-9_.\-]++)>(?P<value>[^<]+)</(?P=key)>"""
# <add key="ApiKey" value="…"/> (app.config), <field name="contoso_password" value="…"/> (configuration data),
# <setting name="Password" serializeAs="String"><value>…</value> (settings files).
_XML_NAMED_VALUE = (
    r"""<[A-Za-z][\w:.-]*\s[^<>]*?\b(?:key|name)\s*=\s*"(?P<key>(?=[^"<>]*?(?:{keywords}))[^"<>]*+)"[^<>]*?"""
    r"""(?:\b(?:value|content)\s*=\s*"(?P<value>[^"<>]*)"|>\s*<value>(?P<element>[^<]*)</value>)"""
)

_DATA_URI = compile_lazily(r"data:[\w.+-]+/[\w.+-]+(?:;[\w-]+=[\w.-]+)*;base64,[A-Za-z0-9+/=\s]+", re.I)

_PLACEHOLDER = compile_lazily(
    r"""^(?:
        <[^>]*> | \$\{[^}]*\} | \{\{.*\}\} | \{[A-Za-z_][\w.:-]*\} | \{\d+\} | %[A-Za-z0-9_]+% | %\([A-Za-z_]+\)s |
        \$\([^)]*\) | \$[A-Za-z_][A-Za-z0-9_]* | \#\{[^}]*\}\#? | __[A-Za-z0-9_]+__ | @\{.*\} | @[A-Za-z]+\(.*\).* |
        @Microsoft\.KeyVault\(.*\) | \[parameters\(.*\)\] | \[variables\(.*\)\] | \*+ | x{3,} | X{3,} | \.{3,} | •+ |
        (?:your|enter|insert|replace)[-_ ]?.* | (?:my|some)[-_ ].* | .*(?:placeholder|changeme|change_me|example|sample|dummy|redacted|fake|todo).*
    )$""",
    re.I | re.X,
)
_EXPRESSION = compile_lazily(r"@\{|\{\{|\$\{|\#\{|\$\(")
_KEY_VAULT_REFERENCE = compile_lazily(r"/subscriptions/[^/]+/resourceGroups/.+/providers/Microsoft\.KeyVault/vaults/", re.I)
_KEY_VAULT_URI = compile_lazily(r"^https://[a-z0-9-]+\.vault\.azure\.net/secrets/", re.I)
_LOGICAL_NAME = compile_lazily(r"^[A-Za-z]{2,8}_[A-Za-z][A-Za-z0-9_]*$")
_GUID = compile_lazily(r"^[{(]?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}[})]?$", re.I)
_INTEGRITY_HASH = compile_lazily(r"^sha(?:1|256|384|512)-[A-Za-z0-9+/=]+$")
_EMAIL = compile_lazily(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_MEDIA_TYPE = compile_lazily(r"^(?:application|text|image|audio|video|multipart|font)/[\w.+-]+$", re.I)
_FILE_NAME = compile_lazily(r"^[\w .\\/:-]*\.(?:pem|pfx|p12|key|crt|cer|json|txt|config|xml|env|ini|ya?ml|js|cs|dll)$", re.I)
# Setting names and paths (AppSettings:ApiKey, Contoso.Integration.Secret, x-api-key, ClientSecret).
_SETTING_PATH = compile_lazily(r"^[A-Za-z_][A-Za-z0-9_-]*(?:[:./\\][A-Za-z_][A-Za-z0-9_-]*)+$")
_WORDS = compile_lazily(r"^[A-Za-z][A-Za-z_-]*$")
_CAMEL_WORDS = compile_lazily(r"^(?:[a-z]+|[A-Z][a-z]{2,})(?:[A-Z][a-z]{2,})+$")
# A site-relative URL whose segments are words (``/Account/Login``,
# ``/forgot-password``); random characters after a slash still count.
_URL_PATH = compile_lazily(r"^(?:/[A-Za-z][a-z0-9_.~-]*)+/?$")
_NOT_SECRET_WORDS = frozenset(
    {"true", "false", "null", "none", "undefined", "required", "optional", "strict", "basic", "bearer", "token",
     "password", "secret", "string", "hidden", "enabled", "disabled", "yes", "no", "default", "empty", "n/a",
     "include", "omit", "same-origin", "securestring", "secureobject", "oauthsetting", "apikey", "api_key"}
)

# A key that names something about a secret, not the secret: secretName,
# keyVaultSecretUri, tokenEndpoint, passwordPolicy, apiKeyHeader, tokenHash...
_METADATA_KEY = compile_lazily(
    r"(name|id|uri|url|endpoint|path|type|ref|reference|field|column|attribute|policy|length|expiry|expires|expiresin|"
    r"expireson|expiration|lifetime|timeout|ttl|header|version|format|mode|provider|store|vault|source|label|hint|prompt|"
    r"hash|checksum|digest|thumbprint|fingerprint|file|filename|location|parameter|param|variable|setting|settings|"
    r"config|configuration|property|message|error|text|description|title|caption|placeholder|tooltip|pattern|regex|"
    r"validator|validation|rule|template|kind|category|scheme|method|scope|scopes|audience|resource|issuer|cache|"
    r"handler|manager|factory|client|count|attempts|date|time|required|enabled|changed|reset|container|claim|flag|"
    r"strength|complexity|placeholder|input|button|control|element|tab|selector|display|visible|visibility|icon|"
    r"status|state|service|request|response|result|callback|event|listener|option|options|helper|generator|"
    r"validity|valid|invalid|mask|masked|encoding|encoded|algorithm|alg|size|bits|index|key)s?$",
    re.I,
)
# Keys that end in "key" are names unless the "key" is the credential: apiKey, accessKey, storage account key...
_KEY_SUFFIX_CREDENTIALS = compile_lazily(
    r"(?:apikey|api_key|api-key|accesskey|access_key|accountkey|sharedaccesskey|subscriptionkey|subscription-key|"
    r"privatekey|private_key|secretkey|secret_key|secret-key|signingkey|masterkey|functionkey|functions-key|hostkey|"
    r"encryptionkey|authkey|servicekey|storagekey)$",
    re.I,
)
_NOT_CREDENTIAL_PREFIX = compile_lazily(
    r"^(?:is|has|use|uses|show|hide|enable|allow|require|requires|max|min|get|on|validate|forgot|should|can|must)(?=[A-Z_-])"
)
_PASSWORD_WORDS = ("password", "passwd", "pwd", "passphrase")


_SEPARATORS = compile_lazily(r"[^a-z0-9]")


@functools.lru_cache(maxsize=16_384)
def _normalized(name: str) -> str:
    """``name`` in lower case without separators; kept, as flows repeat the same few keys 100,000s of times."""
    return _SEPARATORS.sub("", name.lower())


_NORMALIZED_KEYWORDS = tuple(dict.fromkeys(_normalized(keyword) for keyword in DEFAULT_KEYWORDS))


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
        or bool(_EXPRESSION.search(stripped))
        or bool(_KEY_VAULT_REFERENCE.search(stripped))
        or bool(_KEY_VAULT_URI.match(stripped))
    )


def _mentions_keyword(name: str, extra_keywords: Iterable[str] = ()) -> bool:
    normalized = _normalized(name)
    return _mentions_default_keyword(normalized) or any(
        _normalized(keyword) in normalized for keyword in extra_keywords if _normalized(keyword)
    )


@functools.lru_cache(maxsize=16_384)
def _mentions_default_keyword(normalized: str) -> bool:
    return any(keyword in normalized for keyword in _NORMALIZED_KEYWORDS)


def is_credential_name(name: str, extra_keywords: Iterable[str] = ()) -> bool:
    """Whether ``name`` (a key, variable, parameter, column or header) names a credential itself.

    ``clientSecret``, ``API_KEY``, ``Ocp-Apim-Subscription-Key`` and
    ``contoso_password`` do; ``secretName``, ``tokenEndpoint``,
    ``publicKey``, ``isPasswordRequired`` and ``passwordKey`` name
    something about a credential and do not.
    """
    if name.strip().startswith("."):
        return False  # a file extension (".pfx"), not a name
    bare = name.strip().strip("\"'@$_").rsplit(".", 1)[-1]
    if not bare or not _mentions_keyword(bare, extra_keywords):
        return False
    normalized = _normalized(bare)
    if "public" in normalized or "publishable" in normalized or _NOT_CREDENTIAL_PREFIX.match(bare):
        return False
    metadata = _METADATA_KEY.search(bare)
    return not metadata or (metadata.group(1).lower() == "key" and bool(_KEY_SUFFIX_CREDENTIALS.search(bare)))


def _is_name_like(value: str) -> bool:
    """Setting names, identifiers and paths: what code and configuration use to *name* a credential."""
    has_digit = any(c.isdigit() for c in value)
    if _SETTING_PATH.match(value) and (not has_digit or _mentions_keyword(value)):
        return True
    if _WORDS.match(value) and (_mentions_keyword(value) or _CAMEL_WORDS.match(value)):
        return True
    # logical names are lower case whatever their length; schema names (contoso_PartnerApiKey) are words
    return bool(_LOGICAL_NAME.match(value) and (value.islower() or shannon_entropy(value) < 4.0))


def looks_like_secret(key: str, value: str) -> bool:
    """Whether ``value``, held by a credential-named ``key``, is plausibly a real secret."""
    stripped = value.strip()
    if key and not is_credential_name(key) and _mentions_keyword(key):
        return False
    if is_reference(stripped) or stripped.lower() in _NOT_SECRET_WORDS:
        return False
    if any(c.isspace() for c in stripped):
        return False  # prose and labels: "Enter the password", "Invalid token"
    if _is_name_like(stripped) or _GUID.match(stripped) or _INTEGRITY_HASH.match(stripped):
        return False
    if stripped.isdigit() or _EMAIL.match(stripped) or _FILE_NAME.match(stripped) or _URL_PATH.match(stripped):
        return False
    if _MEDIA_TYPE.match(stripped):
        return False
    if stripped.lower().startswith(("http://", "https://", "data:")) and "@" not in stripped:
        return False
    if any(word in _normalized(key) for word in _PASSWORD_WORDS):
        # a password has a digit or a symbol; letters alone are labels ("Passwort", "Contraseña")
        return len(stripped) >= 6 and len(set(stripped)) >= 4 and not stripped.isalpha()
    has_digit = any(c.isdigit() for c in stripped)
    return len(stripped) >= 12 and shannon_entropy(stripped) >= 3.0 and (has_digit or len(stripped) >= 20)


def _keyword_patterns(keywords: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    alternatives = "|".join(sorted({re.escape(k) for k in keywords}, key=len, reverse=True))
    return (
        compile_lazily(_QUOTED_KEY_VALUE.format(keywords=alternatives), re.I),
        compile_lazily(_XML_ELEMENT_VALUE.format(keywords=alternatives), re.I),
        compile_lazily(_XML_NAMED_VALUE.format(keywords=alternatives), re.I),
    )


_DEFAULT_PATTERNS = _keyword_patterns(DEFAULT_KEYWORDS)


def _without_data_uris(text: str) -> str:
    """``text`` with inline ``data:`` payloads (images, fonts) blanked, offsets kept."""
    if "base64," not in text:
        return text
    return _DATA_URI.sub(lambda match: " " * len(match.group(0)), text)


def _format_hits(text: str) -> Iterator[Secret]:
    for token in TOKEN_FORMATS:
        for match in token.pattern.finditer(text):
            value = match.group(1)
            if token.valid is None or token.valid(value):
                yield Secret(token.kind, value, match.start(1))


def _scheme_stripped(secret: Secret) -> Secret | None:
    """An ``Authorization`` value without its scheme (``Bearer …``, ``Basic …``); None when nothing is left."""
    scheme, _, credential = secret.value.partition(" ")
    if not credential or scheme.lower() not in ("bearer", "basic", "token", "apikey", "sharedaccesssignature", "key"):
        return secret
    credential = credential.strip()
    basic = scheme.lower() == "basic"
    if not (_basic_credentials(credential) if basic else looks_like_secret("token", credential)):
        return None
    kind = "Basic credentials" if basic else "token"
    return Secret(kind, credential, secret.start + secret.value.index(credential), secret.key)


def scan_text(text: str, extra_keywords: Iterable[str] = ()) -> list[Secret]:
    """Every secret in ``text``, once each, in order of position.

    Works on JSON, key=value lists, connection strings, query strings, XML
    fragments and plain text alike, because it looks for the shapes they
    share rather than parsing each.
    """
    extra = tuple(extra_keywords)
    if len(text) <= _REMEMBERED_LENGTH:
        return list(_scan_short(text, extra))
    return _scan(text, extra)


_REMEMBERED_LENGTH = 256
"""Texts up to this long are scanned once per process: code repeats its short literals.

The scripts of a solution say the same strings again and again (on M, 31,094
literals are 4,612 distinct ones), and each scan runs some thirty patterns.
"""


@functools.lru_cache(maxsize=16_384)
def _scan_short(text: str, extra: tuple[str, ...]) -> tuple[Secret, ...]:
    return tuple(_scan(text, extra))


def _scan(text: str, extra: tuple[str, ...]) -> list[Secret]:
    patterns = _keyword_patterns(DEFAULT_KEYWORDS + extra) if extra else _DEFAULT_PATTERNS
    visible = _without_data_uris(text)
    found: dict[int, Secret] = {}
    for secret in _format_hits(visible):
        if not _overlaps(secret, found.values()):
            found[secret.start] = secret
    for pattern in patterns:
        for match in pattern.finditer(visible):
            group = "element" if match.groupdict().get("element") is not None else "value"
            key, value, start = match.group("key"), match.group(group), match.start(group)
            if value is None:
                continue
            secret = _keyed_secret(key, value, start, extra)
            if secret is not None and not _overlaps(Secret("", value, start), found.values()):
                found[secret.start] = secret
    return [found[start] for start in sorted(found)]


def _overlaps(secret: Secret, found: Iterable[Secret]) -> bool:
    end = secret.start + max(len(secret.value), 1)
    return any(other.start < end and secret.start < other.start + max(len(other.value), 1) for other in found)


def _keyed_secret(key: str, value: str, start: int, extra: tuple[str, ...]) -> Secret | None:
    """The secret a credential-named ``key`` holds in ``value``, if it holds one."""
    if not is_credential_name(key, extra):
        return None
    leading = len(value) - len(value.lstrip())
    secret = Secret(_kind_of_key(key), value.strip(), start + leading, key)
    stripped = _scheme_stripped(secret)
    if stripped is not secret:
        return stripped
    return secret if looks_like_secret(key, value) else None


def _kind_of_key(key: str) -> str:
    lowered = _normalized(key)
    if "clientsecret" in lowered:
        return "client secret"
    if any(word in lowered for word in _PASSWORD_WORDS):
        return "password"
    if "token" in lowered or "bearer" in lowered or "authorization" in lowered:
        return "token"
    if "key" in lowered or "pfx" in lowered:
        return "key"
    return "secret"


def named_secret(name: str, value: str, extra_keywords: Iterable[str] = ()) -> Secret | None:
    """``value`` as a whole, when its ``name`` is credential-like and the value looks like a secret.

    Settings keep the key outside the value (an environment variable's
    schema name, a site setting's ``Authentication/OpenAuth/Facebook/AppSecret``,
    a variable a literal is assigned to), so the key-value shapes of
    :func:`scan_text` cannot see them.
    """
    if not is_credential_name(name, extra_keywords):
        return None
    return _keyed_secret(name, value, 0, tuple(extra_keywords))


def literal_secrets(value: str, name: str = "", extra_keywords: Iterable[str] = ()) -> list[Secret]:
    """Secrets in a string literal of code, given the name it is assigned to (if any).

    A literal is data: connection strings, URLs and token formats inside it
    count wherever it is; the whole literal counts when the variable, field,
    property, parameter or key that receives it names a credential.
    """
    inside = scan_text(value, extra_keywords)
    if inside:
        return inside
    whole = named_secret(name, value, extra_keywords) if name else None
    return [whole] if whole else []


def scan_value(text: str, name: str = "", extra_keywords: Iterable[str] = ()) -> list[Secret]:
    """Secrets in a configuration value of any format: JSON, XML, key=value or plain text.

    ``name`` is the setting that holds the value (an environment variable's
    schema name): a value that is the secret as a whole counts when the name
    is a credential's.
    """
    stripped = text.strip()
    found = scan_json(text, extra_keywords) if stripped[:1] in "{[" else scan_text(text, extra_keywords)
    if found or not name:
        return found
    whole = named_secret(name, text, extra_keywords)
    return [whole] if whole else []


# ---------------------------------------------------------------- JSON

_VALUE_KEYS = frozenset({"value", "defaultvalue", "default", "content", "xmsapimtemplateparametervalue"})
_NAME_KEYS = ("name", "key", "header", "headername", "xmsapimtemplateparametername", "parametername")
_AUTHENTICATION_TYPES = frozenset({"raw"})


def scan_json(text: str, extra_keywords: Iterable[str] = ()) -> list[Secret]:
    """Secrets in a JSON document, judged by the key that holds each string.

    Flows, connector definitions and JSON settings put a secret's name in
    different places: the key itself (``"client_secret": …``), a sibling
    (``{"name": "x-api-key", "value": …}``, a connector policy's
    ``…Parameter.name``/``…Parameter.value``), or the parameter that owns a
    ``defaultValue``. Text that is not JSON is scanned as text.
    """
    extra = tuple(extra_keywords)
    try:
        document = parse_json(text)
    except JsonTextError:
        return scan_text(text, extra)
    if not any(_json_value_secrets(name, value, extra) for name, value in _json_strings(document, "", None, "")):
        return []  # most documents hold none: only one that does is parsed again for its values' places
    try:
        document = parse_located_json(text)
    except JsonTextError:  # nested deeper than the located parser follows
        return scan_text(text, extra)
    found: dict[int, Secret] = {}
    for name, value in _json_strings(document, "", None, ""):
        for secret in _json_value_secrets(name, value, extra):
            start = raw_offset(text, cast(LocatedStr, value), secret.start)  # every value of a located document is one
            found.setdefault(start, secret._replace(start=start))
    return [found[start] for start in sorted(found)]


def _json_strings(node: object, key: str, parent: dict | None, owner: str) -> Iterator[tuple[str, str]]:
    """Every string value of the document with the name that describes it (a :class:`LocatedStr` if parsed with places)."""
    if isinstance(node, dict):
        for child_key, child in node.items():
            yield from _json_strings(child, str(child_key), node, key)
    elif isinstance(node, list):
        for child in node:
            yield from _json_strings(child, key, None, owner)
    elif isinstance(node, str):
        yield _json_name(key, parent, owner), node


def _json_name(key: str, parent: dict | None, owner: str) -> str:
    normalized = _normalized(key)
    if parent is not None and normalized in _VALUE_KEYS:
        sibling = next((v for k, v in parent.items() if _normalized(str(k)) in _NAME_KEYS and isinstance(v, str)), None)
        if sibling:
            return sibling
        authentication = next((v for k, v in parent.items() if _normalized(str(k)) == "type" and isinstance(v, str)), "")
        return "authorization" if authentication.lower() in _AUTHENTICATION_TYPES else owner
    return key


def _json_value_secrets(name: str, value: str, extra: tuple[str, ...]) -> list[Secret]:
    inside = scan_text(value, extra)
    if inside:
        return inside
    whole = named_secret(name, value, extra) if name else None
    return [whole] if whole else []


def scan_code(text: str, extra_keywords: Iterable[str] = ()) -> list[Secret]:
    """Secrets in source code read as text (site templates, Liquid): :func:`scan_text` without unquoted values.

    In code an unquoted value is an expression (``token: captchaToken``,
    ``key = getKey()``), never a literal secret; well-known token formats
    count wherever they appear.
    """
    return [
        secret
        for secret in scan_text(text, extra_keywords)
        if not secret.key or (secret.start > 0 and text[secret.start - 1] in "\"'`")
    ]


def basic_pair_secret(value: str) -> Secret | None:
    """The password of a ``user:password`` literal that code turns into Basic credentials."""
    user, colon, password = value.partition(":")
    if not colon or not user or ":" in password or any(c.isspace() for c in value):
        return None
    if not looks_like_secret("password", password):
        return None
    return Secret("password of Basic credentials", password, len(user) + 1)


# ---------------------------------------------------------------- signing in with a password

_AUTH_TYPE = compile_lazily(r"\bAuthType\s*=\s*[\"']?(Office365|AD|OAuth)\b", re.I)
_PASSWORD_SETTING = compile_lazily(r"(?:^|[;\"'\s])(?:Password|Pwd)\s*=", re.I)
_GRANT_TYPE_PASSWORD = compile_lazily(r"\bgrant_type[\"']?\s*[:=]\s*[\"']?password\b", re.I)
_SEGMENT_END = compile_lazily(r"[\"'\n<>`]")


PASSWORD_GRANT = "an OAuth password grant (grant_type=password)"


class PasswordSignIn(NamedTuple):
    """A place where code or configuration signs in with a user name and password."""

    kind: str
    start: int


def password_sign_ins(text: str) -> list[PasswordSignIn]:
    """Connection strings that sign in to Dataverse as a user, and OAuth password grants, in ``text``.

    ``AuthType=Office365``, ``AuthType=AD`` and ``AuthType=OAuth`` with
    ``Password=`` sign in as a user (for OAuth, the resource-owner password
    flow) instead of as an application with a certificate or client secret;
    ``grant_type=password`` is the same flow called directly.
    """
    lowered = text.lower()  # each pattern's word is looked for first: the patterns read ~50M characters/s, this ~600M
    found = []
    for match in _AUTH_TYPE.finditer(text) if "authtype" in lowered else ():
        segment = _connection_segment(text, match.start())
        if _PASSWORD_SETTING.search(segment):
            found.append(PasswordSignIn(f"a connection string with AuthType={match.group(1)} and a user's password", match.start()))
    if "grant_type" in lowered:
        found.extend(PasswordSignIn(PASSWORD_GRANT, m.start()) for m in _GRANT_TYPE_PASSWORD.finditer(text))
    return sorted(found, key=lambda sign_in: sign_in.start)


def _connection_segment(text: str, position: int) -> str:
    """The connection string around ``position``: up to the quotes, line ends or tags around it."""
    before = max((m.end() for m in _SEGMENT_END.finditer(text, max(0, position - 1000), position)), default=max(0, position - 1000))
    after = _SEGMENT_END.search(text, position)
    return text[before : after.start() if after else len(text)]
