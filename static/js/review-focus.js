// After a verdict is saved, keyboard users continue at the next open
// criterion instead of losing focus with the replaced card.
(function () {
  "use strict";
  document.body.addEventListener("htmx:afterSettle", function () {
    var card = document.querySelector('.review-card[data-just-saved]');
    if (!card) { return; }
    var saved = card.getAttribute("data-just-saved") === "ok";
    card.removeAttribute("data-just-saved");
    if (!saved) {
      var error = card.querySelector("[data-verdict-error]");
      if (error) { error.focus(); }
      return;
    }
    var cards = Array.prototype.slice.call(document.querySelectorAll(".review-card"));
    var next = cards.slice(cards.indexOf(card) + 1).find(function (other) { return other.dataset.open === "true"; });
    var target = (next || card).querySelector(".review-card-title");
    if (target) { target.focus(); target.scrollIntoView({block: "start", behavior: "smooth"}); }
  });
})();
