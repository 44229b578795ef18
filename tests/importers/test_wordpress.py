"""Importing a WordPress export (WXR): threads, replies, statuses and authors kept,
the same file twice adds nothing, broken and hostile files write nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from commentsvc.comments.models import Comment, CommentStatus, Thread
from commentsvc.web.errors import BadRequest
from tests.conftest import SITE
from tests.importers.exports import DATA, WPComment, WPPost, reply_chain, wxr

ISSO_FIXTURE = DATA / "isso-wordpress.xml"
TO_OUR_SITE = (f"http://example.tld={SITE}",)


def stored(app: Any) -> list[Comment]:
    with app.extensions["commentsvc"].database.sessions() as session:
        comments = list(session.scalars(select(Comment).order_by(Comment.id)))
        session.expunge_all()
        return comments


def write(tmp_path: Path, content: bytes, name: str = "export.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_the_isso_fixture_keeps_every_comment_its_replies_authors_and_dates(
    run_import: Any, thread: Any, app: Any
) -> None:
    report = run_import("wordpress", ISSO_FIXTURE, maps=TO_OUR_SITE)

    assert report.stored == {"approved": 8}
    assert (report.threads_new, report.threads_existing) == (2, 0)
    page = thread(f"{SITE}/2014/test/")
    assert sorted(c["html"] for c in page) == sorted([
        "<p>Erster!1</p>", "<p>Drölfter!</p>", "<p>Yet another reply.</p>", "<p>...</p>",
        "<p>Zweiter.</p>", "<p>When you have a comment with multiple lines:<br>\n"
        "WordPress exports it like this.</p>", "<p>...</p>",
    ])  # fmt: skip
    by_text = {c["html"]: c for c in page}
    first_reply = by_text["<p>Drölfter!</p>"]
    second_level = by_text["<p>Yet another reply.</p>"]
    assert first_reply["parent_id"] == by_text["<p>Zweiter.</p>"]["id"]
    assert second_level["parent_id"] == first_reply["id"]
    assert by_text["<p>Erster!1</p>"]["author"] == {
        "name": "Ohai",
        "website": "http://example.tld/",
    }
    assert by_text["<p>Erster!1</p>"]["created_at"] == "2014-01-14T17:32:12Z"
    # comment_date_gmt, not the local comment_date (12:13:14)
    assert any(c["created_at"] == "2022-06-06T02:13:14Z" for c in page)
    assert len(thread(f"{SITE}/?p=4")) == 1
    ohai = next(c for c in stored(app) if c.author_name == "Ohai")
    assert ohai.author_email == "test@example.org"
    assert ohai.remote_addr == "82.119.20.0"


def test_importing_the_same_file_twice_adds_nothing(run_import: Any, app: Any) -> None:
    run_import("wordpress", ISSO_FIXTURE, maps=TO_OUR_SITE)
    again = run_import("wordpress", ISSO_FIXTURE, maps=TO_OUR_SITE)

    assert sum(again.stored.values()) == 0
    assert again.skipped == {"already imported": 8}
    assert len(stored(app)) == 8


def test_a_later_export_adds_only_its_new_comments_and_their_replies_find_old_parents(
    run_import: Any, thread: Any, tmp_path: Path
) -> None:
    article = f"{SITE}/2020/post/"
    first = WPPost(7, article, [WPComment(1, "First"), WPComment(2, "Second", parent=1)])
    later = WPPost(7, article, [*first.comments, WPComment(3, "Reply to the first", parent=1),
                                WPComment(4, "Reply to the reply", parent=3)])  # fmt: skip

    run_import("wordpress", write(tmp_path, wxr([first]), "first.xml"))
    report = run_import("wordpress", write(tmp_path, wxr([later]), "later.xml"))

    assert report.stored == {"approved": 2}
    assert report.skipped == {"already imported": 2}
    assert (report.threads_new, report.threads_existing) == (0, 1)
    ids = {c["html"]: c["id"] for c in thread(article)}
    parents = {c["html"]: c["parent_id"] for c in thread(article)}
    assert parents["<p>Reply to the first</p>"] == ids["<p>First</p>"]
    assert parents["<p>Reply to the reply</p>"] == ids["<p>Reply to the first</p>"]


def test_a_reply_tree_nine_deep_keeps_every_level(run_import: Any, thread: Any,
                                                  tmp_path: Path) -> None:  # fmt: skip
    article = f"{SITE}/deep/"
    post = reply_chain(1, article, depth=9)
    post.comments.reverse()  # replies before their parents in the file: order must not matter

    run_import("wordpress", write(tmp_path, wxr([post])))

    page = thread(article)
    by_text = {c["html"]: c for c in page}
    assert len(page) == 9
    assert by_text["<p>Level 0</p>"]["parent_id"] is None
    for level in range(1, 9):
        assert (
            by_text[f"<p>Level {level}</p>"]["parent_id"]
            == by_text[f"<p>Level {level - 1}</p>"]["id"]
        )


def test_statuses_map_and_pending_comments_wait_on_the_moderation_queue(
    run_import: Any, thread: Any, app: Any, client: Any, auth: Any, tmp_path: Path
) -> None:
    article = f"{SITE}/statuses/"
    post = WPPost(1, article, [WPComment(1, "shown", approved="1"),
                               WPComment(2, "waiting", approved="0"),
                               WPComment(3, "junk", approved="spam"),
                               WPComment(4, "binned", approved="trash")])  # fmt: skip

    report = run_import("wordpress", write(tmp_path, wxr([post])))

    assert report.stored == {"approved": 1, "pending": 1, "spam": 1, "rejected": 1}
    assert [c["html"] for c in thread(article)] == ["<p>shown</p>"]
    queued = client.get("/api/v1/moderation/queue", headers=auth).json["comments"]
    assert [c["html"] for c in queued] == ["<p>waiting</p>"]
    statuses = {c.body: c.status for c in stored(app)}
    assert statuses == {"shown": CommentStatus.APPROVED, "waiting": CommentStatus.PENDING,
                        "junk": CommentStatus.SPAM, "binned": CommentStatus.REJECTED}  # fmt: skip


def test_pingbacks_are_skipped_and_counted_unless_asked_for(run_import: Any,
                                                            tmp_path: Path) -> None:  # fmt: skip
    post = WPPost(1, f"{SITE}/p/", [WPComment(1, "a comment"),
                                    WPComment(2, "a ping", type="pingback"),
                                    WPComment(3, "a track", type="trackback")])  # fmt: skip
    path = write(tmp_path, wxr([post]))

    skipping = run_import("wordpress", path)
    assert skipping.stored == {"approved": 1}
    assert skipping.skipped == {"pingback or trackback (--with-pingbacks imports them)": 2}
    assert "skipped 2: pingback or trackback (--with-pingbacks imports them)" in skipping.lines()

    assert run_import("wordpress", path, with_pingbacks=True).stored == {"approved": 2}


def test_wordpress_html_becomes_the_same_safe_html_as_a_posted_comment(
    run_import: Any, thread: Any, tmp_path: Path
) -> None:
    hostile = (
        'Look <script>alert(1)</script><img src="https://tracker.example/p.gif" alt="pic" '
        'onerror="alert(2)"> <a href="javascript:alert(3)">click</a> '
        '<a href="https://fine.example/" onclick="alert(4)">fine</a> <b>bold</b> '
        "*stars* &lt;tag&gt;"
        "\n\n<blockquote>quoted</blockquote><iframe src=https://x.example></iframe>"
    )
    post = WPPost(1, f"{SITE}/html/", [WPComment(1, hostile)])

    run_import("wordpress", write(tmp_path, wxr([post])))

    html = thread(f"{SITE}/html/")[0]["html"]
    assert "<script" not in html and "<img" not in html and "<iframe" not in html
    assert "javascript:" not in html and "onclick" not in html and "onerror" not in html
    assert '<a href="https://fine.example/" rel="nofollow ugc noopener">fine</a>' in html
    assert "<strong>bold</strong>" in html
    assert "*stars* &lt;tag&gt;" in html  # WordPress' text is shown as written
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in html
    assert "pic" in html and "click" in html


def test_bad_emails_websites_and_addresses_do_not_stop_the_import(
    run_import: Any, app: Any, tmp_path: Path
) -> None:
    post = WPPost(1, f"{SITE}/people/", [
        WPComment(1, "no email", email="", url="javascript:alert(1)", ip="not an ip"),
        WPComment(2, "bad email", email="not an address", author=""),
        WPComment(3, "good", email=" Someone@Example.ORG ", url="https://someone.example/"),
    ])  # fmt: skip

    report = run_import("wordpress", write(tmp_path, wxr([post])))

    assert report.stored == {"approved": 3}
    assert report.emails_missing == 2
    people = {c.body: c for c in stored(app)}
    assert people["no email"].author_email == ""
    assert people["no email"].author_website is None
    assert people["no email"].remote_addr is None
    assert people["bad email"].author_name == "Anonymous"
    assert people["good"].author_email == "Someone@example.org"
    assert people["good"].author_website == "https://someone.example/"


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_every_wxr_version_and_namespace_form_is_read(
    run_import: Any, tmp_path: Path, version: str, scheme: str
) -> None:
    post = WPPost(1, f"{SITE}/ns/", [WPComment(1, "a"), WPComment(2, "b", parent=1)])

    report = run_import("wordpress", write(tmp_path, wxr([post], version=version, scheme=scheme)))

    assert report.stored == {"approved": 2}
    assert report.replies_to_missing_parents == 0


@pytest.mark.parametrize("missing", [("wp",), ("dc", "content"), ("wp", "dc", "content", "wfw")])
def test_undeclared_prefixes_are_recovered(run_import: Any, tmp_path: Path,
                                           missing: tuple[str, ...]) -> None:  # fmt: skip
    declared = tuple(p for p in ("wp", "content", "dc", "wfw") if p not in missing)
    post = WPPost(1, f"{SITE}/undeclared/", [WPComment(1, "a"), WPComment(2, "b", parent=1)])

    report = run_import("wordpress", write(tmp_path, wxr([post], declare=declared)))

    assert report.stored == {"approved": 2}
    assert report.repairs == ["namespace prefixes used without a declaration declared"]


def count_rows(app: Any) -> tuple[int, int]:
    with app.extensions["commentsvc"].database.sessions() as session:
        return (session.scalar(select(func.count()).select_from(Thread)) or 0,
                session.scalar(select(func.count()).select_from(Comment)) or 0)  # fmt: skip


def test_a_broken_file_is_refused_with_its_line_and_column_and_nothing_is_written(
    run_import: Any, app: Any, tmp_path: Path
) -> None:
    good = wxr([WPPost(1, f"{SITE}/a/", [WPComment(1, "fine")])]).decode()
    broken = good.replace("</wp:comment>", "</wp:comment>\n<wp:comment><wp:comment_id>2", 1)

    with pytest.raises(BadRequest) as refused:
        run_import("wordpress", write(tmp_path, broken.encode()))

    assert "is not well-formed XML" in refused.value.message
    assert "at line 4, column" in refused.value.message
    assert "Nothing was imported" in refused.value.message
    assert count_rows(app) == (0, 0)


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><link>https://blog.example.com/x/</link>
<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_content>&secret;</wp:comment_content>
<wp:comment_approved>1</wp:comment_approved></wp:comment></item></channel></rss>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><link>https://blog.example.com/x/</link>
<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_content>&lol9;</wp:comment_content>
<wp:comment_approved>1</wp:comment_approved></wp:comment></item></channel></rss>"""


