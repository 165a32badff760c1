/* Exports: a busy state while an export is prepared. The export runs in the request; on submit the form says it
   is working and its button is disabled against double submission. Works without this script (plain forms). */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-export-form]");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function () {
      var busy = form.querySelector(".export-busy");
      var button = form.querySelector("button[type=submit]");
      form.setAttribute("aria-busy", "true");
      if (busy) busy.hidden = false;
      if (button) window.setTimeout(function () { button.disabled = true; }, 0);
    });
  });
  // Coming back to the page (history) must not leave it looking busy.
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(forms, function (form) {
      form.removeAttribute("aria-busy");
      var busy = form.querySelector(".export-busy");
      var button = form.querySelector("button[type=submit]");
      if (busy) busy.hidden = true;
      if (button) button.disabled = false;
    });
  });
})();
