// Progressive enhancement of evidence uploads (the criterion cards, the
// partner's cards and library): drag and drop onto the drop zone, a progress
// bar while the files travel, and the answer shown where the form is.
//
// Without JavaScript the form posts normally and the server redirects to the
// page with the results next to the form (messages tagged for the region,
// see assessments.views.evidence.region_tag). With JavaScript the request
// goes in the background and follows the same redirect; the answer is that
// page, so the script takes the form's region (the closest element with
// data-upload-region, found by its id) from it and swaps it in place, the
// results per file included. Whatever else the server said (a refusal of the
// body before the view, a message at the top of the page, an error page) is
// put into the region's results box: nothing is swallowed. An ended session
// (the login page answered, or 401/403) says so, with a link to sign in.
(function () {
  "use strict";

  function regionOf(form) {
    return form.closest("[data-upload-region]");
  }

  function resultsOf(form, region) {
    var box = region ? region.querySelector("[data-upload-results]") : null;
    if (box) { return box; }
    box = form.parentNode.querySelector("[data-upload-results]");
    if (box) { return box; }
    box = document.createElement("div");
    box.setAttribute("data-upload-results", "");
    box.tabIndex = -1;
    form.parentNode.insertBefore(box, form);
    return box;
  }

  function setProgress(progress, percent) {
    if (!progress) { return; }
    var bar = progress.querySelector(".progress-bar");
    if (bar) {
      bar.className = bar.className.replace(/\bprogress-w-\d+\b/g, "").trim() + " progress-w-" + percent;
    }
    progress.setAttribute("aria-valuenow", String(percent));
  }

  function setBusy(form, busy) {
    form.setAttribute("aria-busy", busy ? "true" : "false");
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = busy; }
    var progress = form.querySelector("[data-upload-progress]");
    if (progress) {
      progress.classList.toggle("d-none", !busy);
      if (!busy) { setProgress(progress, 0); }
    }
  }

  function alertBox(text, kind) {
    var div = document.createElement("div");
    div.className = "alert alert-" + kind + " py-2 px-3 mb-2 small";
    div.setAttribute("role", kind === "danger" ? "alert" : "status");
    div.setAttribute("data-result", kind === "danger" ? "error" : kind);
    div.textContent = text;
    return div;
  }

  // The server's own words on a page that is not ours to swap in.
  function messagesIn(doc) {
    var texts = [];
    if (!doc) { return texts; }
    doc.querySelectorAll("main [role=alert], main .alert").forEach(function (element) {
      var text = element.textContent.replace(/\s+/g, " ").trim();
      if (text && texts.indexOf(text) < 0) { texts.push(text); }
    });
    return texts;
  }

  function sessionEnded(form, box) {
    var div = alertBox("", "danger");
    var strong = document.createElement("strong");
    strong.textContent = form.getAttribute("data-session-message") || "";
    div.appendChild(strong);
    var url = form.getAttribute("data-login-url");
    if (url) {
      div.appendChild(document.createTextNode(" "));
      var link = document.createElement("a");
      link.href = url;
      link.className = "alert-link";
      link.textContent = form.getAttribute("data-login-label") || url;
      div.appendChild(link);
    }
    box.appendChild(div);
  }

  function failed(form, region, texts, session) {
    setBusy(form, false);
    var box = resultsOf(form, region);
    box.textContent = "";
    if (session) {
      sessionEnded(form, box);
    } else {
      texts.forEach(function (text) { box.appendChild(alertBox(text, "danger")); });
    }
    box.focus();
  }

  function fieldValues(form) {
    var values = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.type === "file" || field.type === "hidden" || field.type === "submit") { return; }
      values.push({ name: field.name, value: field.value, checked: field.checked });
    });
    return values;
  }

  function putBack(form, values) {
    values.forEach(function (saved) {
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name !== saved.name) { return; }
        if (field.type === "checkbox" || field.type === "radio") {
          if (field.value === saved.value) { field.checked = saved.checked; }
        } else {
          field.value = saved.value;
        }
      });
    });
  }

  function formIndex(region, form) {
    return Array.prototype.indexOf.call(region.querySelectorAll("form[data-upload]"), form);
  }

  function swap(form, region, fresh, doc) {
    var index = formIndex(region, form);
    var values = fieldValues(form);
    var open = [];
    region.querySelectorAll("details[open][id]").forEach(function (details) { open.push(details.id); });

    var replacement = document.importNode(fresh, true);
    var box = replacement.querySelector("[data-upload-results]");
    if (box) {
      // Messages the page showed at its top (say, a refusal of the request
      // body, which happens before the view could tag it) belong here too.
      doc.querySelectorAll("main .messages .alert").forEach(function (element) {
        box.appendChild(document.importNode(element, true));
      });
    }
    region.parentNode.replaceChild(replacement, region);
    open.forEach(function (id) {
      var details = document.getElementById(id);
      if (details) { details.open = true; }
    });

    var refused = replacement.querySelector("[data-result=error], [data-upload-results] .alert-danger");
    var again = replacement.querySelectorAll("form[data-upload]")[index];
    if (refused && again) {
      // Refused: the form stays as it was, ready for another file.
      putBack(again, values);
      var around = again.closest("details");
      if (around) { around.open = true; }
    }
    enhance(replacement);
    if (window.htmx) { window.htmx.process(replacement); }
    var focus = box && box.children.length ? box : replacement;
    if (!focus.hasAttribute("tabindex")) { focus.tabIndex = -1; }
    focus.focus();
  }

  function answered(form, region, request) {
    if (request.getResponseHeader("X-Login-Page") || request.status === 401 || request.status === 403) {
      failed(form, region, [], true);
      return;
    }
    var doc = request.responseType === "document" ? request.response : null;
    var fresh = doc && region && region.id ? doc.getElementById(region.id) : null;
    if (fresh && request.status < 400) {
      swap(form, region, fresh, doc);
      return;
    }
    var texts = messagesIn(doc);
    if (!texts.length) {
      texts.push((form.getAttribute("data-error-message") || "") + " (HTTP " + request.status + ")");
    }
    failed(form, region, texts, false);
  }

  function bindDropzone(form) {
    var zone = form.querySelector("[data-dropzone]");
    var input = form.querySelector("input[type=file]");
    if (!zone || !input) { return; }
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("bg-body-secondary");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("bg-body-secondary"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
      }
    });
  }

  function submit(event) {
    var form = event.currentTarget;
    if (!window.FormData || !window.XMLHttpRequest) { return; }
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") { return; }
    var region = regionOf(form);
    var data = new FormData(form);
    setBusy(form, true);
    var progress = form.querySelector("[data-upload-progress]");
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    request.responseType = "document";
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { setProgress(progress, Math.round((100 * e.loaded) / e.total)); }
    });
    request.addEventListener("load", function () { answered(form, region, request); });
    request.addEventListener("error", function () {
      failed(form, region, [form.getAttribute("data-error-message")], false);
    });
    request.send(data);
  }

  function enhance(root) {
    root.querySelectorAll("form[data-upload]").forEach(function (form) {
      if (form.hasAttribute("data-upload-bound")) { return; }
      form.setAttribute("data-upload-bound", "");
      bindDropzone(form);
      form.addEventListener("submit", submit);
    });
  }

  enhance(document);
})();
