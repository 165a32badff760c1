// The voters' register follows the vote: every 15 seconds it fetches itself and replaces what changed, so the reader
// keeps their place (a timed reload sends a screen reader back to the top of the page). Without JavaScript the page
// reloads itself (<noscript> refresh).
(() => {
  const region = document.querySelector("[data-register]");
  if (!region) return;
  setInterval(async () => {
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.querySelector("[data-register]");
      if (!fresh) {
        window.location.reload(); // voting closed: the page no longer lists names
      } else if (fresh.innerHTML !== region.innerHTML) {
        region.innerHTML = fresh.innerHTML;
      }
    } catch (error) {
      // Offline for a moment: the next tick tries again.
    }
  }, 15000);
})();
