// Checks the compose form against every channel's limits as the editor types (POST /api/check).
(function () {
  "use strict";
  var form = document.getElementById("compose");
  if (!form) { return; }
  var timer = null;
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var status = document.getElementById("live-status");
  var count = document.getElementById("title-count");

  function fields() {
    var data = {title: form.elements["title"].value, category: form.elements["category"].value, body: form.elements["body"].value,
                summary: form.elements["summary"].value, department: form.elements["department"].value, channels: [], options: {}};
    form.querySelectorAll("input[name=channels]:checked").forEach(function (box) { data.channels.push(box.value); });
    form.querySelectorAll("input[name^='short_title.']").forEach(function (input) {
      if (input.value.trim()) { data.options[input.name.slice(12)] = {title: input.value.trim()}; }
    });
    return data;
  }

  function show(result) {
    form.querySelectorAll("ul.problems").forEach(function (list) {
      var problems = (result.channels || {})[list.dataset.channel];
      list.textContent = "";
      (problems || []).forEach(function (text) {
        var li = document.createElement("li");
        li.textContent = text;
        list.appendChild(li);
      });
    });
    var gate = document.getElementById("gate-findings");
    if (gate) {
      gate.textContent = "";
      (result.findings || []).forEach(function (f) {
        var li = document.createElement("li");
        li.textContent = f.label + "：" + (f.field_label || f.field) + "（" + (f.place || f.where) + "）" + f.text + (f.suggestion ? " → " + (f.suggestion_text || f.suggestion) : "");
        gate.appendChild(li);
      });
    }
    status.textContent = "已检查（" + new Date().toLocaleTimeString() + "）";
  }

  function check() {
    if (count) { count.textContent = String(form.elements["title"].value.trim().length); }
    fetch("/api/check", {method: "POST", credentials: "same-origin",
                         headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
                         body: JSON.stringify(fields())})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (result) { if (result) { show(result); } })
      .catch(function () { status.textContent = "暂时无法检查"; });
  }

  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 400); });
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(check, 100); });
}());
