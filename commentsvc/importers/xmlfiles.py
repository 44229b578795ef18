"""Reading an export's XML safely, and forgiving the mistakes real exports make.

defusedxml refuses entity declarations (``<!ENTITY ...>``): they are how a file reads
local files or fetches URLs (XXE) and how a few hundred bytes expand to gigabytes
(billion laughs). Comment exports never need them. Nothing is fetched from the network.

Real WordPress exports often use a prefix (``wp:``, ``dc:``, ``content:``) without
declaring it (plugins that write WXR by hand, files cut down for size). Such a file is
not well-formed XML, but what it means is clear: the missing declarations of known
prefixes are added to the root element and it is read again.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException, EntitiesForbidden

from commentsvc.web.errors import BadRequest

WXR_NAMESPACE = "http://wordpress.org/export/{version}/"
KNOWN_PREFIXES = {
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "excerpt": "http://wordpress.org/export/{version}/excerpt/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "atom": "http://www.w3.org/2005/Atom",
    "wp": WXR_NAMESPACE,
    "dsq": "http://disqus.com/disqus-internals",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
_WXR_VERSION = re.compile(rb"<wp:wxr_version>\s*(1\.[0-2])\s*<")
_ROOT_TAG = re.compile(rb"<(?![?!])[\w.:-]+")


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def children(element: Element, name: str) -> list[Element]:
    """The children called ``name``, whatever their namespace (WXR 1.0, 1.1, 1.2,
    http:// or https://: the same element)."""
    return [child for child in element if local_name(child.tag) == name]


def child_text(element: Element, name: str) -> str:
    for child in element:
        if local_name(child.tag) == name:
            return (child.text or "").strip()
    return ""


def attribute(element: Element | None, name: str) -> str:
    """An attribute by its local name (``dsq:id`` as ``id``)."""
    if element is None:
        return ""
    for key, value in element.attrib.items():
        if local_name(key) == name:
            return value.strip()
    return ""


def _declare_missing_prefixes(data: bytes) -> bytes | None:
    """The file with declarations of the known prefixes it uses and does not
    declare, or None when there are none to add."""
    version_found = _WXR_VERSION.search(data)
    version = version_found[1].decode() if version_found else "1.2"
    declarations = b""
    for prefix, namespace in KNOWN_PREFIXES.items():
        used = re.search(rb"<" + prefix.encode() + rb":|\s" + prefix.encode() + rb":\w+=", data)
        if used and b"xmlns:" + prefix.encode() + b"=" not in data:
            uri = namespace.format(version=version)
            declarations += f' xmlns:{prefix}="{uri}"'.encode()
    root = _ROOT_TAG.search(data)
    if not declarations or root is None:
        return None
    return data[: root.end()] + declarations + data[root.end() :]


def parse(data: bytes, name: str) -> Element:
    """The root element, or a BadRequest that says what is wrong and where."""
    try:
        return _parse(data)
    except ParseError as exc:
        if "unbound prefix" in str(exc):
            repaired = _declare_missing_prefixes(data)
            if repaired is not None:
                try:
                    return _parse(repaired)
                except ParseError:
                    pass  # report the first error: its line is the file's own
        line, column = exc.position
        reason = str(exc).split(":")[0]
        raise BadRequest(
            f"{name} is not well-formed XML: {reason} at line {line}, column {column + 1}. "
            "Nothing was imported."
        ) from None
    except EntitiesForbidden as exc:
        raise BadRequest(
            f"{name} declares the XML entity {exc.name!r}: entities are refused (they can "
            "read local files or expand without bound), and exports never need them. "
            "Nothing was imported."
        ) from None
    except DefusedXmlException as exc:
        raise BadRequest(f"{name} is refused: {exc}. Nothing was imported.") from None


def _parse(data: bytes) -> Element:
    root: Element = SafeElementTree.fromstring(data, forbid_dtd=False)
    return root
