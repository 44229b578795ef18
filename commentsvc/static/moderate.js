// The moderation console: works the moderation API with the moderator's token.
// Every comment field is untrusted: it is only ever set as textContent or as an
// http(s) href. The one exception is `html`, which the service rendered and
// sanitised itself (as the embed shows it); the page's CSP allows no script besides
// this file, so even a sanitiser mistake could not run a commenter's script.
(function () {
  "use strict";
  var TOKEN_KEY = "commentsvc-moderator-token";
  var API = "/api/v1/moderation";
  var UNDO_SECONDS = 5;
  var PAGE_SIZE = 20;
  var DONE = { approve: "Approved", reject: "Rejected", spam: "Marked as spam", delete: "Deleted" };
  var STATE = { pending: "Waiting", approved: "Published", rejected: "Rejected", spam: "Spam" };
  var ACTION_STATUS = { approve: "approved", reject: "rejected", spam: "spam" };
  var TITLES = {
    waiting: "Waiting for you", approved: "Published", spam: "Spam",
    rejected: "Rejected", all: "All comments"
  };
  var BASE_TITLE = document.title;

  var $ = function (id) { return document.getElementById(id); };
  var token = sessionStorage.getItem(TOKEN_KEY) || "";
  var tokenWorked = false;
  var view = "waiting";
  var nextCursor = null;
  var unseen = 0;          // new comments since the moderator last touched the page
  var waitingNew = 0;      // new comments announced while another view is shown
  var decidedHere = {};    // ids this page decided: their stream events are ours
  var pendingDeletes = {}; // id -> {timer, run}
  var stream = null;
  var streamGeneration = 0;

  // ---- messages -----------------------------------------------------------

  function say(text) { $("status").textContent = text; }
  function problem(text) { $("problem").textContent = text || ""; }

  function describe(error) {
    if (error && error.offline) {
      return "The service cannot be reached. Check the connection, then try again: nothing was changed.";
    }
    return error && error.message ? error.message : "Something went wrong. Please try again.";
  }

  function shout(error) { if (!(error && error.loggedOut)) { problem(describe(error)); } }

  function setTitle() {
    document.title = (unseen ? "(" + unseen + " new) " : "") + BASE_TITLE;
    $("new-badge").textContent = waitingNew ? " (" + waitingNew + " new)" : "";
  }

  // ---- the API ------------------------------------------------------------

  function ApiError(message, status, data) {
    this.message = message; this.status = status; this.data = data || {};
  }

  function api(method, path, body, options) {
    var init = { method: method, headers: { Authorization: "Bearer " + token } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (options && options.keepalive) { init.keepalive = true; }
    return fetch(path, init).catch(function () {
      throw { offline: true };
    }).then(function (response) {
      if (response.status === 401) {
        logOut(tokenWorked
          ? "Your token is no longer accepted (it was removed or replaced). Log in again."
          : "That token was not accepted.");
        throw { loggedOut: true };
      }
      tokenWorked = true;
      if (response.status === 204) { return null; }
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = data.error || {};
          throw new ApiError(error.message || response.statusText, response.status, error);
        }
        return data;
      });
    });
  }

  // ---- one comment --------------------------------------------------------

  function safeHref(url) { return /^https?:\/\//i.test(url || "") ? url : null; }

  function plural(count, word) { return count + " " + word; }

  function historyText(history) {
    var parts = [];
    [["approved", "published"], ["pending", "waiting"], ["rejected", "rejected"], ["spam", "spam"]]
      .forEach(function (pair) {
        if (history[pair[0]]) { parts.push(plural(history[pair[0]], pair[1])); }
      });
    return parts.length ? "Before: " + parts.join(", ") + "." : "First comment from this address.";
  }

  function trustText(trust) {
    return trust === "trusted" ? "Trusted author" : trust === "blocked" ? "Blocked author" : "";
  }

  function render(comment) {
    var item = $("comment-template").content.firstElementChild.cloneNode(true);
    var name = comment.author.name;
    item.id = "comment-" + comment.id;
    item.dataset.id = comment.id;
    item.dataset.email = comment.email;
    item.querySelector(".name").textContent = name;
    var select = item.querySelector(".select");
    select.setAttribute("aria-label", "Select the comment by " + name);
    select.addEventListener("change", updateSelection);

    var email = item.querySelector(".email");
    email.textContent = comment.email;
    email.setAttribute("aria-label", "All comments from " + comment.email);
    email.addEventListener("click", function () { search({ email: comment.email }); });

    var website = item.querySelector(".website");
    var site = comment.author.website;
    if (safeHref(site)) {
      var link = document.createElement("a");
      link.href = site; link.rel = "nofollow noopener noreferrer"; link.target = "_blank";
      link.textContent = site;
      website.appendChild(link);
    } else {
      website.textContent = site || "none";
    }
    item.querySelector(".ip").textContent = comment.ip || "unknown";
    var created = item.querySelector(".created");
    created.textContent = new Date(comment.created_at).toLocaleString();
    created.setAttribute("datetime", comment.created_at);

    var article = item.querySelector(".article");
    article.textContent = comment.url;
    article.setAttribute("aria-label", "All comments on " + comment.url);
    article.addEventListener("click", function () { search({ url: comment.url }); });
    var open = item.querySelector(".open-article");
    if (safeHref(comment.url)) {
      open.href = comment.url;
      open.setAttribute("aria-label", "Open the article " + comment.url);
    } else { open.remove(); }

    if (comment.parent) {
      item.querySelector(".reply-to").hidden = false;
      item.querySelector(".parent-author").textContent = comment.parent.author;
      item.querySelector(".parent-text").textContent = comment.parent.text;
    }
    item.querySelector(".author-history").textContent = historyText(comment.author_history || {});

    var score = typeof comment.spam_score === "number" ? comment.spam_score : 0;
    item.querySelector(".score").textContent = "Spam score " + Math.round(score * 100) + "%";
    var reasons = item.querySelector(".spam");
    comment.spam.forEach(function (reason) {
      var li = document.createElement("li");
      li.textContent = reason;
      reasons.appendChild(li);
    });

    var editorId = "comment-" + comment.id + "-text";
    item.querySelector(".editor-label").htmlFor = editorId;
    item.querySelector("textarea").id = editorId;

    item.querySelectorAll("button[data-action]").forEach(function (button) {
      button.setAttribute("aria-label", button.textContent + ": the comment by " + name);
      button.addEventListener("click", function () { act(item, button.dataset.action); });
    });
    item.querySelectorAll("button[data-trust]").forEach(function (button) {
      button.addEventListener("click", function () { changeTrust(item, button.dataset.trust); });
    });
    item.querySelector('[data-edit="save"]').addEventListener("click", function () { saveEdit(item); });
    item.querySelector('[data-edit="cancel"]').addEventListener("click", function () { closeEditor(item); });
    item.addEventListener("focusin", function () { setCurrent(item); });
    fill(item, comment);
    return item;
  }

  // The parts that change when the comment does (decided, edited, author trusted).
  function fill(item, comment) {
    item.comment = comment;
    item.dataset.status = comment.status;
    var state = item.querySelector(".state");
    state.textContent = STATE[comment.status] || comment.status;
    state.className = "state state-" + comment.status;
    // Only this field is HTML: rendered and sanitised by the service.
    item.querySelector(".html").innerHTML = comment.html;
    item.querySelector(".body").textContent = comment.body;
    showTrust(item, comment.author_trust);
    item.querySelectorAll("button[data-action]").forEach(function (button) {
      var status = ACTION_STATUS[button.dataset.action];
      button.disabled = Boolean(status) && status === comment.status;
    });
  }

  function showTrust(item, trust) {
    var name = item.comment.author.name;
    item.comment.author_trust = trust;
    item.querySelector(".trust").textContent = trustText(trust);
    var trustButton = item.querySelector('[data-trust="trusted"]');
    var blockButton = item.querySelector('[data-trust="blocked"]');
    trustButton.textContent = trust === "trusted" ? "Stop trusting author" : "Trust author";
    trustButton.dataset.trust = trust === "trusted" ? "none" : "trusted";
    blockButton.textContent = trust === "blocked" ? "Unblock author" : "Block author";
    blockButton.dataset.trust = trust === "blocked" ? "none" : "blocked";
    trustButton.setAttribute("aria-label", trustButton.textContent + ": " + name);
    blockButton.setAttribute("aria-label", blockButton.textContent + ": " + name);
  }

  function items() { return Array.prototype.slice.call($("comments").querySelectorAll("li.comment:not([hidden])")); }
  function findItem(id) { return $("comment-" + id); }
  function current() { return $("comments").querySelector("li.comment.current:not([hidden])"); }

  function setCurrent(item) {
    items().forEach(function (other) { other.classList.toggle("current", other === item); });
  }

  function move(step) {
    var list = items();
    if (!list.length) { return; }
    var index = list.indexOf(current());
    // The first key press goes to the current comment when the focus is elsewhere.
    if (index >= 0 && !list[index].contains(document.activeElement)) { list[index].focus(); return; }
    var next = list[Math.max(0, Math.min(list.length - 1, index < 0 ? 0 : index + step))];
    setCurrent(next);
    next.focus();
  }

  // After an item leaves: the next one (or the previous) is current, focus follows.
  function removeItem(item) {
    var list = items();
    var index = list.indexOf(item);
    var wasCurrent = item.classList.contains("current");
    var hadFocus = item.contains(document.activeElement);
    item.remove();
    list = items();
    var next = list[Math.min(index, list.length - 1)];
    if (next && (wasCurrent || hadFocus)) {
      setCurrent(next);
      if (hadFocus) { next.focus(); }
    }
    afterChange();
  }

  function belongs(status) { return view === "all" || (view === "waiting" ? status === "pending" : status === view); }

  // ---- decisions ----------------------------------------------------------

  function act(item, action) {
    if (action === "edit") { openEditor(item); return; }
    if (action === "history") { toggleHistory(item); return; }
    if (action === "delete") { deleteWithUndo(item); return; }
    decide(item, action);
  }

  function decide(item, action) {
    var comment = item.comment;
    problem("");
    decidedHere[comment.id] = true;
    api("POST", API + "/comments/" + comment.id, { action: action, expected_status: comment.status })
      .then(function (answer) {
        comment.status = answer.status;
        say(DONE[action] + ": the comment by " + comment.author.name + ".");
        if (belongs(answer.status)) { fill(item, comment); } else { removeItem(item); }
        refillIfEmpty();
      })
      .catch(function (error) {
        if (error.status === 409) {
          problem(error.message);
          comment.status = error.data.status || comment.status;
          if (belongs(comment.status)) { fill(item, comment); } else { removeItem(item); }
          return;
        }
        if (error.status === 404) { problem("This comment was deleted meanwhile."); removeItem(item); return; }
        shout(error);
      });
  }

  function deleteWithUndo(item) {
    var comment = item.comment;
    var notice = document.createElement("li");
    notice.className = "undo";
    var text = document.createElement("span");
    text.textContent = "The comment by " + comment.author.name + " will be deleted in " + UNDO_SECONDS + " seconds. ";
    var undo = document.createElement("button");
    undo.type = "button";
    undo.textContent = "Undo";
    undo.setAttribute("aria-label", "Undo: keep the comment by " + comment.author.name);
    notice.appendChild(text); notice.appendChild(undo);
    item.before(notice);
    item.hidden = true;
    undo.focus();
    say("Deleting the comment by " + comment.author.name + ": Undo for " + UNDO_SECONDS + " seconds.");

    function run(keepalive) {
      delete pendingDeletes[comment.id];
      clearTimeout(timer);
      decidedHere[comment.id] = true;
      return api("DELETE", API + "/comments/" + comment.id, undefined, { keepalive: keepalive })
        .then(function () {
          var hadFocus = notice.contains(document.activeElement);
          notice.remove();
          item.hidden = false;
          removeItem(item);
          if (hadFocus && current()) { current().focus(); }
          say(DONE.delete + ": the comment by " + comment.author.name + ".");
        })
        .catch(function (error) {
          if (error && error.status === 404) { notice.remove(); item.remove(); afterChange(); return; }
          notice.remove(); item.hidden = false; shout(error);
        });
    }
    var timer = setTimeout(function () { run(false); }, UNDO_SECONDS * 1000);
    pendingDeletes[comment.id] = { run: run };
    undo.addEventListener("click", function () {
      clearTimeout(timer);
      delete pendingDeletes[comment.id];
      notice.remove();
      item.hidden = false;
      setCurrent(item);
      item.focus();
      say("Kept: the comment by " + comment.author.name + ".");
    });
  }

  // Leaving the page does what the moderator asked for, without waiting for the undo.
  window.addEventListener("pagehide", function () {
    Object.keys(pendingDeletes).forEach(function (id) { pendingDeletes[id].run(true); });
  });

  function bulk(action) {
    var chosen = items().filter(function (item) { return item.querySelector(".select").checked; });
    if (!chosen.length) { return; }
    problem("");
    var ids = chosen.map(function (item) { return Number(item.dataset.id); });
    ids.forEach(function (id) { decidedHere[id] = true; });
    api("POST", API + "/bulk", { ids: ids, action: action }).then(function (answer) {
      var done = 0, missing = 0;
      chosen.forEach(function (item) {
        var result = answer.results[item.dataset.id];
        if (result === "not found") { missing += 1; item.remove(); return; }
        done += 1;
        item.comment.status = result;
        item.querySelector(".select").checked = false;
        if (belongs(result)) { fill(item, item.comment); } else { item.remove(); }
      });
      say(DONE[action] + ": " + plural(done, done === 1 ? "comment" : "comments") + "." +
          (missing ? " " + missing + " had been deleted meanwhile." : ""));
      afterChange();
      if (current() === null && items().length) { setCurrent(items()[0]); }
      refillIfEmpty();
    }).catch(shout);
  }

  function updateSelection() {
    var count = items().filter(function (item) { return item.querySelector(".select").checked; }).length;
    $("selected-count").textContent = count + " selected";
    document.querySelectorAll("button[data-bulk]").forEach(function (button) { button.disabled = count === 0; });
    var all = items();
    $("select-all").checked = all.length > 0 && count === all.length;
  }

  // ---- edit, history, trust -----------------------------------------------

  function openEditor(item) {
    var editor = item.querySelector(".editor");
    var area = editor.querySelector("textarea");
    area.value = item.comment.body;
    editor.querySelector(".field-error").textContent = "";
    area.removeAttribute("aria-invalid");
    editor.hidden = false;
    area.focus();
  }

  function closeEditor(item) {
    item.querySelector(".editor").hidden = true;
    item.focus();
  }

  function saveEdit(item) {
    var editor = item.querySelector(".editor");
    var area = editor.querySelector("textarea");
    api("PATCH", API + "/comments/" + item.comment.id, { body: area.value }).then(function (comment) {
      fill(item, comment);
      closeEditor(item);
      say("Saved the new text of the comment by " + comment.author.name + ".");
      if (!item.querySelector(".history").hidden) { loadHistory(item); }
    }).catch(function (error) {
      var fields = error.data && error.data.fields;
      if (fields && fields.body) {
        editor.querySelector(".field-error").textContent = fields.body.join(" ");
        area.setAttribute("aria-invalid", "true");
        area.focus();
        return;
      }
      shout(error);
    });
  }

  var EVENT_WORDS = {
    posted: "Posted", approved: "Approved", rejected: "Rejected", spam: "Marked as spam",
    pending: "Put back to wait", edited: "Edited", deleted: "Deleted"
  };

  function toggleHistory(item) {
    var list = item.querySelector(".history");
    var button = item.querySelector('[data-action="history"]');
    if (!list.hidden) { list.hidden = true; button.setAttribute("aria-expanded", "false"); return; }
    loadHistory(item).then(function () { list.hidden = false; button.setAttribute("aria-expanded", "true"); });
  }

  function loadHistory(item) {
    var list = item.querySelector(".history");
    return api("GET", API + "/comments/" + item.comment.id + "/history").then(function (answer) {
      list.textContent = "";
      answer.events.forEach(function (event) {
        var li = document.createElement("li");
        var when = document.createElement("time");
        when.setAttribute("datetime", event.at);
        when.textContent = new Date(event.at).toLocaleString();
        li.appendChild(document.createTextNode((EVENT_WORDS[event.action] || event.action) + " by " + event.by + ", "));
        li.appendChild(when);
        if (event.detail && typeof event.detail.old === "string") {
          var old = document.createElement("details");
          var summary = document.createElement("summary");
          summary.textContent = "Text before";
          var pre = document.createElement("pre");
          pre.textContent = event.detail.old;
          old.appendChild(summary); old.appendChild(pre);
          li.appendChild(old);
        }
        list.appendChild(li);
      });
    }).catch(shout);
  }

  function changeTrust(item, trust) {
    var email = item.comment.email;
    api("PUT", API + "/authors/" + encodeURIComponent(email), { trust: trust }).then(function (answer) {
      items().forEach(function (other) {
        if (other.dataset.email === answer.email) { showTrust(other, answer.trust); }
      });
      say(answer.trust === "trusted" ? "Trusted: " + email + ". Their next comments are published at once."
        : answer.trust === "blocked" ? "Blocked: " + email + ". Their next comments go straight to spam."
        : "No longer trusted or blocked: " + email + ". Their next comments wait for moderation.");
    }).catch(shout);
  }

  // ---- lists ----------------------------------------------------------------

  function filters() {
    return { q: $("q").value.trim(), email: $("email").value.trim(), url: $("article").value.trim() };
  }

  function filtered() { var f = filters(); return Boolean(f.q || f.email || f.url); }

  function listPath(cursor) {
    var params = new URLSearchParams();
    var f = filters();
    if (view !== "all") { params.set("status", view); }
    Object.keys(f).forEach(function (key) { if (f[key]) { params.set(key, f[key]); } });
    params.set("limit", PAGE_SIZE);
    if (cursor) { params.set("cursor", cursor); }
    return API + "/comments?" + params.toString();
  }

  function emptyText() {
    if (view === "waiting") { return "Nothing waits for you. New comments appear here as they arrive."; }
    return filtered() ? "No comments match this search." : "No comments here.";
  }

  function afterChange() {
    $("empty").textContent = emptyText();
    $("empty").hidden = items().length > 0;
    updateSelection();
  }

  function heading() {
    var f = filters();
    var parts = [];
    if (f.email) { parts.push("from " + f.email); }
    if (f.url) { parts.push("on " + f.url); }
    if (f.q) { parts.push("matching “" + f.q + "”"); }
    $("list-title").textContent = TITLES[view] + (parts.length ? " " + parts.join(", ") : "");
  }

  // The Waiting view is the queue: reading it claims comments for this moderator, so
  // no two moderators see the same waiting comment. It is merged into what is shown:
  // new claims are added, comments decided elsewhere leave, the rest stay as they are.
  function loadWaiting() {
    return api("GET", API + "/queue?limit=" + PAGE_SIZE).then(function (answer) {
      if (view !== "waiting") { return; }
      var list = $("comments");
      var claimed = {};
      answer.comments.forEach(function (comment) {
        claimed[comment.id] = true;
        if (!findItem(comment.id)) { list.appendChild(render(comment)); }
      });
      items().forEach(function (item) {
        if (!claimed[item.dataset.id] && !pendingDeletes[item.dataset.id]) { removeItem(item); }
      });
      afterChange();
      if (!current() && items().length) { setCurrent(items()[0]); }
    });
  }

  // Bursts of new comments make one claim at a time, and one more after it.
  var waitingLoad = null, waitingAgain = false;
  function refreshWaiting() {
    if (waitingLoad) { waitingAgain = true; return waitingLoad; }
    waitingLoad = loadWaiting().finally(function () {
      waitingLoad = null;
      if (waitingAgain) { waitingAgain = false; refreshWaiting().catch(shout); }
    });
    return waitingLoad;
  }

  // The last claimed comment decided: claim the next ones at once.
  function refillIfEmpty() {
    if (view === "waiting" && !items().length) { refreshWaiting().catch(shout); }
  }

  function loadList(cursor) {
    return api("GET", listPath(cursor)).then(function (answer) {
      var list = $("comments");
      if (!cursor) { list.textContent = ""; }
      answer.comments.forEach(function (comment) {
        if (!findItem(comment.id)) { list.appendChild(render(comment)); }
      });
      nextCursor = answer.next_cursor;
      $("more").hidden = !nextCursor;
      afterChange();
      if (!current() && items().length) { setCurrent(items()[0]); }
    });
  }

  function load() {
    problem("");
    heading();
    $("more").hidden = true;
    var loading = view === "waiting" ? loadWaiting() : loadList(null);
    return loading.catch(shout);
  }

  function show(newView, keepSearch) {
    view = newView;
    if (!keepSearch) { $("search").reset(); }
    if (view === "waiting") { waitingNew = 0; setTitle(); }
    document.querySelectorAll("button[data-view]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.view === view));
    });
    $("refresh").textContent = view === "waiting" ? "Check for new comments" : "Reload this list";
    $("comments").textContent = "";
    return load();
  }

  function search(values) {
    if (values) {
      $("q").value = values.q || "";
      $("email").value = values.email || "";
      $("article").value = values.url || "";
    }
    // The queue cannot be searched: a search looks through every comment.
    return show(view === "waiting" ? "all" : view, true);
  }

  // ---- live updates ---------------------------------------------------------

  // fetch() rather than EventSource: it sends the token in the Authorization header,
  // never in a URL that would end up in logs.
  function listen() {
    var generation = ++streamGeneration;
    var controller = new AbortController();
    stream = controller;
    var opened = false;
    fetch(API + "/stream", { headers: { Authorization: "Bearer " + token }, signal: controller.signal })
      .then(function (response) {
        if (response.status === 401) { logOut("Your token is no longer accepted. Log in again."); return; }
        if (!response.ok || !response.body) { throw new Error("stream " + response.status); }
        opened = true;
        $("live").textContent = "New comments appear here as they arrive.";
        if (reconnects > 0 && view === "waiting") { refreshWaiting().catch(shout); }
        reconnects = 0;
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) { return; }
            buffer += decoder.decode(chunk.value, { stream: true });
            var events = buffer.split("\n\n");
            buffer = events.pop();
            events.forEach(handleEvent);
            return pump();
          });
        }
        return pump();
      })
      .catch(function () {
        if (generation === streamGeneration && token) {
          $("live").textContent = "Live updates paused: the service cannot be reached. Trying again…";
        }
      })
      .then(function () {
        if (generation !== streamGeneration || !token) { return; }
        reconnects += 1;
        // Right away after a normal end (the server ends each stream), slower when down.
        setTimeout(listen, opened ? 200 : Math.min(10000, 1000 * reconnects));
      });
  }
  var reconnects = 0;

  function stopListening() {
    streamGeneration += 1;
    if (stream) { stream.abort(); stream = null; }
  }

  function handleEvent(block) {
    var name = "", data = "";
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event: ") === 0) { name = line.slice(7); }
      else if (line.indexOf("data: ") === 0) { data = line.slice(6); }
    });
    if (!name) { return; }
    var event;
    try { event = JSON.parse(data); } catch (ignored) { return; }
    if (name === "pending") { arrived(event); }
    else if (name === "decided" || name === "deleted") { decidedElsewhere(name, event); }
  }

  function arrived() {
    unseen += 1;
    if (view === "waiting") { refreshWaiting().catch(shout); } else { waitingNew += 1; }
    setTitle();
    $("live").textContent = "A new comment arrived.";
  }

  function decidedElsewhere(name, event) {
    if (decidedHere[event.id]) { return; }
    var item = findItem(event.id);
    if (!item || pendingDeletes[event.id]) { return; }
    var author = item.comment.author.name;
    if (name === "deleted" || !belongs(event.status)) {
      removeItem(item);
    } else {
      item.comment.status = event.status;
      fill(item, item.comment);
    }
    say(event.by + (name === "deleted" ? " deleted" : " decided") + " the comment by " + author + ".");
  }

  ["keydown", "pointerdown"].forEach(function (type) {
    document.addEventListener(type, function () { if (unseen) { unseen = 0; setTitle(); } });
  });

  // ---- keys -----------------------------------------------------------------

  function toggleKeys(force) {
    var keys = $("keys");
    keys.hidden = force === undefined ? !keys.hidden : !force;
    $("show-keys").setAttribute("aria-expanded", String(!keys.hidden));
  }

  document.addEventListener("keydown", function (event) {
    if ($("console").hidden || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    var typing = target.closest && target.closest("input, textarea, select, [contenteditable]");
    if (event.key === "Escape") {
      var editing = target.closest && target.closest(".comment");
      if (editing && !editing.querySelector(".editor").hidden) { closeEditor(editing); }
      else { toggleKeys(false); }
      return;
    }
    if (typing) { return; }
    var item = current();
    var handled = true;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "?": toggleKeys(); break;
      case "a": if (item) { decide(item, "approve"); } break;
      case "r": if (item) { decide(item, "reject"); } break;
      case "s": if (item) { decide(item, "spam"); } break;
      case "e": if (item) { event.preventDefault(); openEditor(item); } break;
      case "x":
        if (item) {
          var box = item.querySelector(".select");
          box.checked = !box.checked;
          updateSelection();
        }
        break;
      default: handled = false;
    }
    if (handled) { event.preventDefault(); }
  });

  // ---- log in and out --------------------------------------------------------

  function logOut(message) {
    stopListening();
    token = "";
    tokenWorked = false;
    sessionStorage.removeItem(TOKEN_KEY);
    $("comments").textContent = "";
    $("console").hidden = true;
    $("logout").hidden = true;
    $("login").hidden = false;
    problem("");
    say(message || "");
    $("token").focus();
  }

  function open() {
    $("login").hidden = true;
    $("console").hidden = false;
    $("logout").hidden = false;
    show("waiting").then(function () { if (token) { listen(); } });
  }

  $("login").addEventListener("submit", function (event) {
    event.preventDefault();
    token = $("token").value.trim();
    sessionStorage.setItem(TOKEN_KEY, token);
    $("token").value = "";
    say("");
    open();
  });
  $("logout").addEventListener("click", function () { logOut("Logged out. The token is forgotten in this tab."); });
  $("refresh").addEventListener("click", function () {
    load().then(function () { say(view === "waiting" ? "Checked for new comments." : "List reloaded."); });
  });
  $("more").addEventListener("click", function () { loadList(nextCursor).catch(shout); });
  $("show-keys").addEventListener("click", function () { toggleKeys(); });
  $("search").addEventListener("submit", function (event) { event.preventDefault(); search(); });
  $("clear-search").addEventListener("click", function () { $("search").reset(); load(); });
  $("select-all").addEventListener("change", function () {
    var checked = $("select-all").checked;
    items().forEach(function (item) { item.querySelector(".select").checked = checked; });
    updateSelection();
  });
  document.querySelectorAll("button[data-view]").forEach(function (button) {
    button.addEventListener("click", function () { show(button.dataset.view); });
  });
  document.querySelectorAll("button[data-bulk]").forEach(function (button) {
    button.addEventListener("click", function () { bulk(button.dataset.bulk); });
  });
  if (token) { open(); } else { logOut(); }
})();
