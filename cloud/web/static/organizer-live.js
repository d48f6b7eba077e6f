// The check-in page's figures, refreshed in place: the fragment at data-live-url is fetched
// every data-live-every seconds while the tab is visible and swapped in, so the reader keeps
// their place and focus. Without this script the page reloads itself (a <noscript> refresh).
(function () {
  "use strict";

  function start(region) {
    var url = region.getAttribute("data-live-url");
    var every = (parseInt(region.getAttribute("data-live-every"), 10) || 10) * 1000;
    var problem = document.getElementById("live-problem");
    var announce = document.getElementById("live-announce");
    var timer = null;
    var busy = false;

    function headline(root) {
      var el = root.querySelector("[data-announce]");
      return el ? el.textContent : "";
    }

    function say(text) { if (problem) { problem.textContent = text; } }

    function refresh() {
      if (busy || document.hidden) { return; }
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          // A login page after a redirect means the session ended: stop, and say so.
          if (response.redirected || !response.ok) {
            throw new Error(response.redirected ? "session" : "status " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          var before = headline(region);
          region.innerHTML = html;
          var after = headline(region);
          if (announce && after && after !== before) { announce.textContent = after; }
          say("");
        })
        .catch(function (error) {
          if (error && error.message === "session") {
            window.clearInterval(timer);
            say("Your session ended: reload the page to log in again.");
          } else {
            say("Could not refresh just now; trying again.");
          }
        })
        .then(function () { busy = false; });
    }

    timer = window.setInterval(refresh, every);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) { refresh(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-url]").forEach(start);
  });
})();