@pytest.mark.parametrize(("attack", "entity"), [(XXE, "secret"), (BILLION_LAUGHS, "lol")])
def test_entity_attacks_are_refused_and_nothing_is_written(
    run_import: Any, app: Any, tmp_path: Path, attack: bytes, entity: str
) -> None:
    with pytest.raises(BadRequest) as refused:
        run_import("wordpress", write(tmp_path, attack))

    assert f"declares the XML entity '{entity}'" in refused.value.message
    assert "root:" not in refused.value.message
    assert count_rows(app) == (0, 0)


def test_dry_run_reports_what_would_be_imported_and_writes_nothing(
    run_import: Any, app: Any
) -> None:
    report = run_import("wordpress", ISSO_FIXTURE, maps=TO_OUR_SITE, dry_run=True)

    assert report.stored == {"approved": 8}
    assert report.lines()[0].startswith("would import 8 comments from wordpress")
    assert count_rows(app) == (0, 0)


def test_site_check_refuses_a_file_with_an_article_elsewhere(run_import: Any, app: Any) -> None:
    with pytest.raises(BadRequest) as refused:
        run_import("wordpress", ISSO_FIXTURE, site=True)

    assert "http://example.tld/2014/test/ is not on a configured site" in refused.value.message
    assert count_rows(app) == (0, 0)
    assert run_import("wordpress", ISSO_FIXTURE, maps=TO_OUR_SITE, site=True).stored


