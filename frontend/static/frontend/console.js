/* Majlis facilitator console (after live.js): re-reads the server-rendered page and swaps its live part. */
(function () {
  "use strict";
  var live = window.MajlisLive;
  if (!live) return;
  var root = live.root, code = live.code, L = live.labels, KIND_OF_PHASE = live.KIND_OF_PHASE;
  var $ = live.$, el = live.el, say = live.say, call = live.call, resultsInto = live.resultsInto;
  // --- console: re-read the server-rendered page and swap the live part ---------------------------------
  var refreshing = false;
  var again = false;
  function busyEditing(region) {
    var active = document.activeElement;
    if (active && region.contains(active) && /^(TEXTAREA|SELECT|INPUT)$/.test(active.tagName)) return true;
    return Array.prototype.some.call(region.querySelectorAll("details[open] textarea"), function (area) {
      return area.value !== area.defaultValue;
    });
  }
  function refreshConsole() {
    var region = $("console-live");
    if (!region) return;
    if (refreshing || busyEditing(region)) { again = true; return; }
    refreshing = true;
    fetch(location.pathname, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("console-live");
        if (fresh && !busyEditing(region)) region.innerHTML = fresh.innerHTML;
      })
      .catch(function () { /* the next change retries */ })
      .then(function () {
        setTimeout(function () {
          refreshing = false;
          if (again) { again = false; refreshConsole(); }
        }, 1000);
      });
  }
  document.addEventListener("focusout", function () {
    if (again && !refreshing) setTimeout(refreshConsole, 300);
  });

  live.screen({ state: function (state, newer) { if (newer) refreshConsole(); } });
})();
