// redflags web UI: keyboard shortcuts and small conveniences. No inline handlers (the page's
// Content-Security-Policy allows scripts from this file only).
(function () {
  "use strict";
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName));
  }
  function showKeys() {
    var dialog = document.getElementById("keys");
    if (dialog && !dialog.open) { dialog.showModal(); }
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var key = event.key;
    if (key === "?") { event.preventDefault(); showKeys(); return; }
    if (key === "/") {
      var search = document.querySelector("[data-search]");
      event.preventDefault();
      if (search) { search.focus(); } else { window.location.href = "/ui/search"; }
      return;
    }
    if (key === "j" || key === "k") {
      var link = document.querySelector('a[data-key="' + key + '"]');
      if (link) { event.preventDefault(); window.location.href = link.href; return; }
      var rows = Array.prototype.slice.call(document.querySelectorAll("a[data-alert-link]"));
      if (rows.length) {
        var at = rows.indexOf(document.activeElement);
        var next = key === "j" ? Math.min(at + 1, rows.length - 1) : Math.max(at - 1, 0);
        event.preventDefault();
        rows[at < 0 ? 0 : next].focus();
      }
      return;
    }
    var choice = document.querySelector('input[type="radio"][data-key="' + key + '"]');
    if (choice) {
      event.preventDefault();
      choice.checked = true;
      var reason = document.getElementById("reason");
      if (reason && choice.dataset.reason) { reason.value = choice.dataset.reason; }
      var submit = document.getElementById("decide-submit");
      if (submit) { submit.focus(); }
    }
  });
  document.addEventListener("click", function (event) {
    var opener = event.target.closest && event.target.closest("[data-keys]");
    if (opener) { event.preventDefault(); showKeys(); }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-select-all]")) {
      var boxes = document.querySelectorAll('input[type="checkbox"][name="alert"]');
      for (var i = 0; i < boxes.length; i++) { boxes[i].checked = event.target.checked; }
    }
  });
})();