def test_an_imported_article_shows_its_comments_at_once_after_it_was_cached(
    run_import: Any, thread: Any, client: Any, tmp_path: Path
) -> None:
    article = f"{SITE}/cached/"
    assert thread(article) == []
    assert client.get("/api/v1/counts", query_string={"url": article}).json["counts"] == {
        article: 0
    }

    run_import("wordpress", write(tmp_path, wxr([WPPost(1, article, [WPComment(1, "old")])])))

    assert [c["html"] for c in thread(article)] == ["<p>old</p>"]
    assert client.get("/api/v1/counts", query_string={"url": article}).json["counts"] == {
        article: 1
    }


def test_an_import_joins_threads_that_already_have_comments(
    run_import: Any, thread: Any, post_comment: Any, approve: Any, tmp_path: Path
) -> None:
    article = f"{SITE}/2026/hello-world"
    approve(post_comment(body="posted here").json["id"])

    report = run_import(
        "wordpress", write(tmp_path, wxr([WPPost(1, article, [WPComment(1, "imported")])]))
    )

    assert (report.threads_new, report.threads_existing) == (0, 1)
    assert sorted(c["html"] for c in thread(article)) == ["<p>imported</p>", "<p>posted here</p>"]


def test_comments_read_oldest_first_whatever_the_order_of_the_file(
    run_import: Any, thread: Any, tmp_path: Path
) -> None:
    article = f"{SITE}/order/"
    post = WPPost(1, article, [
        WPComment(3, "third", date_gmt="2021-03-01 00:00:00"),
        WPComment(1, "first", date_gmt="2021-01-01 00:00:00"),
        WPComment(4, "late reply", parent=1, date_gmt="2021-04-01 00:00:00"),
        WPComment(2, "early reply", parent=1, date_gmt="2021-02-01 00:00:00"),
    ])  # fmt: skip

    run_import("wordpress", write(tmp_path, wxr([post])))

    assert [c["html"] for c in thread(article)] == [
        "<p>first</p>", "<p>third</p>", "<p>early reply</p>", "<p>late reply</p>"
    ]  # fmt: skip


