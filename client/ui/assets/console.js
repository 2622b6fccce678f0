// console.js - the little the console's pages do in the browser. Everything
// works without it: it hides the fields a collective or a household does not
// have, follows a sync's progress without reloading, and lets "/" reach the
// search box.
"use strict";

function thiduaKindFields() {
  var kind = document.getElementById("nominee_kind");
  if (!kind) return;
  var show = function () {
    var individual = kind.value === "individual";
    document.querySelectorAll('[data-kind="individual"]').forEach(function (el) {
      el.hidden = !individual;
    });
  };
  kind.addEventListener("change", show);
  show();
}

function thiduaSyncProgress() {
  var box = document.getElementById("sync");
  if (!box || box.dataset.phase !== "running") return;
  var bar = document.getElementById("sync-progress");
  var text = document.getElementById("sync-state");
  var poll = function () {
    fetch("/sync/state", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.phase !== "running") {
          window.location.reload();
          return;
        }
        bar.hidden = false;
        bar.max = s.total > 0 ? s.total : 1;
        bar.value = s.pushed;
        text.textContent = s.text;
        window.setTimeout(poll, 500);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  };
  window.setTimeout(poll, 300);
}

function thiduaSearchKey() {
  var q = document.getElementById("q");
  if (!q) return;
  document.addEventListener("keydown", function (e) {
    var t = e.target.tagName;
    if (e.key === "/" && t !== "INPUT" && t !== "TEXTAREA" && t !== "SELECT") {
      e.preventDefault();
      q.focus();
    }
  });
}

document.addEventListener("DOMContentLoaded", function () {
  thiduaKindFields();
  thiduaSyncProgress();
  thiduaSearchKey();
});
