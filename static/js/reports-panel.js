// The reports panel (#reports-panel) is replaced as a whole by htmx: while a
// report is being built it polls itself, and "Erstellen" answers with a new
// panel. A replaced element takes the keyboard focus with it, so without help
// focus would drop to the page body. This script gives it back to the same
// control in the new panel (matched by data-focus-key), or, where that control
// is gone (a report now being built has no button), to its row's heading or
// the panel's heading; and it announces what changed in a live region that
// lives outside the panel, so it is there before its text changes.
// The panel includes this file each time it is swapped in: it registers once.
(function () {
  "use strict";
  if (window.reportsPanelScript) { return; }
  window.reportsPanelScript = true;

  var PANEL_ID = "reports-panel";
  var saved = null;
  // Where focus was last inside the panel: a button the request disabled, or
  // a click that blurred it, leaves document.activeElement on the body.
  var lastInside = null;

  function panel() { return document.getElementById(PANEL_ID); }

  function liveRegion() {
    var region = document.getElementById("reports-panel-live");
    if (!region) {
      region = document.createElement("div");
      region.id = "reports-panel-live";
      region.className = "visually-hidden";
      region.setAttribute("role", "status");
      region.setAttribute("aria-live", "polite");
      region.setAttribute("aria-atomic", "true");
      (document.querySelector("main") || document.body).appendChild(region);
    }
    return region;
  }

  function describe(element) {
    if (!element || element === document.body) { return null; }
    var row = element.closest("[data-kind]");
    return {
      key: element.getAttribute("data-focus-key") || "",
      kind: row ? row.getAttribute("data-kind") : ""
    };
  }

  function statuses(root) {
    var result = {};
    root.querySelectorAll("[data-kind]").forEach(function (row) {
      result[row.getAttribute("data-kind")] = row.getAttribute("data-status");
    });
    return result;
  }

  document.addEventListener("focusin", function (event) {
    var current = panel();
    lastInside = current && current.contains(event.target) ? describe(event.target) : null;
  });

  // A click elsewhere on the page puts the user there, even on nothing focusable.
  document.addEventListener("mousedown", function (event) {
    var current = panel();
    if (!current || !current.contains(event.target)) { lastInside = null; }
  });

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== PANEL_ID) { return; }
    var active = document.activeElement;
    var focus = null;
    if (active && target.contains(active)) {
      focus = describe(active);
    } else if (!active || active === document.body) {
      focus = lastInside;
    }
    saved = { focus: focus, statuses: statuses(target), initial: !target.hasAttribute("data-reports-panel") };
  });

  document.body.addEventListener("htmx:afterSettle", function () {
    if (!saved) { return; }
    var before = saved;
    saved = null;
    var current = panel();
    if (!current) { return; }
    if (before.focus) {
      var target = null;
      if (before.focus.key) {
        target = current.querySelector('[data-focus-key="' + before.focus.key + '"]');
      }
      if (!target && before.focus.kind) {
        target = current.querySelector('[data-kind="' + before.focus.kind + '"] [data-row-heading]');
      }
      target = target || document.getElementById("reports-panel-heading");
      if (target) { target.focus(); }
    }
    if (before.initial) { liveRegion(); return; }  // the first load: nothing changed yet
    var messages = [];
    var notice = current.querySelector("[data-panel-notice]");
    if (notice) { messages.push(notice.textContent.trim()); }
    current.querySelectorAll("[data-kind]").forEach(function (row) {
      var kind = row.getAttribute("data-kind");
      if (before.statuses[kind] !== row.getAttribute("data-status") && !notice) {
        messages.push(row.getAttribute("data-announce"));
      }
    });
    if (messages.length) {
      var region = liveRegion();
      // Emptied first, so that the same words said twice are announced twice.
      region.textContent = "";
      window.setTimeout(function () { region.textContent = messages.join(". "); }, 50);
    }
  });

  liveRegion();
})();
