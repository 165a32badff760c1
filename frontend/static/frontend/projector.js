/* Majlis projector (after live.js): the room's approved items of the phase, or the results when they are shown. */
(function () {
  "use strict";
  var live = window.MajlisLive;
  if (!live) return;
  var root = live.root, code = live.code, L = live.labels, KIND_OF_PHASE = live.KIND_OF_PHASE;
  var $ = live.$, el = live.el, say = live.say, call = live.call, resultsInto = live.resultsInto;
  // --- projector ------------------------------------------------------------------------------------------
  function renderProjector(state) {
    if (state.code && state.code !== code) { location.reload(); return; }
    if (state.phase !== live.phase()) {
      live.setPhase(state.phase);
      $("phase-name").textContent = L.phases[state.phase] || state.phase;
      $("phase-instruction").textContent = L.instructions[state.phase] || "";
    }
    var phase = live.phase();
    var locked = $("locked-note");
    if (locked) locked.hidden = !state.locked;
    var approved = state.items.filter(function (it) { return it.status === "approved"; });
    var kind = KIND_OF_PHASE[phase];
    if (!kind) kind = approved.some(function (it) { return it.kind === "proposal"; }) ? "proposal" : "challenge";
    var results = $("projector-results");
    var list = $("projector-items");
    results.hidden = !state.results_visible;
    list.hidden = !!state.results_visible;
    if (state.results_visible) {
      var bars = parseInt(root.dataset.bars || "6", 10);
      var phaseKind = KIND_OF_PHASE[phase];
      resultsInto(results, state, phaseKind ? bars : Math.floor(bars / 2), phaseKind ? [phaseKind] : null);
      return;
    }
    var items = approved.filter(function (it) { return it.kind === kind; }).slice(-parseInt(root.dataset.items || "7", 10));
    var wanted = {};
    items.forEach(function (it) { wanted[it.id] = it; });
    Array.prototype.slice.call(list.children).forEach(function (li) {
      var it = wanted[li.dataset.item];
      if (!it) list.removeChild(li);
      else if (li.textContent !== it.text) li.textContent = it.text;
    });
    items.forEach(function (it) {
      if (!list.querySelector('[data-item="' + it.id + '"]')) {
        var li = el("li", null, it.text, true);
        li.dataset.item = it.id;
        list.appendChild(li);
      }
    });
  }

  live.screen({ state: renderProjector });
})();
