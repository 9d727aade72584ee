"""Plain ``http://`` endpoints in text: configuration, markup, code literals.

An ``http://`` address sends whatever travels to it — records, tokens,
credentials — unencrypted and unauthenticated. Two kinds of ``http://``
strings are never fetched, and are not reported: addresses of the machine
itself (``localhost``, loopback addresses) and XML namespace or schema
identifiers (``xmlns="http://www.w3.org/…"``, ``http://schemas.microsoft.com/…``,
WCF's ``http://tempuri.org/``), which only name a vocabulary.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import NamedTuple
from urllib.parse import urlsplit

from d365lint.patterns import compile_lazily

# Hosts whose http:// URIs name XML namespaces, schemas or vocabularies.
NAMESPACE_HOSTS = frozenset(
    {
        "schemas.microsoft.com",
        "schemas.xmlsoap.org",
        "schemas.openxmlformats.org",
        "schemas.datacontract.org",
        "www.w3.org",
        "w3.org",
        "docs.oasis-open.org",
        "tempuri.org",
        "purl.org",
        "xmlns.com",
        "schema.org",
        "json-schema.org",
        "ns.adobe.com",
        "www.opengis.net",
    }
)
LOCAL_HOSTS = frozenset({"localhost", "0.0.0.0"})

# A URL ends at white space, quotes, markup, brackets or a separator of configuration text.
_HTTP_URL = compile_lazily(r"http://[^\s\"'<>(){}\[\]\\,;|`^]+", re.I)
# Markup that makes the URL which follows a namespace name, not an address.
_NAMESPACE_CONTEXT = compile_lazily(
    r"(?:xmlns(?::[\w.-]+)?|schemaLocation|noNamespaceSchemaLocation|targetNamespace|namespace)\s*=\s*[\"']?\s*$",
    re.I,
)
_TRAILING = ".:!?"


class InsecureUrl(NamedTuple):
    """An ``http://`` address and where it starts in the text it was found in."""

    url: str
    start: int


def host_of(url: str) -> str:
    """The lower-cased host of ``url``, empty when it has none or cannot be read."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def is_exempt_host(host: str) -> bool:
    """Loopback addresses and namespace hosts: an http:// URL to them moves nothing over a network."""
    if host in LOCAL_HOSTS or host.endswith(".localhost") or host in NAMESPACE_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_insecure_url(value: str) -> bool:
    """Whether a whole value (a code literal, an attribute) is an http:// address to another machine."""
    text = value.strip()
    if not text.lower().startswith("http://") or len(text) <= len("http://"):
        return False
    return not is_exempt_host(host_of(text.split()[0]))


def insecure_urls(text: str) -> Iterator[InsecureUrl]:
    """Every http:// address to another machine in free text, namespace declarations left out."""
    for match in _HTTP_URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        if is_exempt_host(host_of(url)) or _NAMESPACE_CONTEXT.search(text[max(0, match.start() - 80) : match.start()]):
            continue
        if host_of(url):
            yield InsecureUrl(url, match.start())
