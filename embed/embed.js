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
  // English is built in; other languages are fetched only when a page asks for them.
  var S = {
    heading: "Comments", none: "No comments yet",
    count: { one: "{n} Comment", other: "{n} Comments" },
    waiting: { one: "{n} comment awaiting moderation", other: "{n} comments awaiting moderation" },
    more: "Show more comments", badge: "Awaiting moderation", reply: "Reply",
    replyTo: "Reply to {name}", replying: "Replying to {name}", cancel: "Cancel reply",
    title: "Leave a Reply", submit: "Post Comment", trap: "Leave this empty",
    note: "Your email address will not be published. Required fields are marked *",
    body: "Comment", name: "Name", email: "Email", website: "Website",
    remember: "Save my name, email, and website in this browser for the next time I comment.",
    notify: "Notify me of replies by email",
    noBody: "Please write a comment.", noName: "Please enter your name.",
    noEmail: "Please enter your email address. It will not be published.",
    badEmail: "Please enter a valid email address.",
    badWebsite: "Please enter a web address starting with http:// or https://.",
    failed: "Your comment could not be posted. Please try again.",
    sending: "Sending your comment…", posted: "Your comment is awaiting moderation.",
    offline: "Could not reach the comment service. Your comment is still here; please try again.",
    loadFailed: "Comments could not be loaded.",
    edit: "Edit", del: "Delete", save: "Save", cancelEdit: "Cancel",
    editPending: "Your edit is awaiting moderation.", confirmDelete: "Delete your comment?",
    deleted: "Your comment was deleted.",
  };
  var LANGS = " ar de es fr it ja nl pl pt ru uk zh ";
  var lang = (options.lang || document.documentElement.lang || navigator.language || "en")
    .toLowerCase().split("-")[0];
  if (LANGS.indexOf(" " + lang + " ") < 0) lang = "en";
  var plural = new Intl.PluralRules(lang);
  // The string of a key, with {n} (its plural form chosen) and {name} filled in.
  function t(key, values) {
    var text = S[key];
    values = values || {};
    if (typeof text === "object") text = text[plural.select(values.n)] || text.other;
    return text.replace(/\{(\w+)\}/g, function (_, name) {
      return name === "n" ? values.n.toLocaleString(lang) : values[name];
    });
  }

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
    ? new Intl.RelativeTimeFormat(lang, { numeric: "auto" }) : null;
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
    // The reader's own comments they may still change: id -> token, until, text.
    var ownKey = "commentsvc:own";
    var own = load(ownKey) || {};
    for (var id in own) if (Date.parse(own[id].u) < Date.now()) delete own[id];
    store(ownKey, own);
    var host = el("div", { "class": "commentsvc-host" });
    container.appendChild(host);
    var root = host.attachShadow({ mode: "open" });
    var theme = options.theme === "dark" || options.theme === "light" ? options.theme : "auto";
    var frame = el("section", { "class": "commentsvc", "data-theme": theme, lang: lang, dir: S.dir });
    root.appendChild(el("link", { rel: "stylesheet", href: service + "/embed.css" }));
    root.appendChild(frame);

    var heading = el("h2", { "class": "commentsvc-count", text: t("heading") });
    var status = el("p", { "class": "commentsvc-status", role: "status", "aria-live": "polite" });
    var list = el("ol", { "class": "commentsvc-list" });
    var more = el("button", { type: "button", "class": "commentsvc-more", hidden: "", text: t("more") });
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
          el("span", { "class": "commentsvc-badge", text: t("badge") }));
      } else {
        var reply = el("button", { type: "button", "class": "commentsvc-reply", text: t("reply"),
          "aria-label": t("replyTo", { name: comment.author.name }) });
        reply.addEventListener("click", function () { form.open(comment, item); });
        item.firstChild.appendChild(reply);
      }
      if (own[comment.id] && Date.parse(own[comment.id].u) > Date.now()) ownActions(comment, item, body);
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
      heading.textContent = n ? t("count", { n: n })
        : mine.length ? t("waiting", { n: mine.length }) : t("none");
    }

    more.addEventListener("click", function () { shownTop += PAGE; render(); });

    // Edit and Delete on the reader's own comment, while its token works.
    function ownActions(comment, item, body) {
      var mine = own[comment.id];
      function call(method, data) {
        return fetch(service + "/api/v1/comments/" + comment.id, { method: method, body: data && JSON.stringify(data),
          headers: { "Content-Type": "application/json", "Accept-Language": lang, Authorization: "Bearer " + mine.t } });
      }
      var editButton = el("button", { type: "button", "class": "commentsvc-edit", text: t("edit") });
      var deleteButton = el("button", { type: "button", "class": "commentsvc-delete", text: t("del") });
      editButton.addEventListener("click", function () {
        var text = el("textarea", { rows: "4", "aria-label": t("body"), maxlength: "10000" });
        text.value = mine.b || "";
        var save = el("button", { type: "submit", text: t("save") });
        var cancel = el("button", { type: "button", text: t("cancelEdit") });
        var editor = el("form", { "class": "commentsvc-editor" }, [text, el("p", {}, [save, cancel])]);
        body.replaceWith(editor);
        text.focus();
        cancel.addEventListener("click", function () { editor.replaceWith(body); });
        editor.addEventListener("submit", function (event) {
          event.preventDefault();
          call("PATCH", { body: text.value }).then(function (response) {
            return response.json().then(function (data) {
              if (!response.ok) throw new Error((data.error || {}).message);
              mine.b = text.value;
              store(ownKey, own);
              if (data.edit_status) {
                editor.replaceWith(body);
                status.textContent = t("editPending");
              } else {
                store(pendingKey, (load(pendingKey) || []).map(function (c) {
                  return c.id === data.id ? Object.assign(c, { html: data.html }) : c;
                }));
                render();
              }
            });
          }).catch(function (error) { status.textContent = error.message || t("offline"); });
        });
      });
      deleteButton.addEventListener("click", function () {
        if (!confirm(t("confirmDelete"))) return;
        call("DELETE").then(function (response) {
          if (!response.ok) return response.json().then(function (data) { throw new Error(data.error.message); });
          comments = comments.filter(function (c) { return c.id !== comment.id; });
          store(pendingKey, (load(pendingKey) || []).filter(function (c) { return c.id !== comment.id; }));
          delete own[comment.id];
          store(ownKey, own);
          render();
          status.textContent = t("deleted");
        }).catch(function (error) { status.textContent = error.message || t("offline"); });
      });
      item.firstChild.appendChild(editButton);
      item.firstChild.appendChild(deleteButton);
    }

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
      var cancel = el("button", { type: "button", "class": "commentsvc-cancel", text: t("cancel") });
      var replyNote = el("p", { "class": "commentsvc-replying", hidden: "" }, [replyText, cancel]);
      var remember = el("input", { type: "checkbox", id: "commentsvc-remember" });
      remember.checked = !!load(authorKey);
      var notify = el("input", { type: "checkbox", id: "commentsvc-notify", name: "notify_replies" });
      var submit = el("button", { type: "submit", "class": "commentsvc-submit", text: t("submit") });
      var formError = el("p", { "class": "commentsvc-form-error", role: "alert" });
      // Hidden from people (off-screen, not focusable): a bot that fills every field fills it.
      var trap = el("p", { "class": "commentsvc-trap", "aria-hidden": "true" }, [
        el("label", { "for": "commentsvc-homepage", text: t("trap") }),
        el("input", { id: "commentsvc-homepage", name: "homepage", type: "text", tabindex: "-1", autocomplete: "off" }),
      ]);
      var node = el("form", { "class": "commentsvc-form", novalidate: "", "aria-labelledby": "commentsvc-form-title" }, [
        el("h3", { id: "commentsvc-form-title", text: t("title") }),
        replyNote,
        el("p", { "class": "commentsvc-note", text: t("note") }),
        field("body", t("body"), "textarea", true, { maxlength: "10000" }),
        field("name", t("name"), "text", true, { autocomplete: "name", maxlength: "100" }),
        field("email", t("email"), "email", true, { autocomplete: "email", maxlength: "254" }),
        field("website", t("website"), "url", false, { autocomplete: "url", maxlength: "500" }),
        trap,
        el("p", { "class": "commentsvc-remember" }, [remember, el("label", { "for": "commentsvc-remember",
          text: " " + t("remember") })]),
        el("p", { "class": "commentsvc-remember commentsvc-notify" }, [notify, el("label", { "for": "commentsvc-notify",
          text: " " + t("notify") })]),
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
        if (!fields.body.value.trim()) messages.body = [t("noBody")];
        if (!fields.name.value.trim()) messages.name = [t("noName")];
        if (!fields.email.value.trim()) messages.email = [t("noEmail")];
        else if (!/^[^\s@]+@[^\s@]+$/.test(fields.email.value.trim())) messages.email = [t("badEmail")];
        var site = fields.website.value.trim();
        if (site && !/^https?:\/\/\S+$/i.test(site)) messages.website = [t("badWebsite")];
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
        if (notify.checked) payload.notify_replies = true;
        var honeypot = node.querySelector("#commentsvc-homepage").value;
        if (honeypot) payload.homepage = honeypot;
        if (formToken) payload.form_token = formToken;
        submit.disabled = true;
        status.textContent = t("sending");
        fetch(service + "/api/v1/comments", {
          method: "POST", headers: { "Content-Type": "application/json", "Accept-Language": lang }, body: JSON.stringify(payload),
        }).then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (data) {
            if (response.status === 202) return posted(data);
            var error = data.error || {};
            status.textContent = "";
            if (error.fields) showErrors(error.fields);
            formError.textContent = error.message || t("failed");
          });
        }).catch(function () {
          status.textContent = "";
          formError.textContent = t("offline");
        }).then(function () { submit.disabled = false; });
      });

      function posted(comment) {
        if (remember.checked) {
          store(authorKey, { name: fields.name.value.trim(), email: fields.email.value.trim(), website: fields.website.value.trim() });
        } else {
          store(authorKey, undefined);
        }
        store(pendingKey, (load(pendingKey) || []).concat([comment]));
        own[comment.id] = { t: comment.edit_token, u: comment.editable_until, b: fields.body.value.trim() };
        store(ownKey, own);
        fields.body.value = "";
        showErrors({});
        close();
        render();
        status.textContent = t("posted");
      }

      function open(comment, item) {
        parent = comment;
        replyText.textContent = t("replying", { name: comment.author.name }) + " ";
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
      .then(function (data) {
        comments = data.comments;
        render();
        // Server-rendered markup of the same thread (comments.html) gives way to the widget.
        var rendered = container.querySelector("[data-commentsvc-thread]");
        if (rendered) rendered.remove();
      })
      .catch(function () { status.textContent = t("loadFailed"); render(); });
  }

  function start() {
    var container = document.querySelector(options.target || "#comments");
    if (!container) return;
    if (lang === "en") return mount(container);
    fetch(service + "/embed/lang/" + lang + ".json")
      .then(function (response) { return response.json(); })
      .then(function (strings) { Object.assign(S, strings); }, function () { /* English, then */ })
      .then(function () { mount(container); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
