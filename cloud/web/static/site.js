// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // A hold's countdown: <p data-countdown="ISO expiry"><time>10:00</time></p>.
  // The server-rendered expiry stays the truth; this only shows the time left.
  function startCountdown(box) {
    var expires = Date.parse(box.getAttribute("data-countdown"));
    var clock = box.querySelector("time");
    if (isNaN(expires) || !clock) { return; }
    var lastAnnounced = null;
    function tick() {
      var left = Math.max(0, Math.round((expires - Date.now()) / 1000));
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      clock.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
      // Screen readers hear the time once a minute, and when it runs out, not every second.
      var live = box.querySelector("[data-countdown-live]");
      if (live && (minutes !== lastAnnounced) && (seconds === 0 || lastAnnounced === null)) {
        lastAnnounced = minutes;
        live.textContent = left > 0 ? minutes + " minutes left to pay" : "";
      }
      if (left <= 0) {
        box.classList.add("expired");
        var message = box.getAttribute("data-expired-text");
        if (live && message) { live.textContent = message; }
        document.querySelectorAll("[data-disable-on-expiry]").forEach(function (el) {
          el.disabled = true;
        });
        return;
      }
      window.setTimeout(tick, 1000 - (Date.now() % 1000));
    }
    tick();
  }

  // A page waiting for something outside (a payment's confirmation) reloads itself.
  function startRefresh(el) {
    var seconds = parseInt(el.getAttribute("data-refresh"), 10) || 3;
    window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }

  // A submitted form's button says so and cannot be pressed twice.
  function guardForms() {
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function () {
        var button = form.querySelector("button[type=submit]");
        if (button) {
          window.setTimeout(function () { button.disabled = true; }, 0);
          if (button.getAttribute("data-busy-text")) { button.textContent = button.getAttribute("data-busy-text"); }
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-countdown]").forEach(startCountdown);
    document.querySelectorAll("[data-refresh]").forEach(startRefresh);
    guardForms();
    var errors = document.getElementById("form-errors");
    if (errors) { errors.focus(); }
  });
})();
