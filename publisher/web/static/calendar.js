// The calendar: drag an item onto another day to give it that day (same time of day) through
// POST /api/items/{id}/reschedule; the server applies the review rules and the page reloads.
(function () {
  "use strict";
  var table = document.querySelector("table.calendar");
  if (!table) { return; }
  var csrf = table.dataset.csrf;
  var status = document.getElementById("calendar-status");
  var dragged = null;

  table.addEventListener("dragstart", function (e) {
    var ev = e.target.closest("a.ev[data-item]");
    if (!ev) { return; }
    dragged = ev;
    e.dataTransfer.setData("text/plain", ev.dataset.item);
    e.dataTransfer.effectAllowed = "move";
  });
  table.addEventListener("dragover", function (e) {
    if (dragged && e.target.closest("td[data-day]")) { e.preventDefault(); }
  });
  table.addEventListener("drop", function (e) {
    var cell = e.target.closest("td[data-day]");
    if (!dragged || !cell) { return; }
    e.preventDefault();
    var item = dragged.dataset.item;
    var at = cell.dataset.day + "T" + dragged.dataset.time;
    dragged = null;
    status.textContent = "正在改期……";
    fetch("/api/items/" + item + "/reschedule", {method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}, body: JSON.stringify({at: at})})
      .then(function (r) { return r.json().then(function (j) { return {ok: r.ok, body: j}; }); })
      .then(function (r) {
        if (!r.ok) { status.className = "error"; status.textContent = "未能改期：" + r.body.error.message; return; }
        var back = r.body.state === "in_review" && r.body.history.length &&
                   r.body.history[r.body.history.length - 1].decision === "restarted";
        status.className = "notice";
        status.textContent = "已改到 " + at.replace("T", " ") + (back ? "，已通过的审核已退回，需重新审核" : "");
        window.location.reload();
      })
      .catch(function () { status.className = "error"; status.textContent = "未能改期：网络错误"; });
  });
}());
