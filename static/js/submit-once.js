// A second click while the first request runs would only be refused by the
// server; disabling the button spares the user that message.
(function () {
  "use strict";
  document.querySelectorAll("form.submit-once").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("[data-submit-once]").forEach(function (button) { button.disabled = true; });
    });
  });
})();
