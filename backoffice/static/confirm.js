// Forms with data-confirm ask before submitting (no inline handlers: the Content-Security-Policy allows none).
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
}, true);
