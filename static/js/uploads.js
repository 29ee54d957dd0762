// Progressive enhancement of evidence uploads: drag and drop onto the drop
// zone, and a progress bar while the files travel. Without JavaScript the
// same form posts normally.
(function () {
  "use strict";
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var zone = form.querySelector("[data-dropzone]");
    var input = form.querySelector("input[type=file]");
    var progress = form.querySelector("[data-upload-progress]");
    if (zone && input) {
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
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !progress) { return; }
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
      var bar = progress.querySelector(".progress-bar");
      progress.classList.remove("d-none");
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) { return; }
        var percent = Math.round((100 * e.loaded) / e.total);
        bar.style.width = percent + "%";
        progress.setAttribute("aria-valuenow", String(percent));
      });
      request.addEventListener("load", function () {
        // The server answers with a redirect to the criterion; follow it so
        // that its messages (saved, or why a file was refused) are shown.
        var target = request.responseURL || "";
        if (target && target.split("#")[0] !== window.location.href.split("#")[0]) {
          window.location.assign(target);
        } else {
          window.location.reload();
        }
      });
      request.addEventListener("error", function () {
        if (button) { button.disabled = false; }
        progress.classList.add("d-none");
        window.alert(form.getAttribute("data-error-message") || "Upload failed");
      });
      request.send(new FormData(form));
    });
  });
})();
