// An autosave that fails (server error, network gone) must not pass silently:
// the criterion's status line says so, and the entries stay in the form for
// a plain "Speichern".
(function () {
  "use strict";
  function report(event) {
    var form = event.detail && event.detail.elt;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-autosave")) { return; }
    var status = document.getElementById(form.getAttribute("data-status"));
    if (status) {
      status.textContent = form.getAttribute("data-error-message");
      status.classList.add("text-danger");
    }
  }
  document.body.addEventListener("htmx:responseError", report);
  document.body.addEventListener("htmx:sendError", report);
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail && event.detail.elt;
    if (event.detail.successful && form && form.hasAttribute && form.hasAttribute("data-autosave")) {
      var status = document.getElementById(form.getAttribute("data-status"));
      if (status) { status.classList.remove("text-danger"); }
    }
  });
})();
