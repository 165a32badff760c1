// A form carrying data-confirm (an action that cannot be undone, or that takes ballots out of the count) asks the
// person before it is sent. Without JavaScript the form is sent as it is.
document.addEventListener("submit", (event) => {
  const text = event.target.dataset ? event.target.dataset.confirm : "";
  if (text && !window.confirm(text)) event.preventDefault();
});
