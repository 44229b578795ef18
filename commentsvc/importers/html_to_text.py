"""Other systems' comment HTML turned into the text the service stores.

WordPress and Disqus keep comments as HTML. The service keeps a comment's text in its
own small Markdown (what readers type, what moderators edit) and renders the public
HTML from it with ``rendering.render``, like every posted comment: an imported comment
is exactly as safe as a posted one, and an edit re-renders it the same way.

What the service can show is kept (paragraphs, line breaks, links, emphasis, code,
quotes, lists); every other tag is dropped and its text kept (an image leaves its
``alt`` text). Text is escaped so that it reads as written: a ``*`` or ``&lt;`` in a
WordPress comment is shown as that character, not taken for Markdown.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# ASCII punctuation Markdown could read as syntax; a backslash makes it literal.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]<>&])")
# At the start of a line these would begin a list, a quote or a code fence.
_LINE_START = re.compile(r"^(\s*)([-+>#=~])|^(\s*\d+)([.)])", re.MULTILINE)
# Links the service shows; any other scheme (javascript:, data:) leaves only the text.
_LINK_SCHEMES = ("http://", "https://", "mailto:")
_BLANK_RUNS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_SPACES_BEFORE_NEWLINES = re.compile(r"[ \t]+\n")

BLOCKS = frozenset(
    {"p", "div", "blockquote", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
     "table", "tr", "section", "article", "header", "footer", "figure", "hr"}
)  # fmt: skip
DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "head", "title", "iframe"})
EMPHASIS = {"em": "*", "i": "*", "strong": "**", "b": "**"}


def escape_text(text: str) -> str:
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
    return _LINE_START.sub(_escape_line_start, escaped)


def _escape_line_start(match: re.Match[str]) -> str:
    if match[2] is not None:
        return f"{match[1]}\\{match[2]}"
    return f"{match[3]}\\{match[4]}"


def _code_span(code: str) -> str:
    """Inline code, literal inside: fenced by more backticks than it holds in a row."""
    code = " ".join(code.split())
    if not code:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if code.startswith("`") or code.endswith("`") else ""
    return f"{fence}{padding}{code}{padding}{fence}"


class _Converter(HTMLParser):
    def __init__(self, newlines_are_breaks: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.newlines_are_breaks = newlines_are_breaks
        self.out: list[str] = []
        self.links: list[str | None] = []
        self.lists: list[list[int]] = []  # per open list: [next number] or [] (bullets)
        self.quote_depth = 0
        self.in_pre = 0
        self.dropped = 0
        self.code: list[str] | None = None  # the text of an inline <code>, as it comes

    # Output helpers -----------------------------------------------------------
    def _prefix(self) -> str:
        return "> " * self.quote_depth

    def _newline(self, blank: bool = False) -> None:
        self.out.append("\n\n" if blank else "\n")
        if self.quote_depth:
            self.out.append(self._prefix())

    def _block_break(self) -> None:
        self._newline(blank=True)

    # Parser callbacks ---------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.dropped += 1
            return
        if self.dropped:
            return
        if tag == "br":
            self._newline()
        elif tag == "blockquote":
            self.quote_depth += 1
            self._block_break()
        elif tag == "pre":
            self._block_break()
            self.out.append("```")
            self._newline()
            self.in_pre += 1
        elif tag == "code" and not self.in_pre:
            self.code = []
        elif tag in EMPHASIS:
            self.out.append(EMPHASIS[tag])
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            if not href.lower().startswith(_LINK_SCHEMES):
                href = ""
            self.links.append(href or None)
            if href:
                self.out.append("[")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.out.append(escape_text(alt))
        elif tag in ("ul", "ol"):
            self.lists.append([int(dict(attrs).get("start") or 1)] if tag == "ol" else [])
            self._block_break()
        elif tag == "li":
            self._newline()
            numbers = self.lists[-1] if self.lists else []
            indent = "   " * max(0, len(self.lists) - 1)
            if numbers:
                self.out.append(f"{indent}{numbers[0]}. ")
                numbers[0] += 1
            else:
                self.out.append(f"{indent}- ")
        elif tag in BLOCKS:
            self._block_break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in DROPPED_WITH_CONTENT:
            self.handle_starttag(tag, attrs)
            if tag not in ("br", "img", "hr"):
                self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.dropped = max(0, self.dropped - 1)
            return
        if self.dropped:
            return
        if tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
            self._block_break()
        elif tag == "pre" and self.in_pre:
            self.in_pre -= 1
            self._newline()
            self.out.append("```")
            self._block_break()
        elif tag == "code" and self.code is not None:
            self.out.append(_code_span("".join(self.code)))
            self.code = None
        elif tag in EMPHASIS:
            self.out.append(EMPHASIS[tag])
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href:
                self.out.append(f"](<{href.replace('>', '%3E').replace(' ', '%20')}>)")
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self._block_break()
        elif tag in BLOCKS and tag != "li":
            self._block_break()

    def handle_data(self, data: str) -> None:
        if self.dropped:
            return
        if self.in_pre:
            self.out.append(data.replace("```", "` ` `"))
            return
        if self.code is not None:
            self.code.append(data)
            return
        if not self.newlines_are_breaks:
            self.out.append(escape_text(_SPACES.sub(" ", data.replace("\n", " "))))
            return
        # WordPress shows a blank line as a new paragraph and a newline as a break.
        paragraphs = re.split(r"\n\s*\n", data)
        for index, paragraph in enumerate(paragraphs):
            if index:
                self._block_break()
            lines = paragraph.split("\n")
            for number, line in enumerate(lines):
                if number:
                    self._newline()
                self.out.append(escape_text(_SPACES.sub(" ", line)))


def html_to_text(html: str, *, newlines_are_breaks: bool) -> str:
    """The Markdown text of a comment given as HTML. ``newlines_are_breaks``: a newline
    in the text is a line break (WordPress), or only white space (HTML as browsers read
    it, Disqus)."""
    converter = _Converter(newlines_are_breaks)
    converter.feed(html)
    converter.close()
    text = "".join(converter.out)
    text = _SPACES_BEFORE_NEWLINES.sub("\n", text)
    text = re.sub(r"\n(> )+\n", "\n\n", text)
    return _BLANK_RUNS.sub("\n\n", text).strip()
