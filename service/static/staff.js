// Poll a regrade job's progress (GET /staff/regrades/<job>) and update the page's
// <progress> element and its live status line until the job is done.
(function () {
  "use strict";
  var bar = document.getElementById("regrade-progress");
  var status = document.getElementById("regrade-status");
  if (!bar || !status) { return; }
  function show(job) {
    bar.max = Math.max(job.total, 1);
    bar.value = job.done;
    var text = job.state + ": " + job.done + " of " + job.total + " submissions";
    if (job.finished) {
      text = "Regrade " + (job.state === "done" ? "finished" : "failed") + ": " + job.done +
        " of " + job.total + " submissions, " + job.changed + " scores changed, " +
        job.failed + " could not be regraded (old result kept).";
    }
    status.textContent = text;
    status.dataset.state = job.state;
    return job.finished;
  }
  function poll() {
    fetch(bar.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (job) { if (!show(job)) { setTimeout(poll, 1000); } })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
