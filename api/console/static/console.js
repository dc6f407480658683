// Small helpers on top of htmx: the number of waiting calls in the tab title,
// and a banner while the server cannot be reached (polling goes on and hides it again).
(function () {
  "use strict";
  var baseTitle = document.title;

  function updateTitle() {
    var el = document.querySelector("[data-open-count]");
    var n = el ? parseInt(el.getAttribute("data-open-count"), 10) || 0 : 0;
    document.title = n > 0 ? "(" + n + ") " + baseTitle : baseTitle;
  }

  function banner(show) {
    var el = document.getElementById("offline");
    if (!el && show) {
      el = document.createElement("div");
      el.id = "offline";
      el.setAttribute("role", "alert");
      el.textContent = "Нет связи с сервером консоли. Пробуем снова…";
      document.body.prepend(el);
    }
    if (el) el.hidden = !show;
  }

  document.addEventListener("htmx:afterSwap", updateTitle);
  document.addEventListener("htmx:sendError", function () { banner(true); });
  document.addEventListener("htmx:afterRequest", function (evt) {
    if (evt.detail && evt.detail.xhr && evt.detail.xhr.status) banner(false);
  });
  document.addEventListener("DOMContentLoaded", updateTitle);
})();
