// "Alle auf dieser Seite auswählen" on the office queue: with JavaScript a
// checkbox ticks or clears every row's box (and shows "some" while only
// some are ticked); without it, the link beside it reloads the page with
// every box ticked.
(function () {
  "use strict";
  document.querySelectorAll("[data-select-all]").forEach(function (wrapper) {
    var form = wrapper.closest("form");
    var all = wrapper.querySelector("input[type=checkbox]");
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][name=assessment]"));
    var fallback = form.querySelector("[data-select-all-fallback]");
    if (!all || !boxes.length) { return; }
    function sync() {
      var ticked = boxes.filter(function (box) { return box.checked; }).length;
      all.checked = ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      sync();
    });
    boxes.forEach(function (box) { box.addEventListener("change", sync); });
    wrapper.hidden = false;
    if (fallback) { fallback.hidden = true; }
    sync();
  });
})();
