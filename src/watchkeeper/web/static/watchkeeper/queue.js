// Keyboard shortcuts and live-refresh guard of the incident queue. No dependencies.
// j/k move, x tick, a acknowledge, o/Enter open, / search, ? help. Loaded once per page even
// when htmx swaps the page body, so the listeners are installed once.
(function () {
  "use strict";
  if (window.wkQueueInstalled) { return; }
  window.wkQueueInstalled = true;
  var current = -1;
  var lastKey = 0;

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#queue tbody tr[data-incident]")); }

  function mark(index) {
    var all = rows();
    if (!all.length) { current = -1; return; }
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) {
      row.classList.toggle("current", i === current);
      if (i === current) { row.setAttribute("aria-current", "true"); } else { row.removeAttribute("aria-current"); }
    });
    all[current].scrollIntoView({ block: "nearest" });
  }

  function currentRow() { var all = rows(); return current >= 0 ? all[current] : null; }

  // The queue refreshes only when nobody is mid-action: nothing ticked, no key for 5 s, no dialog.
  window.wkQueueIdle = function () {
    var ticked = document.querySelector("#queue input[name=incident]:checked");
    var dialog = document.querySelector("dialog[open]");
    return !ticked && !dialog && Date.now() - lastKey > 5000;
  };

  function acknowledge() {
    var form = document.getElementById("bulk");
    if (!form) { return; }
    var ticked = document.querySelectorAll("#queue input[name=incident]:checked");
    if (!ticked.length) {
      var row = currentRow();
      if (!row) { return; }
      row.querySelector("input[name=incident]").checked = true;
    }
    var button = form.querySelector("button[value=acknowledge]");
    if (form.requestSubmit) { form.requestSubmit(button); } else { button.click(); }
  }

  function help() {
    var dialog = document.getElementById("shortcuts");
    if (dialog && !dialog.open) { dialog.showModal(); }
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (typing && event.key !== "Escape") { return; }
    if (!document.getElementById("queue")) { return; }
    lastKey = Date.now();
    var row;
    switch (event.key) {
      case "j": mark(current + 1); break;
      case "k": mark(current - 1); break;
      case "x": row = currentRow(); if (row) { var box = row.querySelector("input[name=incident]"); box.checked = !box.checked; } break;
      case "a": acknowledge(); break;
      case "o": case "Enter": row = currentRow(); if (row) { window.location.href = row.dataset.url; } else { return; } break;
      case "/": var search = document.getElementById("queue-search"); if (search) { search.focus(); search.select(); } break;
      case "?": help(); break;
      case "Escape": if (typing) { target.blur(); } break;
      default: return;
    }
    event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-select-all]")) {
      rows().forEach(function (r) { r.querySelector("input[name=incident]").checked = target.checked; });
    }
    if (target.matches && target.matches("dialog [data-close]")) { target.closest("dialog").close(); }
  });

  // Keep the highlighted row across a live refresh.
  document.addEventListener("htmx:afterSwap", function () { if (current >= 0) { mark(current); } });
})();
