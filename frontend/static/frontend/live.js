/* Majlis live pages, the shared core (no build step, no library): the session's WebSocket, versions, the
   connection badge and note, the REST helper and the result bars. Each screen adds its own script after this
   one (participant.js, projector.js, console.js) and registers itself with MajlisLive.screen({...}):
     start()               once, before the socket opens;
     state(state, newer)   every state at least as new as the one shown (newer: its version is higher);
     open()                each time the socket (re)opens.
   Every page works without these scripts (plain forms). With them, the page listens to the session's
   WebSocket, renders each `state` message (ignoring older versions), reconnects with backoff and resynchronises
   from the REST state. */
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root || !("WebSocket" in window) || !window.fetch) return;

  var mode = root.dataset.mode;
  var code = root.dataset.code || "";
  var token = root.dataset.token || "";
  var api = root.dataset.api || "/api/v1/sessions/" + code;
  var labelsEl = document.getElementById("live-labels");
  var L = labelsEl ? JSON.parse(labelsEl.textContent) : {};
  var ballotsEl = document.getElementById("live-ballots");
  var ballots = ballotsEl ? JSON.parse(ballotsEl.textContent) : {};
  var shown = parseInt(root.dataset.version, 10) || 0;
  var phase = root.dataset.phase;
  var statusEl = document.getElementById("live-status");
  var connEl = document.getElementById("connection");
  var noteEl = document.getElementById("connection-note");
  var lastState = null;
  var screen = { start: function () {}, state: function () {}, open: function () {} };
  var KIND_OF_PHASE = { challenges: "challenge", challenge_voting: "challenge", proposals: "proposal",
    proposal_voting: "proposal" };

  // --- small helpers ------------------------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text, auto) {
    var node = document.createElement(tag);
    if (auto) node.dir = "auto";
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function fmt(template, n) { return String(template || "%(n)s").replace("%(n)s", n); }
  function say(message, isError) {
    if (!statusEl) return;
    statusEl.textContent = message || "";
    statusEl.classList.toggle("is-error", !!isError);
  }
  function headers(json) {
    var h = { "Accept": "application/json" };
    if (json) h["Content-Type"] = "application/json";
    if (token) h.Authorization = "Participant " + token;
    var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (csrf) h["X-CSRFToken"] = csrf.value;
    return h;
  }
  function call(method, path, body) {
    return fetch(api + path, {
      method: method, headers: headers(body !== undefined), credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        // No detail (a proxy's or a crashed server's page): the page's own words, not the browser's English.
        if (!response.ok) throw new Error(data.detail || L.noAnswer || response.statusText || String(response.status));
        return data;
      });
    }, function () {
      var error = new Error(L.offline || "offline");
      error.offline = true; // the request never reached the server: it may be sent again
      throw error;
    });
  }
  // A result's count in words: "12 points" under dot voting, "12 votes" under approval voting, in the page's
  // language with its plural forms. L.counts (the view's _bar_labels) lists each word's forms and, for n < 200,
  // which form n takes; from 100 on the forms repeat every 100. Without it, the older "votes" labels.
  function count(n, method) {
    n = n || 0;
    var counts = L.counts;
    if (!counts) return n === 1 && L.votes1 ? L.votes1 : fmt(L.votesN, n);
    var index = counts.index[n < counts.index.length ? n : 100 + n % 100];
    return fmt((method === "dot" ? counts.points : counts.votes)[index], n);
  }
  function methodOf(state, kind) {
    var rules = state && state.voting && state.voting[kind];
    return rules ? rules.method : "approval";
  }
  // items ranked by their count (ties: the older first), as an <ol> of bars; method: the kind's voting method.
  function bars(items, method) {
    var top = 0;
    items = items.slice().sort(function (a, b) { return (b.votes || 0) - (a.votes || 0) || a.id - b.id; });
    items.forEach(function (it) { top = Math.max(top, it.votes || 0); });
    var list = el("ol", "bars");
    items.forEach(function (it) {
      var row = el("li", "bar-row");
      row.dataset.item = it.id;
      row.appendChild(el("span", "bar-label", it.text, true));
      var track = el("span", "bar-track");
      track.setAttribute("aria-hidden", "true");
      var fill = el("span", "bar-fill");
      fill.style.setProperty("--pct", (top ? Math.round(100 * (it.votes || 0) / top) : 0) + "%");
      track.appendChild(fill);
      row.appendChild(track);
      row.appendChild(el("span", "bar-value", count(it.votes, method)));
      list.appendChild(row);
    });
    return list;
  }
  function resultsInto(container, state, limit, kinds) {
    container.textContent = "";
    (kinds || ["challenge", "proposal"]).forEach(function (kind) {
      var items = state.items.filter(function (it) { return it.kind === kind && it.status === "approved"; });
      if (!items.length) return;
      container.appendChild(el(mode === "projector" ? "h2" : "h3", null, L.kinds[kind]));
      var list = bars(items, methodOf(state, kind));
      while (limit && list.children.length > limit) list.removeChild(list.lastChild);
      container.appendChild(list);
    });
  }

  // --- the socket ---------------------------------------------------------------------------------------
  var socket = null;
  var attempts = 0;
  var retryTimer = null;
  var heartbeat = null;
  var unanswered = 0;
  var noteTimer = null;
  function note(key, isBack) {
    if (!noteEl) return;
    clearTimeout(noteTimer);
    noteEl.textContent = key ? (noteEl.dataset[key] || "") : "";
    noteEl.classList.toggle("is-back", !!isBack);
    if (isBack) noteTimer = setTimeout(function () { note(null); }, 6000);
  }
  function showConnection(up) {
    if (!connEl) return;
    var wasDown = connEl.classList.contains("is-down");
    connEl.hidden = false;
    connEl.textContent = up ? (L.connected || "Live") : (L.reconnecting || "Reconnecting…");
    connEl.classList.toggle("is-down", !up);
    if (!up && !wasDown) note("down");
    else if (up && wasDown) note("back", true);
  }
  function showGone() {
    var text = L.gone || "This session no longer exists.";
    if (connEl) {
      connEl.hidden = false;
      connEl.textContent = text;
      connEl.classList.add("is-down");
    }
    if (noteEl) {
      clearTimeout(noteTimer);
      noteEl.textContent = text;
      noteEl.classList.remove("is-back");
    }
  }
  function retry() {
    attempts += 1;
    var delay = Math.min(30000, 1000 * Math.pow(2, Math.min(attempts - 1, 5)));
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay / 2 + Math.random() * delay / 2);
  }
  // The socket is given up (network gone, no answer to pings): forget it at once, say so and try again later.
  function drop() {
    clearInterval(heartbeat);
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      try { socket.close(); } catch (e) { /* already closed */ }
      socket = null;
    }
    showConnection(false);
    retry();
  }
  function connect() {
    clearTimeout(retryTimer);
    if (socket && socket.readyState <= 1) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.dataset.ws);
    socket.onopen = function () {
      var wasDown = attempts > 0 || (connEl && connEl.classList.contains("is-down"));
      attempts = 0;
      unanswered = 0;
      showConnection(true);
      screen.open();
      if (token) socket.send(JSON.stringify({ type: "hello", token: token }));
      if (wasDown) resync();
      clearInterval(heartbeat);
      heartbeat = setInterval(function () {
        if (unanswered >= 2) { drop(); return; }
        unanswered += 1;
        try { socket.send(JSON.stringify({ type: "ping" })); } catch (e) { drop(); }
      }, 10000);
    };
    socket.onmessage = function (event) {
      unanswered = 0;
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type === "state") apply(message);
    };
    socket.onclose = function (event) {
      clearInterval(heartbeat);
      socket = null;
      if (event.code === 4404) { // the session no longer exists (deleted): say so, and do not reconnect
        showGone();
        return;
      }
      showConnection(false);
      retry();
    };
  }
  window.addEventListener("offline", function () { if (socket) drop(); });
  window.addEventListener("online", function () { attempts = 0; connect(); });
  function resync() {
    call("GET", "/state").then(function (state) { apply(state); }, function () { /* the socket retries */ });
  }
  function apply(state) {
    if (!state || typeof state.version !== "number" || state.version < shown) return;
    var newer = state.version > shown;
    shown = state.version;
    lastState = state;
    var count = $("headcount");
    if (count) count.textContent = state.participants;
    screen.state(state, newer);
  }

  // --- what the screens' scripts use ----------------------------------------------------------------------
  window.MajlisLive = {
    root: root, mode: mode, code: code, token: token, labels: L, ballots: ballots,
    KIND_OF_PHASE: KIND_OF_PHASE,
    $: $, el: el, fmt: fmt, say: say, call: call, bars: bars, count: count, methodOf: methodOf,
    resultsInto: resultsInto, resync: resync,
    note: note,
    phase: function () { return phase; },
    setPhase: function (value) { phase = value; },
    state: function () { return lastState; },
    screen: function (handlers) {
      Object.keys(handlers).forEach(function (name) { screen[name] = handlers[name]; });
    }
  };
  document.addEventListener("DOMContentLoaded", function () {
    screen.start();
    connect();
  });
})();

