"""Other systems' comment HTML, as the service's text and then its rendered HTML."""

from __future__ import annotations

import pytest

from commentsvc.comments.rendering import render
from commentsvc.importers.html_to_text import html_to_text


@pytest.mark.parametrize(
    ("html", "newlines_are_breaks", "rendered"),
    [
        ("one\ntwo\n\nthree", True, "<p>one<br>\ntwo</p>\n<p>three</p>"),
        ("<p>one\ntwo</p><p>three</p>", False, "<p>one two</p>\n<p>three</p>"),
        ("a<br>b", False, "<p>a<br>\nb</p>"),
        ("<ul><li>x</li><li>y</li></ul>", False, "<ul>\n<li>x</li>\n<li>y</li>\n</ul>"),
        ("<ol><li>x</li></ol>", False, "<ol>\n<li>x</li>\n</ol>"),
        ("<code>a*b</code> <pre>if x:\n  y</pre>", True,
         "<p><code>a*b</code></p>\n<pre><code>if x:\n  y\n</code></pre>"),
        ("<code>a `b` c</code>", False, "<p><code>a `b` c</code></p>"),
        ("1. not a list\n- nor this\n# nor a heading", True,
         "<p>1. not a list<br>\n- nor this<br>\n# nor a heading</p>"),
        ("&lt;b&gt; &amp;copy; [x](y) _u_", True, "<p>&lt;b&gt; &amp;copy; [x](y) _u_</p>"),
        ('<a href="mailto:a@example.org">mail</a>', True,
         '<p><a href="mailto:a@example.org" rel="nofollow ugc noopener">mail</a></p>'),
        ('<a href="data:text/html,x">data</a><img src="x.gif">', True, "<p>data</p>"),
        ("<style>p{}</style><script>x()</script>kept", True, "<p>kept</p>"),
    ],
    ids=["wp-newlines", "html-newlines", "br", "ul", "ol", "code", "backticks", "literal-starts",
         "literal-text", "mailto", "bad-schemes", "dropped"],
)  # fmt: skip
def test_what_the_service_can_show_is_kept_and_the_rest_reads_as_written(
    html: str, newlines_are_breaks: bool, rendered: str
) -> None:
    assert render(html_to_text(html, newlines_are_breaks=newlines_are_breaks)) == rendered
