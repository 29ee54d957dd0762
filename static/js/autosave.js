// Autosave of a criterion's answer (htmx posts the form, see
// _criterion_card.html) made safe against an ended session:
//
// - Every entry is also kept in this browser (localStorage, one key per
//   assessment and criterion) until the server confirms it was saved (the
//   answer carries X-Answer-Saved).
// - An autosave that reached the login page (htmx follows the redirect of an
//   ended session; the login page says so with X-Login-Page), or was refused
//   with 401/403 (an expired form token after the session ended), says
//   "Nicht gespeichert – bitte neu anmelden" in the card's status line, with
//   a link that signs in and returns to this criterion.
// - When the page shows a criterion whose kept entries differ from what the
//   server has, the card offers them back (restore, or discard).
// - Any other failure (server error, network gone) is said in the status line.
(function () {
  "use strict";
  var PREFIX = "gfz-entwurf:";
  // htmx copies `style` from old to new elements while settling a swap. No
  // style attribute may be set under the Content-Security-Policy, and
  // Chromium leaves empty ones on inputs after a sign-in form was sent (its
  // password manager), so settling them would be reported as a violation.
  if (window.htmx) {
    window.htmx.config.attributesToSettle = window.htmx.config.attributesToSettle.filter(function (name) {
      return name !== "style";
    });
  }
  var SKIP = /(^csrfmiddlewaretoken$|-version$)/;

  function storage() {
    try {
      return window.localStorage;
    } catch (error) {
      return null; // storage switched off: autosave still works, nothing is kept
    }
  }

  function isAutosave(form) {
    return form && form.hasAttribute && form.hasAttribute("data-autosave");
  }

  function keyOf(form) {
    return PREFIX + form.getAttribute("data-draft-key");
  }

  // The entries a person makes: text fields and checked choices, by name.
  function entries(form) {
    var result = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || SKIP.test(field.name) || field.type === "submit" || field.type === "button") { return; }
      if ((field.type === "radio" || field.type === "checkbox") && !field.checked) { return; }
      if (field.type === "hidden" || field.type === "file") { return; }
      result.push([field.name, field.value]);
    });
    return result;
  }

  function same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  function narrativeOf(list) {
    for (var i = 0; i < list.length; i += 1) {
      if (/-narrative$/.test(list[i][0])) { return list[i][1]; }
    }
    return "";
  }

  function keep(form) {
    var store = storage();
    if (!store) { return; }
    try {
      store.setItem(keyOf(form), JSON.stringify({ entries: entries(form), at: Date.now() }));
    } catch (error) { /* full or forbidden: nothing more to do */ }
  }

  function kept(form) {
    var store = storage();
    if (!store) { return null; }
    try {
      var value = JSON.parse(store.getItem(keyOf(form)) || "null");
      return value && Array.isArray(value.entries) ? value : null;
    } catch (error) {
      return null;
    }
  }

  function forget(form) {
    var store = storage();
    if (store) { store.removeItem(keyOf(form)); }
  }

  function statusOf(form) {
    return document.getElementById(form.getAttribute("data-status"));
  }

  function showError(form, text) {
    var status = statusOf(form);
    if (!status) { return; }
    status.textContent = text;
    status.classList.remove("is-saved");
    status.classList.add("text-danger", "is-failed");
  }

  function showSessionEnded(form) {
    var status = statusOf(form);
    if (!status) { return; }
    status.textContent = "";
    status.classList.remove("is-saved");
    status.classList.add("text-danger", "is-failed");
    var strong = document.createElement("strong");
    strong.textContent = form.getAttribute("data-session-message");
    var link = document.createElement("a");
    link.href = form.getAttribute("data-login-url");
    link.textContent = form.getAttribute("data-login-label");
    link.className = "link-danger ms-1";
    link.setAttribute("data-login-link", "");
    status.appendChild(strong);
    status.appendChild(document.createTextNode(". "));
    status.appendChild(link);
    status.appendChild(document.createTextNode(". " + form.getAttribute("data-kept-message")));
  }

  function sessionEnded(xhr) {
    if (!xhr) { return false; }
    if (xhr.getResponseHeader("X-Login-Page")) { return true; }
    return xhr.status === 401 || xhr.status === 403;
  }

  function restore(form, list) {
    var wanted = {};
    list.forEach(function (pair) { wanted[pair[0] + "\u0000" + pair[1]] = true; });
    var names = {};
    list.forEach(function (pair) { names[pair[0]] = pair[1]; });
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || SKIP.test(field.name) || field.type === "hidden" || field.type === "file") { return; }
      if (field.type === "radio" || field.type === "checkbox") {
        field.checked = Boolean(wanted[field.name + "\u0000" + field.value]);
      } else if (field.tagName === "TEXTAREA" || field.type === "text") {
        field.value = Object.prototype.hasOwnProperty.call(names, field.name) ? names[field.name] : "";
      }
    });
  }

  function offer(form, draft) {
    var box = form.querySelector("[data-draft-offer]");
    if (!box || box.hasAttribute("data-bound")) { return; }
    box.setAttribute("data-bound", "");
    var preview = box.querySelector("[data-draft-preview]");
    if (preview) { preview.textContent = narrativeOf(draft.entries) || "–"; }
    box.hidden = false;
    var textarea = form.querySelector("textarea");
    box.querySelector("[data-draft-restore]").addEventListener("click", function () {
      restore(form, draft.entries);
      box.hidden = true;
      if (textarea) { textarea.focus(); }
      // An autosave of what came back; kept until the server confirms it.
      keep(form);
      form.dispatchEvent(new Event("change", { bubbles: true }));
    });
    box.querySelector("[data-draft-discard]").addEventListener("click", function () {
      forget(form);
      box.hidden = true;
      if (textarea) { textarea.focus(); }
    });
  }

  function check(root) {
    root.querySelectorAll("form[data-autosave]").forEach(function (form) {
      var draft = kept(form);
      if (!draft) { return; }
      if (same(draft.entries, entries(form))) {
        forget(form); // what the page shows is what was kept: saved meanwhile
      } else {
        offer(form, draft);
      }
    });
  }

  document.addEventListener("input", function (event) {
    if (event.target.form && isAutosave(event.target.form)) { keep(event.target.form); }
  });
  document.addEventListener("change", function (event) {
    if (event.target.form && isAutosave(event.target.form)) { keep(event.target.form); }
  });

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail && event.detail.elt;
    if (isAutosave(form)) { form.autosaveSent = entries(form); }
  });

  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail && event.detail.elt;
    if (!isAutosave(form)) { return; }
    var xhr = event.detail.xhr;
    if (sessionEnded(xhr)) {
      showSessionEnded(form);
      return;
    }
    if (!xhr || xhr.status < 200 || xhr.status >= 300) {
      showError(form, form.getAttribute("data-error-message"));
      return;
    }
    if (xhr.getResponseHeader("X-Answer-Saved")) {
      // Typed on while the request travelled? Then keep the newer entries.
      if (form.autosaveSent && same(form.autosaveSent, entries(form))) { forget(form); } else { keep(form); }
      var status = statusOf(form);
      if (status) { status.classList.remove("text-danger", "is-failed"); }
    }
  });

  check(document);
})();