def test_parents_that_loop_or_are_missing_leave_comments_at_the_top_level(
    run_import: Any, thread: Any, tmp_path: Path
) -> None:
    article = f"{SITE}/loops/"
    post = WPPost(1, article, [WPComment(1, "a", parent=2), WPComment(2, "b", parent=1),
                               WPComment(3, "orphan", parent=99)])  # fmt: skip

    report = run_import("wordpress", write(tmp_path, wxr([post])))

    page = {c["html"]: c for c in thread(article)}
    assert report.stored == {"approved": 3}
    assert report.replies_to_missing_parents == 1
    assert page["<p>orphan</p>"]["parent_id"] is None
    assert sorted([page["<p>a</p>"]["parent_id"] or 0, page["<p>b</p>"]["parent_id"] or 0]) == [
        0, min(page["<p>a</p>"]["id"], page["<p>b</p>"]["id"])
    ]  # fmt: skip


def test_a_blog_moved_to_https_finds_its_comments_imported_before(
    run_import: Any, app: Any, tmp_path: Path
) -> None:
    """WordPress.com and self-hosted exports name the blog (wp:base_blog_url); an export
    taken after the move to https is the same blog."""
    post = WPPost(1, f"{SITE}/moved/", [WPComment(1, "before"), WPComment(2, "reply", parent=1)])
    run_import("wordpress", write(tmp_path, wxr([post], blog="http://blog.example.com"), "a.xml"))

    again = run_import("wordpress", write(tmp_path, wxr([post], blog=SITE), "b.xml"))

    assert again.skipped == {"already imported": 2}
    assert {c.origin for c in stored(app)} == {
        "wordpress:blog.example.com:1:1", "wordpress:blog.example.com:1:2"
    }  # fmt: skip


def test_approved_and_spam_comments_are_the_examples_the_spam_model_learns_from(
    app: Any, run_import: Any, tmp_path: Path
) -> None:
    from sqlalchemy import select

    from commentsvc.comments.models import Comment
    from commentsvc.spam.learning import SpamExample

    post = WPPost(1, f"{SITE}/learn/", [WPComment(1, "good", approved="1"),
                                        WPComment(2, "cheap pills", approved="spam"),
                                        WPComment(3, "undecided", approved="0"),
                                        WPComment(4, "off topic", approved="trash")])  # fmt: skip

    run_import("wordpress", write(tmp_path, wxr([post])))

    with app.extensions["commentsvc"].database.sessions() as session:
        learnt = session.execute(
            select(Comment.body, SpamExample.spam).join(
                SpamExample, SpamExample.comment_id == Comment.id
            )
        ).all()
    assert sorted(learnt) == [("cheap pills", True), ("good", False)]


def test_blank_lines_before_the_declaration_and_control_characters_are_repaired(
    run_import: Any, thread: Any, tmp_path: Path
) -> None:
    article = f"{SITE}/messy/"
    post = WPPost(1, article, [WPComment(1, "pasted\x0bfrom\x1bWord")])

    report = run_import("wordpress", write(tmp_path, b"\n\n  " + wxr([post])))

    assert report.repairs == ["blank lines before the XML declaration removed",
                              "control characters XML does not allow removed"]  # fmt: skip
    assert "the file was read after repairs: blank lines" in "\n".join(report.lines())
    assert [c["html"] for c in thread(article)] == ["<p>pastedfromWord</p>"]
