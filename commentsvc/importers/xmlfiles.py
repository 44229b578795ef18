"""Reading an export's XML safely, and forgiving the mistakes real exports make.

defusedxml refuses entity declarations (``<!ENTITY ...>``): they are how a file reads
local files or fetches URLs (XXE) and how a few hundred bytes expand to gigabytes
(billion laughs). Comment exports never need them. Nothing is fetched from the network.

Real WordPress exports are often not quite XML, in ways whose meaning is clear: a
prefix (``wp:``, ``dc:``, ``content:``) used without its declaration (plugins that
write WXR by hand, files cut down for size), blank lines before ``<?xml`` (a plugin
printed them), control characters pasted into comments. A file that does not parse is
repaired of these (``REPAIRS``) and read again; the import reports what was repaired.
Anything else is refused with the line and column of the first error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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
_CONTROL_CHARACTERS = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


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


def _strip_before_declaration(data: bytes) -> bytes | None:
    """Blank lines before ``<?xml`` (a plugin or theme printed them into the export)."""
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    return stripped if stripped != data and stripped.startswith(b"<?xml") else None


def _drop_control_characters(data: bytes) -> bytes | None:
    """Control characters XML does not allow (pasted into comments, kept by WordPress).
    In UTF-8 these bytes stand only for themselves."""
    cleaned = _CONTROL_CHARACTERS.sub(b"", data)
    return cleaned if cleaned != data else None


# What real exports get wrong, and how each is put right; tried after a failure only.
REPAIRS: tuple[tuple[str, Callable[[bytes], bytes | None]], ...] = (
    ("blank lines before the XML declaration removed", _strip_before_declaration),
    ("control characters XML does not allow removed", _drop_control_characters),
    ("namespace prefixes used without a declaration declared", _declare_missing_prefixes),
)


def parse(data: bytes, name: str) -> tuple[Element, list[str]]:
    """The root element and the repairs it needed, or a BadRequest that says what is
    wrong and where (in the file as it is)."""
    try:
        return _parse_repairing(data)
    except ParseError as exc:
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


def _parse_repairing(data: bytes) -> tuple[Element, list[str]]:
    try:
        return _parse(data), []
    except ParseError as first_error:
        repaired, repairs = data, []
        for repair_done, repair in REPAIRS:
            fixed = repair(repaired)
            if fixed is not None:
                repaired = fixed
                repairs.append(repair_done)
        if not repairs:
            raise
        try:
            return _parse(repaired), repairs
        except ParseError:
            raise first_error from None  # its line is the file's own


def _parse(data: bytes) -> Element:
    root: Element = SafeElementTree.fromstring(data, forbid_dtd=False)
    return root
