/* Stockbridge console: tick the handling-deadline countdowns (server-computed seconds, no clock skew). */
(function () {
  "use strict";
  var started = Date.now();
  var items = Array.prototype.slice.call(document.querySelectorAll(".countdown[data-seconds-left]"));
  if (!items.length) { return; }

  function describe(seconds) {
    var span = Math.abs(seconds), days = Math.floor(span / 86400), hours = Math.floor((span % 86400) / 3600);
    var minutes = Math.floor((span % 3600) / 60), text;
    if (days) { text = days + " d " + hours + " h"; }
    else if (hours) { text = hours + " h " + (minutes < 10 ? "0" : "") + minutes + " min"; }
    else { text = minutes + " min"; }
    return seconds >= 0 ? "in " + text : "overdue by " + text;
  }

  function tick() {
    var elapsed = Math.floor((Date.now() - started) / 1000);
    items.forEach(function (el) {
      var left = parseInt(el.getAttribute("data-seconds-left"), 10) - elapsed;
      el.textContent = describe(left);
      if (left < 0) {
        el.classList.add("breached");
        var row = el.closest("tr");
        if (row) { row.classList.add("breached"); }
      }
    });
  }
  tick();
  window.setInterval(tick, 15000);
})();
