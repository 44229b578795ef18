"""Exports made for the tests: WordPress WXR files, Disqus exports and Isso databases
with the shapes real ones have (any depth of replies, every status, thousands of
comments, the namespace forms of each WXR version)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

DATA = Path(__file__).parent / "data"
WXR_PREFIXES = {
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
}


@dataclass
class WPComment:
    id: int
    content: str = "A comment."
    parent: int = 0
    approved: str = "1"
    author: str = "Reader"
    email: str = "reader@example.org"
    url: str = ""
    ip: str = "192.0.2.1"
    date_gmt: str = "2020-01-02 03:04:05"
    type: str = ""


@dataclass
class WPPost:
    id: int
    link: str
    comments: list[WPComment] = field(default_factory=list)


def wxr(
    posts: list[WPPost],
    *,
    version: str = "1.2",
    scheme: str = "http",
    declare: tuple[str, ...] = ("wp", "content", "dc", "wfw"),
    blog: str = "https://blog.example.com",
) -> bytes:
    """A WXR file as WordPress writes it; ``declare`` leaves out the namespace
    declarations real exports sometimes miss."""
    namespaces = {**WXR_PREFIXES, "wp": f"{scheme}://wordpress.org/export/{version}/"}
    declarations = " ".join(
        f'xmlns:{prefix}="{uri}"' for prefix, uri in namespaces.items() if prefix in declare
    )
    parts = [
        f'<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" {declarations}>\n'
        f"<channel><title>Blog</title><link>{blog}</link>"
        f"<wp:wxr_version>{version}</wp:wxr_version>"
        f"<wp:base_site_url>{blog}</wp:base_site_url><wp:base_blog_url>{blog}</wp:base_blog_url>"
    ]
    for post in posts:
        parts.append(
            f"<item><title>Post {post.id}</title><link>{escape(post.link)}</link>"
            f"<dc:creator><![CDATA[admin]]></dc:creator>"
            f"<content:encoded><![CDATA[<p>The post.</p>]]></content:encoded>"
            f"<wp:post_id>{post.id}</wp:post_id><wp:post_type>post</wp:post_type>"
        )
        for comment in post.comments:
            parts.append(
                f"<wp:comment><wp:comment_id>{comment.id}</wp:comment_id>"
                f"<wp:comment_author><![CDATA[{comment.author}]]></wp:comment_author>"
                f"<wp:comment_author_email>{escape(comment.email)}</wp:comment_author_email>"
                f"<wp:comment_author_url>{escape(comment.url)}</wp:comment_author_url>"
                f"<wp:comment_author_IP>{comment.ip}</wp:comment_author_IP>"
                f"<wp:comment_date>{comment.date_gmt}</wp:comment_date>"
                f"<wp:comment_date_gmt>{comment.date_gmt}</wp:comment_date_gmt>"
                f"<wp:comment_content><![CDATA[{comment.content}]]></wp:comment_content>"
                f"<wp:comment_approved>{comment.approved}</wp:comment_approved>"
                f"<wp:comment_type>{comment.type}</wp:comment_type>"
                f"<wp:comment_parent>{comment.parent}</wp:comment_parent>"
                f"<wp:comment_user_id>0</wp:comment_user_id>"
                f"<wp:commentmeta><wp:meta_key>akismet_result</wp:meta_key>"
                f"<wp:meta_value><![CDATA[false]]></wp:meta_value></wp:commentmeta>"
                f"</wp:comment>"
            )
        parts.append("</item>\n")
    parts.append("</channel></rss>\n")
    return "".join(parts).encode()


def reply_chain(post_id: int, link: str, depth: int, first_id: int = 1) -> WPPost:
    """A comment and ``depth - 1`` replies, each to the one before."""
    comments = [
        WPComment(id=first_id + level, parent=first_id + level - 1 if level else 0,
                  content=f"Level {level}")
        for level in range(depth)
    ]  # fmt: skip
    return WPPost(post_id, link, comments)


def big_blog(posts: int, comments_per_post: int, site: str) -> list[WPPost]:
    """Many posts, each with threads of replies three deep and every status."""
    result = []
    next_id = 1
    statuses = ["1", "1", "1", "1", "1", "1", "0", "spam", "trash", "1"]
    for post_id in range(1, posts + 1):
        comments = []
        for index in range(comments_per_post):
            parent = next_id - 1 if index % 3 else 0
            comments.append(
                WPComment(
                    id=next_id, parent=parent, approved=statuses[next_id % len(statuses)],
                    content=f"Comment {next_id}, with a <a href=\"https://example.org/{next_id}\">"
                    f"link</a> and <em>emphasis</em>.\nA second line.",
                    author=f"Reader {next_id % 97}", email=f"reader{next_id % 97}@example.org",
                )
            )  # fmt: skip
            next_id += 1
        result.append(WPPost(post_id, f"{site}/{post_id}/post-{post_id}/", comments))
    return result


def disqus(threads: dict[str, str], posts: list[dict[str, str]]) -> bytes:
    """A Disqus export: threads by id -> link; posts with id, thread, parent, message,
    and optional isDeleted / isSpam / name / email."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" '
        'xmlns:dsq="http://disqus.com/disqus-internals">'
    ]
    for thread_id, link in threads.items():
        parts.append(f'<thread dsq:id="{thread_id}"><link>{escape(link)}</link></thread>')
    for post in posts:
        parent = f'<parent dsq:id="{post["parent"]}"/>' if post.get("parent") else ""
        parts.append(
            f'<post dsq:id="{post["id"]}"><message><![CDATA[{post.get("message", "Hi")}]]>'
            f"</message><createdAt>2019-05-06T07:08:09Z</createdAt>"
            f"<isDeleted>{post.get('isDeleted', 'false')}</isDeleted>"
            f"<isSpam>{post.get('isSpam', 'false')}</isSpam>"
            f"<author><name>{post.get('name', 'Someone')}</name>"
            f"<email>{post.get('email', 'someone@example.org')}</email></author>"
            f'<ipAddress>198.51.100.7</ipAddress><thread dsq:id="{post["thread"]}"/>{parent}'
            f"</post>"
        )
    parts.append("</disqus>\n")
    return "".join(parts).encode()


ISSO_SCHEMA = """
CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
CREATE TABLE comments (
    tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER,
    created FLOAT NOT NULL, modified FLOAT, mode INTEGER, remote_addr VARCHAR,
    text VARCHAR, author VARCHAR, email VARCHAR, website VARCHAR,
    likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0, voters BLOB NOT NULL,
    notification INTEGER DEFAULT 0);
"""


def isso_database(path: Path, threads: dict[int, str], comments: list[tuple]) -> Path:  # type: ignore[type-arg]
    """An Isso database (Isso's own schema); comments are (id, thread id, parent,
    mode, text, author, email, website)."""
    connection = sqlite3.connect(path)
    connection.executescript(ISSO_SCHEMA)
    connection.executemany("INSERT INTO threads (id, uri, title) VALUES (?, ?, ?)",
                           [(tid, uri, "A post") for tid, uri in threads.items()])  # fmt: skip
    connection.executemany(
        "INSERT INTO comments (id, tid, parent, created, mode, remote_addr, text, author, "
        "email, website, voters) VALUES (?, ?, ?, 1577934245.5, ?, '203.0.113.0', ?, ?, ?, ?, '')",
        comments,
    )
    connection.commit()
    connection.close()
    return path
