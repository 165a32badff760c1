// The ballot sheet's QR code opens /e/#CODE: the fragment never reaches the server or its logs. Put the code
// into the form and take it out of the address bar (and so out of the browser's history).
(function () {
  "use strict";
  var field = document.querySelector('input[name="code"]');
  var code = decodeURIComponent((window.location.hash || "").slice(1)).trim();
  if (field && code && !field.value) {
    field.value = code;
  }
  if (code && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname);
  }
})();
