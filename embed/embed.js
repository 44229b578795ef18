/* commentsvc embed: approved comments of the article and the form to add one.
 * One IIFE, no globals, no dependencies. It renders into an open Shadow DOM so the
 * host page's CSS cannot break it, and loads its CSS with a <link> from the service
 * so it works under a Content-Security-Policy that allows only the service.
 * Untrusted text only ever goes into textContent; the one HTML string it inserts is
 * the comment body the server rendered and sanitised. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var options = script.dataset;
  var service = new URL(script.src).origin;
  var PAGE = 50; // top-level comments shown before "Show more comments"
  var MAX_DEPTH = 3; // deeper replies are shown at this depth
  var PENDING_DAYS = 30;

  function articleUrl() {
    var canonical = document.querySelector('link[rel="canonical"]');
    if (canonical && canonical.href) return canonical.href;
    return location.origin + location.pathname;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var key in attrs || {}) {
      if (key === "text") node.textContent = attrs[key];
      else if (attrs[key] !== null && attrs[key] !== undefined) node.setAttribute(key, attrs[key]);
    }
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function store(key, value) {
    try {
      if (value === undefined) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(value));
    } catch (e) { /* storage may be disabled: the widget works without it */ }
  }
  function load(key) {
    try { return JSON.parse(localStorage.getItem(key)) || null; } catch (e) { return null; }
  }

  var relative = window.Intl && Intl.RelativeTimeFormat
    ? new Intl.RelativeTimeFormat(options.lang || undefined, { numeric: "auto" }) : null;
  function when(iso) {
    var seconds = (new Date(iso).getTime() - Date.now()) / 1000;
    var units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
      ["hour", 3600], ["minute", 60]];
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(seconds) >= units[i][1] && relative) {
        return relative.format(Math.round(seconds / units[i][1]), units[i][0]);
      }
    }
    return relative ? relative.format(0, "second") : new Date(iso).toLocaleString();
  }

  // The avatar is the name's initial on a colour derived from the name: nothing
  // about the email, and no request to a third party.
  function avatar(name) {
    var hash = 0;
    for (var i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) | 0;
    var node = el("span", { "class": "commentsvc-avatar", "aria-hidden": "true",
      text: (name.trim()[0] || "?").toUpperCase() });
    node.dataset.hue = String(Math.abs(hash) % 12);
    return node;
  }

  function safeWebsite(url) { return /^https?:\/\//i.test(url || "") ? url : null; }

  function mount(container) {
    var url = articleUrl();
    var pendingKey = "commentsvc:pending:" + url;
    var authorKey = "commentsvc:author";
    var host = el("div", { "class": "commentsvc-host" });
    container.appendChild(host);
    var root = host.attachShadow({ mode: "open" });
    var theme = options.theme === "dark" || options.theme === "light" ? options.theme : "auto";
    var frame = el("section", { "class": "commentsvc", "data-theme": theme });
    root.appendChild(el("link", { rel: "stylesheet", href: service + "/embed.css" }));
    root.appendChild(frame);

    var heading = el("h2", { "class": "commentsvc-count", text: "Comments" });
    var status = el("p", { "class": "commentsvc-status", role: "status", "aria-live": "polite" });
    var list = el("ol", { "class": "commentsvc-list" });
    var more = el("button", { type: "button", "class": "commentsvc-more", hidden: "", text: "Show more comments" });
    frame.appendChild(heading);
    frame.appendChild(list);
    frame.appendChild(more);

    var comments = [];
    var shownTop = PAGE;

    function pending() {
      var cutoff = Date.now() - PENDING_DAYS * 86400000;
      var approved = {};
      comments.forEach(function (c) { approved[c.id] = true; });
      var mine = (load(pendingKey) || []).filter(function (c) {
        return !approved[c.id] && new Date(c.created_at).getTime() > cutoff;
      });
      store(pendingKey, mine.length ? mine : undefined);
      return mine;
    }

    function renderComment(comment, depth, children) {
      var website = safeWebsite(comment.author.website);
      var name = website
        ? el("a", { href: website, rel: "nofollow ugc noopener", "class": "commentsvc-name", text: comment.author.name })
        : el("span", { "class": "commentsvc-name", text: comment.author.name });
      var time = el("time", { datetime: comment.created_at, title: new Date(comment.created_at).toLocaleString(),
        text: when(comment.created_at) });
      var body = el("div", { "class": "commentsvc-body" });
      body.innerHTML = comment.html; // rendered and sanitised by the service
      var item = el("li", { "class": "commentsvc-comment", id: "comment-" + comment.id }, [
        el("article", {}, [
          el("header", {}, [avatar(comment.author.name), name, time]),
          body,
        ]),
      ]);
      if (comment.pending) {
        item.classList.add("commentsvc-pending");
        item.querySelector("header").appendChild(
          el("span", { "class": "commentsvc-badge", text: "Awaiting moderation" }));
      } else {
        var reply = el("button", { type: "button", "class": "commentsvc-reply", text: "Reply",
          "aria-label": "Reply to " + comment.author.name });
        reply.addEventListener("click", function () { form.open(comment, item); });
        item.firstChild.appendChild(reply);
      }
      if (children.length) {
        var nested = el("ol", { "class": "commentsvc-replies" });
        children.forEach(function (child) { nested.appendChild(child); });
        item.appendChild(nested);
      }
      return item;
    }

    function render() {
      if (list.contains(form.node)) form.close(); // the list is about to be rebuilt
      var mine = pending().map(function (c) { return Object.assign({}, c, { pending: true }); });
      var all = comments.concat(mine);
      var byParent = {};
      var known = {};
      all.forEach(function (c) { known[c.id] = true; });
      all.forEach(function (c) {
        var parent = c.parent_id && known[c.parent_id] ? c.parent_id : 0;
        (byParent[parent] = byParent[parent] || []).push(c);
      });
      function build(comment, depth) {
        var replies = (byParent[comment.id] || []).map(function (r) { return build(r, depth + 1); });
        if (depth >= MAX_DEPTH) {
          // Too deep to indent further: the replies follow as siblings.
          return [renderComment(comment, depth, [])].concat(flatten(replies));
        }
        return [renderComment(comment, depth, flatten(replies))];
      }
      function flatten(lists) { return [].concat.apply([], lists); }
      var top = byParent[0] || [];
      list.textContent = "";
      flatten(top.slice(0, shownTop).map(function (c) { return build(c, 1); }))
        .forEach(function (node) { list.appendChild(node); });
      more.hidden = top.length <= shownTop;
      var n = comments.length;
      heading.textContent = n === 0 ? "No comments yet" : n + (n === 1 ? " Comment" : " Comments");
    }

    more.addEventListener("click", function () { shownTop += PAGE; render(); });

    var form = buildForm();
    frame.appendChild(form.node);
    frame.appendChild(status);

    function buildForm() {
      var saved = load(authorKey) || {};
      var fields = {};
      var errors = {};
      function field(name, label, type, required, extra) {
        var id = "commentsvc-" + name;
        var input = el(type === "textarea" ? "textarea" : "input", Object.assign({
          id: id, name: name, "aria-describedby": id + "-error",
        }, type === "textarea" ? { rows: "5" } : { type: type }, required ? { required: "", "aria-required": "true" } : {}, extra));
        var labelNode = el("label", { "for": id, text: label + " " }, required ? [el("span", { "class": "commentsvc-required", "aria-hidden": "true", text: "*" })] : []);
        errors[name] = el("p", { "class": "commentsvc-error", id: id + "-error" });
        fields[name] = input;
        if (saved[name] && name !== "body") input.value = saved[name];
        return el("p", { "class": "commentsvc-field commentsvc-field-" + name }, [labelNode, input, errors[name]]);
      }
      var replyText = el("span");
      var cancel = el("button", { type: "button", "class": "commentsvc-cancel", text: "Cancel reply" });
      var replyNote = el("p", { "class": "commentsvc-replying", hidden: "" }, [replyText, cancel]);
      var remember = el("input", { type: "checkbox", id: "commentsvc-remember" });
      remember.checked = !!load(authorKey);
      var submit = el("button", { type: "submit", "class": "commentsvc-submit", text: "Post Comment" });
      var formError = el("p", { "class": "commentsvc-form-error", role: "alert" });
      // Hidden from people (off-screen, not focusable): a bot that fills every field fills it.
      var trap = el("p", { "class": "commentsvc-trap", "aria-hidden": "true" }, [
        el("label", { "for": "commentsvc-homepage", text: "Leave this empty" }),
        el("input", { id: "commentsvc-homepage", name: "homepage", type: "text", tabindex: "-1", autocomplete: "off" }),
      ]);
      var node = el("form", { "class": "commentsvc-form", novalidate: "", "aria-labelledby": "commentsvc-form-title" }, [
        el("h3", { id: "commentsvc-form-title", text: "Leave a Reply" }),
        replyNote,
        el("p", { "class": "commentsvc-note", text: "Your email address will not be published. Required fields are marked *" }),
        field("body", "Comment", "textarea", true, { maxlength: "10000" }),
        field("name", "Name", "text", true, { autocomplete: "name", maxlength: "100" }),
        field("email", "Email", "email", true, { autocomplete: "email", maxlength: "254" }),
        field("website", "Website", "url", false, { autocomplete: "url", maxlength: "500" }),
        trap,
        el("p", { "class": "commentsvc-remember" }, [remember, el("label", { "for": "commentsvc-remember",
          text: " Save my name, email, and website in this browser for the next time I comment." })]),
        formError,
        el("p", {}, [submit]),
      ]);
      var parent = null;

      function showErrors(messages) {
        var first = null;
        Object.keys(fields).forEach(function (name) {
          var text = (messages[name] || []).join(" ");
          errors[name].textContent = text;
          if (text) { fields[name].setAttribute("aria-invalid", "true"); first = first || fields[name]; }
          else fields[name].removeAttribute("aria-invalid");
        });
        if (first) first.focus();
        return !!first;
      }

      function check() {
        var messages = {};
        if (!fields.body.value.trim()) messages.body = ["Please write a comment."];
        if (!fields.name.value.trim()) messages.name = ["Please enter your name."];
        if (!fields.email.value.trim()) messages.email = ["Please enter your email address. It will not be published."];
        else if (!/^[^\s@]+@[^\s@]+$/.test(fields.email.value.trim())) messages.email = ["Please enter a valid email address."];
        var site = fields.website.value.trim();
        if (site && !/^https?:\/\/\S+$/i.test(site)) messages.website = ["Please enter a web address starting with http:// or https://."];
        return messages;
      }

      // A token from when the reader started on the form: a comment sent seconds
      // later is a script's. Asked for once, on first focus, not on every page view.
      var formToken = null;
      node.addEventListener("focusin", function askToken() {
        node.removeEventListener("focusin", askToken);
        fetch(service + "/api/v1/comments/form-token")
          .then(function (response) { return response.ok ? response.json() : {}; })
          .then(function (data) { formToken = data.token || null; })
          .catch(function () {});
      });

      node.addEventListener("submit", function (event) {
        event.preventDefault();
        formError.textContent = "";
        if (showErrors(check())) return;
        var payload = { url: url, name: fields.name.value.trim(), email: fields.email.value.trim(), body: fields.body.value };
        if (fields.website.value.trim()) payload.website = fields.website.value.trim();
        if (parent) payload.parent_id = parent.id;
        var honeypot = node.querySelector("#commentsvc-homepage").value;
        if (honeypot) payload.homepage = honeypot;
        if (formToken) payload.form_token = formToken;
        submit.disabled = true;
        status.textContent = "Sending your comment…";
        fetch(service + "/api/v1/comments", {
          method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload),
        }).then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (data) {
            if (response.status === 202) return posted(data);
            var error = data.error || {};
            status.textContent = "";
            if (error.fields) showErrors(error.fields);
            formError.textContent = error.message || "Your comment could not be posted. Please try again.";
          });
        }).catch(function () {
          status.textContent = "";
          formError.textContent = "Could not reach the comment service. Your comment is still here; please try again.";
        }).then(function () { submit.disabled = false; });
      });

      function posted(comment) {
        if (remember.checked) {
          store(authorKey, { name: fields.name.value.trim(), email: fields.email.value.trim(), website: fields.website.value.trim() });
        } else {
          store(authorKey, undefined);
        }
        store(pendingKey, (load(pendingKey) || []).concat([comment]));
        fields.body.value = "";
        showErrors({});
        close();
        render();
        status.textContent = "Your comment is awaiting moderation.";
      }

      function open(comment, item) {
        parent = comment;
        replyText.textContent = "Replying to " + comment.author.name + " ";
        replyNote.hidden = false;
        item.insertBefore(node, item.firstChild.nextSibling);
        fields.body.focus();
      }

      function close() {
        parent = null;
        replyNote.hidden = true;
        frame.insertBefore(node, status);
      }

      cancel.addEventListener("click", function () { close(); fields.body.focus(); });
      return { node: node, open: open, close: close };
    }

    fetch(service + "/api/v1/comments?url=" + encodeURIComponent(url))
      .then(function (response) { if (!response.ok) throw new Error(); return response.json(); })
      .then(function (data) { comments = data.comments; render(); })
      .catch(function () { status.textContent = "Comments could not be loaded."; render(); });
  }

  function start() {
    var container = document.querySelector(options.target || "#comments");
    if (container) mount(container);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
