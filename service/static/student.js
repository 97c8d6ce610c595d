// Live status on the student page: while a submission is queued or running, fetch the
// page's live part every two seconds and swap it in (no reload; stops once all are final).
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) return;
  var url = live.getAttribute("data-status-url");
  var delayMs = 2000;

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (body) {
        live.innerHTML = body.html;
        live.setAttribute("data-pending", body.pending ? "true" : "false");
        if (body.pending) setTimeout(poll, delayMs);
      })
      .catch(function () { setTimeout(poll, delayMs * 3); });
  }

  if (live.getAttribute("data-pending") === "true") setTimeout(poll, delayMs);
})();
