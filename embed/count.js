/* commentsvc counts: "N comments" into [data-commentsvc-count=URL] and URL#comments links. */
(function () {
  "use strict";
  var s = document.currentScript;
  if (!s) return;
  var lang = (s.dataset.lang || document.documentElement.lang || navigator.language || "en")
    .toLowerCase().split("-")[0];
  // Words by plural category, in the order of P
  var W = {
    en: "comment|comments", de: "Kommentar|Kommentare", fr: "commentaire|commentaires",
    es: "comentario|comentarios", it: "commento|commenti", pt: "comentário|comentários",
    nl: "reactie|reacties", pl: "komentarz|komentarzy|komentarze",
    ru: "комментарий|комментариев|комментария", uk: "коментар|коментарів|коментарі",
    ar: "تعليق|تعليق|تعليقات|تعليقان|تعليقات", zh: "|条评论", ja: "|件のコメント",
  };
  if (!W[lang]) lang = "en";
  var w = W[lang].split("|");
  var P = ["one", "other", "few", "two", "zero"];
  var rules = new Intl.PluralRules(lang);
  var glue = w[0] ? " " : "";
  var T = {};
  function add(u, n) {
    u = new URL(u, location.href).href.split("#")[0];
    (T[u] = T[u] || []).push(n);
  }
  document.querySelectorAll("[data-commentsvc-count]").forEach(function (n) {
    add(n.getAttribute("data-commentsvc-count") || n.href || location.href, n);
  });
  document.querySelectorAll('a[href$="#comments"]:not([data-commentsvc-count])').forEach(function (n) {
    add(n.href, n);
  });
  var urls = Object.keys(T);
  for (var i = 0; i < urls.length; i += 100) {
    fetch(new URL(s.src).origin + "/api/v1/counts?url=" + urls.slice(i, i + 100)
      .map(encodeURIComponent).join("&url="))
      .then(function (r) { return r.json(); })
      .then(function (data) {
        for (var url in data.counts) {
          var n = data.counts[url];
          var word = w[P.indexOf(rules.select(n))] || w[1];
          (T[url] || []).forEach(function (node) {
            node.textContent = n.toLocaleString(lang) + glue + word;
          });
        }
      }, function () {});
  }
})();
