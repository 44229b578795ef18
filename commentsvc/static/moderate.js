// The moderation page: reads the queue with the moderator's token and decides.
// Every comment field is untrusted: it is only ever set as textContent or as an
// http(s) href, never parsed as HTML.
(function () {
  "use strict";
  var TOKEN_KEY = "commentsvc-moderator-token";
  var $ = function (id) { return document.getElementById(id); };
  var token = sessionStorage.getItem(TOKEN_KEY) || "";

  function say(text) { $("status").textContent = text; }

  function api(method, path, body) {
    var options = { method: method, headers: { Authorization: "Bearer " + token } };
    if (body) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      if (response.status === 401) { forget("That token was not accepted."); throw new Error("401"); }
      if (response.status === 204) { return null; }
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.error ? data.error.message : response.statusText); }
        return data;
      });
    });
  }

  function safeHref(url) { return /^https?:\/\//i.test(url || "") ? url : null; }

  function render(comment) {
    var item = $("comment-template").content.firstElementChild.cloneNode(true);
    item.dataset.id = comment.id;
    item.querySelector(".name").textContent = comment.author.name;
    item.querySelector(".email").textContent = comment.email;
    item.querySelector(".website").textContent = comment.author.website || "";
    item.querySelector(".created").textContent = new Date(comment.created_at).toLocaleString();
    item.querySelector(".created").setAttribute("datetime", comment.created_at);
    item.querySelector(".ip").textContent = comment.ip || "";
    var article = item.querySelector(".article");
    article.textContent = comment.url;
    if (safeHref(comment.url)) { article.href = comment.url; }
    comment.spam.forEach(function (reason) {
      var li = document.createElement("li");
      li.textContent = reason;
      item.querySelector(".spam").appendChild(li);
    });
    item.querySelector(".body").textContent = comment.body;
    item.querySelectorAll("button[data-action]").forEach(function (button) {
      button.setAttribute("aria-label", button.textContent + " the comment by " + comment.author.name);
      button.addEventListener("click", function () { decide(item, comment, button.dataset.action); });
    });
    return item;
  }

  function decide(item, comment, action) {
    if (action === "delete" && !window.confirm("Delete this comment for good?")) { return; }
    var request = action === "delete"
      ? api("DELETE", "/api/v1/moderation/comments/" + comment.id)
      : api("POST", "/api/v1/moderation/comments/" + comment.id, { action: action });
    request.then(function () {
      item.remove();
      say("Comment by " + comment.author.name + ": " + (action === "delete" ? "deleted" : action + "d") + ".");
      if (!$("comments").children.length) { load(); }
    }).catch(function (error) { say(error.message); });
  }

  function load() {
    say("Loading…");
    api("GET", "/api/v1/moderation/queue?limit=20").then(function (data) {
      var list = $("comments");
      var shown = {};
      Array.prototype.forEach.call(list.children, function (li) { shown[li.dataset.id] = true; });
      data.comments.forEach(function (comment) {
        if (!shown[comment.id]) { list.appendChild(render(comment)); }
      });
      $("empty").hidden = list.children.length > 0;
      say(list.children.length + " comment(s) waiting for you.");
    }).catch(function (error) { if (error.message !== "401") { say(error.message); } });
  }

  function forget(message) {
    token = "";
    sessionStorage.removeItem(TOKEN_KEY);
    $("comments").textContent = "";
    $("queue").hidden = true;
    $("login").hidden = false;
    $("token").focus();
    say(message || "");
  }

  function open() {
    $("login").hidden = true;
    $("queue").hidden = false;
    load();
  }

  $("login").addEventListener("submit", function (event) {
    event.preventDefault();
    token = $("token").value.trim();
    sessionStorage.setItem(TOKEN_KEY, token);
    $("token").value = "";
    open();
  });
  $("refresh").addEventListener("click", load);
  $("logout").addEventListener("click", function () { forget("Token forgotten."); });
  if (token) { open(); } else { forget(); }
})();
