// Replies to the reviewer's queries answer at the reply: a saved reply is
// confirmed beside its button, a refused one is explained there with the
// typed text kept. Focus stays at the reply after htmx replaced it. When the
// answer is not a reply at all (the session ended and the login page came
// back, a 403, a server error, no network), nothing is swapped: the text
// stays in the field and the reason is shown beside the button.
(function () {
  "use strict";

  function replyForm(event) {
    // htmx names the target in detail.elt of swap events; the form that
    // sent the request is in detail.requestConfig.elt.
    var detail = event.detail || {};
    var element = (detail.requestConfig && detail.requestConfig.elt) || detail.elt;
    return element && element.matches && element.matches("form[data-reply-form]") ? element : null;
  }

  function refuse(form, message) {
    var status = form.querySelector("[data-reply-status]");
    if (!status) { return; }
    status.textContent = message;
    status.classList.remove("text-success-emphasis");
    status.classList.add("text-danger-emphasis");
    status.focus();
  }

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var form = replyForm(event);
    if (!form) { return; }
    var xhr = event.detail.xhr;
    var isReply = xhr.status < 400 && (xhr.responseText || "").indexOf("data-query-reply") !== -1;
    if (isReply) { return; }
    event.detail.shouldSwap = false;
    event.detail.isError = false;
    var signedOut = xhr.status === 403 || xhr.status === 401 || xhr.status < 400;
    refuse(form, form.getAttribute(signedOut ? "data-login-message" : "data-error-message"));
  });

  document.body.addEventListener("htmx:sendError", function (event) {
    var form = replyForm(event);
    if (form) { refuse(form, form.getAttribute("data-error-message")); }
  });

  document.body.addEventListener("htmx:afterSettle", function () {
    var card = document.querySelector("[data-query-reply][data-reply-just]");
    if (!card) { return; }
    var saved = card.getAttribute("data-reply-just") === "ok";
    card.removeAttribute("data-reply-just");
    var target = saved
      ? card.querySelector("[data-reply-status]")
      : card.querySelector("[data-reply-error]") || card.querySelector("textarea");
    if (target) {
      if (!target.hasAttribute("tabindex") && target.tagName !== "TEXTAREA") { target.setAttribute("tabindex", "-1"); }
      target.focus();
    }
  });
})();
