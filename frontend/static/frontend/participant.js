/* Majlis participant page (after live.js): the room's items, votes and submissions through the REST API with the
   participant's token. Losing the connection: the page says so in words (#connection-note, aria-live), keeps what
   was typed (also across a reload), reconnects with backoff and catches up from the REST state; a vote made
   without a network is queued (kept in sessionStorage) and sent when the connection returns, or reported as not
   sent if the server refuses it then.
   Staying current: the participant's own items and ballots are re-read (GET …/me) only when a state shows that one
   of them changed (approved, hidden, merged: the state's items, `hidden` and `merged`), and every tab of the same
   participant is told of each new /me read (BroadcastChannel, else a storage event), so all agree on points left.
   What is typed is kept per kind (challenge, proposal) in sessionStorage: restored in the box of its kind, and shown
   to copy under "Written but not sent" while the session collects the other kind or none. */
(function () {
  "use strict";
  var live = window.MajlisLive;
  if (!live) return;
  var root = live.root, code = live.code, L = live.labels, KIND_OF_PHASE = live.KIND_OF_PHASE;
  var $ = live.$, el = live.el, say = live.say, call = live.call, resultsInto = live.resultsInto;
  var ballots = live.ballots;
  var token = live.token;
  var statusEl = $("live-status");
  var noteEl = $("connection-note");
  // --- participant ----------------------------------------------------------------------------------------
  function draftKey(kind) { return "majlis-draft-" + code + "-" + kind; }
  var KINDS = ["challenge", "proposal"];
  var mineEl = document.getElementById("live-mine");
  var mine = mineEl ? JSON.parse(mineEl.textContent).items : {}; // my item id -> status, as last read from /me
  var mergedSeen = null; // the merges that touch my items or ballots, as last seen in a state
  var refreshTimer = null;
  var tabs = null; // a channel to this participant's other tabs
  var queueKey = "majlis-queue-" + code;
  var noticeKey = "majlis-notice-" + code;
  var voteSignature = "";
  var queue = {}; // item id -> {points, withdraw}: votes made while the network was gone
  var flushing = false;
  var reloadWanted = false;
  function store(key, value) {
    try {
      if (value) sessionStorage.setItem(key, value); else sessionStorage.removeItem(key);
    } catch (e) { /* private mode: kept in this page only */ }
  }
  function saveQueue() { store(queueKey, Object.keys(queue).length ? JSON.stringify(queue) : ""); }
  function submitArea() { return document.querySelector(".submit-form textarea"); }
  function submitKind() {
    var form = document.querySelector(".submit-form");
    return form ? form.elements.kind.value : "";
  }
  function reloadKeepingWhatWasTyped() {
    var area = submitArea();
    if (area && area.value.trim()) store(draftKey(submitKind()), area.value);
    if (statusEl && statusEl.textContent && statusEl.classList.contains("is-error")) { // e.g. a vote refused
      store(noticeKey, JSON.stringify({ text: statusEl.textContent, error: statusEl.classList.contains("is-error") }));
    }
    location.reload();
  }
  function renderParticipant(state) {
    if (state.phase !== live.phase()) {
      // Votes still queued are sent (or reported as refused) before the page changes.
      if (flushing) { reloadWanted = true; return; }
      reloadKeepingWhatWasTyped();
      return;
    }
    checkMine(state);
    var kindNow = KIND_OF_PHASE[state.phase];
    var room = $("room-list");
    if (room && kindNow) {
      var roomItems = state.items.filter(function (it) { return it.kind === kindNow; });
      room.textContent = "";
      roomItems.forEach(function (it) { room.appendChild(el("li", null, it.text, true)); });
      if (!roomItems.length) room.appendChild(el("li", "muted", L.nothingYet));
    }
    renderVotes(state);
    var results = $("results");
    if (results) {
      results.hidden = !state.results_visible;
      if (state.results_visible) resultsInto($("results-body"), state);
    }
  }
  function voteItem(it) {
    var method = root.dataset.votingMethod;
    var given = ballots[it.id] || 0;
    var li = el("li", "vote-item" + (given ? " is-mine" : ""));
    li.id = "item-" + it.id;
    li.dataset.item = it.id;
    li.appendChild(el("p", "vote-text", it.text, true));
    var form = el("form", "vote-form");
    form.method = "post";
    form.action = root.dataset.voteUrl;
    form.noValidate = true; // a number over the limit is answered by the server, in the page's language
    var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (csrf) form.appendChild(csrf.cloneNode());
    var hidden = el("input");
    hidden.type = "hidden"; hidden.name = "item"; hidden.value = it.id;
    form.appendChild(hidden);
    var shownIn = el("input"); // the phase this form was shown in (the server's answer if the session moved on)
    shownIn.type = "hidden"; shownIn.name = "phase"; shownIn.value = live.phase();
    form.appendChild(shownIn);
    if (method === "dot") {
      var label = el("label", null, L.myPoints);
      label.htmlFor = "points-" + it.id;
      var input = el("input", "points-input");
      input.type = "number"; input.name = "points"; input.id = "points-" + it.id; input.min = 0;
      input.max = root.dataset.maxPerItem; input.value = given; input.inputMode = "numeric";
      var give = el("button", "button", L.give);
      give.type = "submit";
      form.appendChild(label); form.appendChild(input); form.appendChild(give);
    } else {
      if (given) {
        var withdraw = el("input");
        withdraw.type = "hidden"; withdraw.name = "withdraw"; withdraw.value = "1";
        form.appendChild(withdraw);
      }
      var toggle = el("button", "button vote-toggle" + (given ? " is-on" : " button-secondary"), given ? L.voted : L.vote);
      toggle.type = "submit";
      toggle.setAttribute("aria-pressed", given ? "true" : "false");
      form.appendChild(toggle);
    }
    li.appendChild(form);
    if (queue[it.id]) markQueued(li);
    return li;
  }
  function markQueued(li) {
    li.classList.add("is-queued");
    if (!li.querySelector(".vote-queued") && noteEl) {
      var waiting = el("p", "vote-queued", noteEl.dataset.waiting);
      li.querySelector(".vote-form").appendChild(waiting);
    }
  }
  function flush() {
    var ids = Object.keys(queue);
    if (!ids.length || flushing) return;
    flushing = true;
    var sent = 0;
    var refused = [];
    ids.reduce(function (chain, id) {
      return chain.then(function () {
        var vote = queue[id];
        var request = vote.withdraw ? call("DELETE", "/votes/" + id)
          : call("POST", "/votes", { item: parseInt(id, 10), points: vote.points });
        return request.then(function () {
          delete queue[id];
          if (vote.withdraw) delete ballots[id]; else ballots[id] = vote.points;
          sent += 1;
        }, function (error) {
          if (error.offline) throw error; // still no network: the rest stays queued
          delete queue[id];
          refused.push(error.message);
        });
      });
    }, Promise.resolve()).catch(function () { /* retried when the connection returns */ }).then(function () {
      saveQueue();
      if (refused.length) say(L.notSent + " " + refused[0], true);
      else if (sent && noteEl) say(noteEl.dataset.sentLater, false);
      return refreshMine().catch(function () {});
    }).then(function () {
      flushing = false;
      if (reloadWanted) { reloadKeepingWhatWasTyped(); return; }
      if (live.state()) renderVotes(live.state(), true);
      else document.querySelectorAll("#vote-list .vote-item").forEach(function (li) {
        if (!queue[li.dataset.item]) {
          li.classList.remove("is-queued");
          var waiting = li.querySelector(".vote-queued");
          if (waiting) waiting.remove();
        }
      });
    });
  }
  function renderVotes(state, force) {
    var list = $("vote-list");
    var kind = root.dataset.votingKind;
    if (!list || !kind) return;
    var items = state.items.filter(function (it) { return it.kind === kind; });
    var signature = items.map(function (it) { return it.id + ":" + it.text + ":" + (ballots[it.id] || 0); }).join("|");
    if (signature === voteSignature && !force) return;
    if (!force && list.contains(document.activeElement) && document.activeElement.type === "number") return;
    voteSignature = signature;
    list.textContent = "";
    items.forEach(function (it) { list.appendChild(voteItem(it)); });
    if (!items.length) list.appendChild(el("li", "muted", L.nothingToVote));
  }
  function isDot(kind) {
    var state = live.state();
    var rules = state && state.voting ? state.voting[kind] : null;
    if (rules) return rules.method === "dot";
    return kind === root.dataset.votingKind && root.dataset.votingMethod === "dot";
  }
  // The status each of my items has by the state (approved: on the screen; hidden; merged; else still pending), and
  // the merges that touch my items or ballots: when either differs from what this page knows, /me is re-read.
  function checkMine(state) {
    if (!state.hidden || !state.merged) return; // a server without these fields: nothing to compare with
    var shown = {}, hidden = {}, merged = {};
    state.items.forEach(function (it) { shown[it.id] = true; });
    state.hidden.forEach(function (id) { hidden[id] = true; });
    state.merged.forEach(function (m) { merged[m.id] = m.into; });
    var changed = Object.keys(mine).some(function (id) {
      var now = merged[id] ? "merged" : hidden[id] ? "hidden" : shown[id] ? "approved" : "pending";
      return now !== mine[id];
    }) || Object.keys(ballots).some(function (id) { return merged[id]; }); // a merge moves ballots to its target
    var touching = state.merged.filter(function (m) {
      return mine[m.id] || mine[m.into] || ballots[m.id] !== undefined || ballots[m.into] !== undefined;
    }).map(function (m) { return m.id + ">" + m.into; }).join(",");
    if (mergedSeen !== null && touching !== mergedSeen) changed = true;
    mergedSeen = touching;
    if (changed) refreshSoon();
  }
  // Debounced and spread: a burst of states (or a room of phones learning of one merge) costs one read per phone.
  function refreshSoon() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      refreshMine().then(function () {
        if (live.state()) renderVotes(live.state(), true);
      }, function () { /* the next change tries again */ });
    }, 300 + Math.random() * 700);
  }
  // This participant's other tabs (same browser, same token) learn each /me this tab reads.
  function openTabs() {
    var name = "majlis-me-" + code;
    function heard(me) {
      if (!me || !me.ballots) return;
      applyMe(me);
      if (live.state()) renderVotes(live.state(), true);
    }
    if ("BroadcastChannel" in window) {
      tabs = new BroadcastChannel(name);
      tabs.onmessage = function (event) { heard(event.data); };
    } else {
      window.addEventListener("storage", function (event) {
        if (event.key === name && event.newValue) {
          try { heard(JSON.parse(event.newValue).me); } catch (e) { /* not ours */ }
        }
      });
      tabs = { postMessage: function (me) { // set and removed at once: the other tabs hear it, nothing stays behind
        try {
          localStorage.setItem(name, JSON.stringify({ me: me, at: Date.now() }));
          localStorage.removeItem(name);
        } catch (e) { /* private mode */ }
      } };
    }
  }
  function refreshMine() {
    return call("GET", "/me").then(function (me) {
      applyMe(me);
      if (tabs) tabs.postMessage(me);
      return me;
    });
  }
  function applyMe(me) {
    mine = {};
    me.items.forEach(function (it) { mine[it.id] = it.status; });
    ballots = {};
    me.ballots.forEach(function (b) { ballots[b.item] = b.points; });
    var left = $("points-left");
    var kind = root.dataset.votingKind;
    if (left && kind && me.points_left[kind] !== null) left.textContent = me.points_left[kind];
    var mineItems = $("mine-items");
    if (mineItems) {
      mineItems.textContent = "";
      me.items.forEach(function (it) {
        var li = el("li");
        li.dataset.item = it.id;
        li.tabIndex = -1;
        li.appendChild(el("span", "badge status-" + it.status, L.statuses[it.status] || it.status));
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("span", null, it.text, true));
        mineItems.appendChild(li);
      });
      if (!me.items.length) mineItems.appendChild(el("li", "muted", L.nothingWritten));
    }
    var mineVotes = $("mine-votes");
    if (mineVotes) {
      var texts = {};
      (live.state() ? live.state().items : []).forEach(function (it) { texts[it.id] = it.text; });
      document.querySelectorAll("#vote-list .vote-item").forEach(function (li) {
        texts[li.dataset.item] = texts[li.dataset.item] || li.querySelector(".vote-text").textContent;
      });
      mineVotes.textContent = "";
      me.ballots.forEach(function (b) {
        var li = el("li");
        li.appendChild(el("span", null, texts[b.item] || "—", true));
        li.appendChild(document.createTextNode(" · "));
        li.appendChild(el("strong", null, isDot(b.kind) ? (L.pointsN[b.points] || b.points) : b.points));
        mineVotes.appendChild(li);
      });
      if (!me.ballots.length) mineVotes.appendChild(el("li", "muted", L.noVotes));
    }
  }
  function onVote(event) {
    var form = event.target.closest ? event.target.closest(".vote-form") : null;
    if (!form) return;
    event.preventDefault();
    var li = form.closest(".vote-item");
    var item = parseInt(form.querySelector("input[name=item]").value, 10);
    var points = form.elements.points ? parseInt(form.elements.points.value, 10) : 1;
    var withdraw = !!form.elements.withdraw || points === 0;
    if (isNaN(points) || points < 0) { say(L.notSent + " " + L.choosePoints, true); return; }
    var old = li.querySelector(".vote-error");
    if (old) old.remove();
    li.classList.add("is-sending");
    var request = withdraw ? call("DELETE", "/votes/" + item) : call("POST", "/votes", { item: item, points: points });
    request.then(function () {
      if (withdraw) delete ballots[item]; else ballots[item] = points;
      say(withdraw ? L.voteWithdrawn : L.voteCounted, false);
      return refreshMine().catch(function () {});
    }).then(function () {
      if (live.state()) renderVotes(live.state(), true);
      else li.classList.remove("is-sending");
      var again = $("item-" + item);
      var button = again && again.querySelector("button");
      if (button) button.focus();
    }, function (error) {
      li.classList.remove("is-sending");
      if (error.offline && noteEl) {
        queue[item] = { points: points, withdraw: withdraw };
        saveQueue();
        markQueued(li);
        say(noteEl.dataset.queued, true);
        return;
      }
      var message = L.notSent + " " + error.message;
      var note = el("p", "vote-error", message);
      note.setAttribute("role", "alert");
      form.appendChild(note);
      say(message, true);
    });
  }
  // The length the server counts: white space folded, as the service folds it before checking ITEM_TEXT_MAX.
  var wasOver = false;
  function folded(text) { return text.trim().split(/\s+/).join(" ").length; }
  function countDown(area) {
    var counter = $("text-counter");
    var most = parseInt(area.dataset.max, 10);
    if (!counter || !most) return 0;
    var over = folded(area.value) - most;
    counter.hidden = false;
    counter.textContent = live.fmt(over > 0 ? L.charsOver : L.charsLeft, Math.abs(over));
    counter.classList.toggle("is-over", over > 0);
    if (over > 0) area.setAttribute("aria-invalid", "true"); else area.removeAttribute("aria-invalid");
    // Said once, in the status, when the text goes over (typed or pasted: nothing is cut, as maxlength would do).
    if (over > 0 && !wasOver) say(L.tooLong, true);
    wasOver = over > 0;
    return over;
  }
  function tooLong(area) {
    say(L.notSubmitted + " " + L.tooLong, true);
    area.focus();
  }
  function onSubmit(event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("submit-form")) return;
    event.preventDefault();
    var area = form.elements.text;
    var kind = form.elements.kind.value;
    var result = $("submit-status");
    if (countDown(area) > 0) { tooLong(area); return; }
    var answers = [];
    form.querySelectorAll("input[name=answers]:checked").forEach(function (box) { answers.push(parseInt(box.value, 10)); });
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    call("POST", "/items", { kind: kind, text: area.value, answers: answers }).then(function (item) {
      area.value = "";
      countDown(area);
      form.querySelectorAll("input[name=answers]:checked").forEach(function (box) { box.checked = false; });
      store(draftKey(kind), "");
      var message = item.status === "pending" ? L.pending : L.sent;
      say(message, false);
      // Focus goes to the result, next to the button that was pressed, not back to the top of the page.
      if (result) { result.textContent = message; result.focus(); }
      mine[item.id] = item.status;
      refreshMine().catch(function () {});
    }, function (error) {
      if (result) result.textContent = "";
      say(L.notSubmitted + " " + error.message, true);
      area.setAttribute("aria-invalid", "true");
      area.focus();
    }).then(function () { button.disabled = false; });
  }
  // Texts typed for a kind the session does not collect now: shown to copy (read-only), or discarded by hand.
  function showDrafts() {
    var section = $("drafts"), list = $("drafts-list");
    if (!section || !list) return;
    var collecting = submitKind();
    list.querySelectorAll(".draft[data-stored]").forEach(function (node) { node.remove(); });
    KINDS.forEach(function (kind) {
      var text = null;
      try { text = sessionStorage.getItem(draftKey(kind)); } catch (e) { /* private mode */ }
      if (!text || !text.trim() || kind === collecting) return;
      var box = el("div", "draft");
      box.dataset.kind = kind;
      box.dataset.stored = "1";
      var label = el("label", null, L.draftKinds[kind]);
      label.htmlFor = "draft-" + kind;
      var copy = el("textarea", null, text, true);
      copy.id = "draft-" + kind; copy.readOnly = true; copy.rows = 3;
      var discard = el("button", "button button-secondary", L.discard);
      discard.type = "button";
      discard.addEventListener("click", function () {
        store(draftKey(kind), "");
        box.remove();
        showDrafts();
        var heading = $("drafts-title");
        if (!section.hidden) heading.focus(); else if ($("mine-title")) $("mine-title").focus();
      });
      box.appendChild(label); box.appendChild(copy); box.appendChild(discard);
      list.appendChild(box);
    });
    section.hidden = !list.querySelector(".draft");
  }
  function startParticipant() {
    var area = submitArea();
    try {
      var draft = area ? sessionStorage.getItem(draftKey(submitKind())) : null;
      if (area && draft && !area.value) area.value = draft;
      queue = JSON.parse(sessionStorage.getItem(queueKey) || "{}") || {};
      var notice = JSON.parse(sessionStorage.getItem(noticeKey) || "null");
      if (notice) say(notice.text, notice.error);
      sessionStorage.removeItem(noticeKey);
    } catch (e) { queue = {}; /* private mode */ }
    showDrafts();
    if (area) {
      area.setAttribute("aria-describedby", ((area.getAttribute("aria-describedby") || "") + " text-counter").trim());
      countDown(area);
    }
    openTabs();
    document.querySelectorAll("#vote-list .vote-item").forEach(function (li) {
      if (queue[li.dataset.item]) markQueued(li);
    });
    // What is typed survives a reload (a phase change, a lost connection), per kind; it is forgotten once sent.
    document.addEventListener("input", function (event) {
      var form = event.target.closest ? event.target.closest(".submit-form") : null;
      if (form && event.target.name === "text") {
        var result = $("submit-status");
        if (result) result.textContent = ""; // the last Send's result no longer describes what is in the box
        store(draftKey(form.elements.kind.value), event.target.value);
        countDown(event.target);
      }
    });
    document.addEventListener("submit", function (event) {
      if (event.target.classList.contains("vote-form")) onVote(event);
      else onSubmit(event);
    });
  }

  live.screen({ start: startParticipant, state: renderParticipant, open: flush });
})();
