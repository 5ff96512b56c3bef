// The menu button of narrow screens: the menu folds away once this script runs, and the button opens it.
(function () {
  "use strict";
  var top = document.querySelector("header.top");
  var button = top && top.querySelector(".menu-button");
  if (!button) { return; }
  top.classList.add("js-menu");
  button.addEventListener("click", function () {
    var open = top.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
}());

// A table wider than a phone scrolls inside its own box; such a box can be reached and scrolled with the keyboard.
(function () {
  "use strict";
  function mark() {
    document.querySelectorAll("main table").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) {
        if (!table.hasAttribute("tabindex")) {
          table.setAttribute("tabindex", "0");
          table.dataset.scrolls = "1";
          var heading = table.closest("section") && table.closest("section").querySelector("h2");
          table.setAttribute("aria-label", (heading ? heading.textContent.trim() + "：" : "") + "表格可左右滑动");
        }
      } else if (table.dataset.scrolls) {
        table.removeAttribute("tabindex");
        table.removeAttribute("aria-label");
        delete table.dataset.scrolls;
      }
    });
  }
  window.addEventListener("load", mark);
  window.addEventListener("resize", mark);
}());

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
