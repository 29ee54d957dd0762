// The invitation form and list, progressively enhanced. Without this script
// the form still works: the server treats a ticked "alle im Bereich" as all
// criteria of the area and uses a chosen partner's address when the e-mail
// field is left empty; revoking then happens without a question.
(function () {
  "use strict";

  // "alle im Bereich" mirrors its area's boxes: ticking it ticks them all,
  // and it shows ticked (or half) as the boxes below are chosen.
  document.querySelectorAll("[data-invitation-form] [data-area]").forEach(function (area) {
    var all = area.querySelector("[data-area-all]");
    var boxes = Array.prototype.slice.call(area.querySelectorAll("[data-area-criterion]"));
    if (!all || !boxes.length) { return; }
    function reflect() {
      var checked = boxes.filter(function (box) { return box.checked; }).length;
      all.checked = checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      all.indeterminate = false;
    });
    boxes.forEach(function (box) { box.addEventListener("change", reflect); });
    if (all.checked) {
      boxes.forEach(function (box) { box.checked = true; });
    }
    reflect();
  });

  // Choosing a known partner puts its address into the e-mail field, unless
  // the user typed another address there.
  var form = document.querySelector("[data-invitation-form]");
  if (form) {
    var select = form.querySelector("select[name='partner']");
    var email = form.querySelector("input[name='email']");
    var status = document.getElementById("email-filled");
    var filled = "";
    if (select && email) {
      select.addEventListener("change", function () {
        var option = select.options[select.selectedIndex];
        var address = option ? option.getAttribute("data-email") || "" : "";
        var untouched = email.value.trim() === "" || email.value === filled;
        if (!untouched) { return; }
        email.value = address;
        filled = address;
        if (status) {
          status.textContent = address ? status.getAttribute("data-filled") || "" : "";
        }
      });
    }
  }

  // Revoking ends the partner's access: ask once before.
  document.querySelectorAll("form[data-confirm]").forEach(function (revoke) {
    revoke.addEventListener("submit", function (event) {
      if (!window.confirm(revoke.getAttribute("data-confirm"))) {
        // Not sent: keep submit-once from disabling the button.
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    });
  });
})();
