// Keyboard shortcuts for the review pages (listed in the "?" overlay). No build step, no libraries.
(function () {
  "use strict";
  var form = document.getElementById("decide");
  var pending = "", timer = null;

  function click(id) { var el = document.getElementById(id); if (el) { el.click(); } }
  function typing(el) { return el && (el.tagName === "INPUT" && el.type !== "checkbox" || el.tagName === "TEXTAREA" || el.tagName === "SELECT"); }
  function ticked() {
    return Array.prototype.filter.call(form.querySelectorAll("input[name=goals]"), function (b) { return b.checked; })
      .map(function (b) { return b.value; }).join(" ");
  }
  // The main button says what it will store: the model's goals, a change, or "no goal".
  function relabel() {
    if (!form) { return; }
    var now = ticked(), button = document.getElementById("accept");
    var text = now === "" ? "Confirm: no goal" : now === form.dataset.suggested ? "Accept" : "Save change";
    button.firstChild.nodeValue = text + " ";
  }
  function toggle(number) {
    var box = document.getElementById("goal-" + number);
    if (box) { box.checked = !box.checked; relabel(); }
  }
  // A digit that can start a longer goal number (1 -> 10-14) waits briefly for the next one.
  function digit(d) {
    clearTimeout(timer);
    pending += d;
    var longer = document.getElementById("goal-" + pending + "0") || document.getElementById("goal-" + pending + "1");
    if (longer && pending.length < 2) {
      timer = setTimeout(function () { toggle(pending); pending = ""; }, 600);
    } else {
      toggle(pending);
      pending = "";
    }
  }
  function help(show) {
    var box = document.getElementById("help");
    if (box) { box.hidden = show === undefined ? !box.hidden : !show; }
  }
  if (form) { form.addEventListener("change", relabel); }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (typing(target)) {
      if (event.key === "Escape") { target.blur(); event.preventDefault(); }
      if (event.key === "Enter" && target.id === "note") { event.preventDefault(); target.blur(); }
      return;
    }
    if (event.key === "Escape") { help(false); return; }
    if (event.key === "?") { event.preventDefault(); help(); return; }
    if (form && /^[0-9]$/.test(event.key)) { event.preventDefault(); digit(event.key); return; }
    var keys = {
      "a": function () { click("accept"); },
      "r": function () { click("reject"); },
      "n": function () { click("no_goal"); },
      "s": function () { click("skip"); },
      "e": function () { var n = document.getElementById("note"); if (n) { n.focus(); } },
      "u": function () { var u = document.getElementById("undo"); if (u) { u.requestSubmit(); } },
      "q": function () { window.location.href = "/queue"; },
      "Enter": function () {
        if (form) { click("accept"); return; }
        var first = document.getElementById("first-item"); if (first) { first.click(); }
      }
    };
    var action = keys[event.key];
    if (!action || (!form && "arsen".indexOf(event.key) >= 0)) { return; }
    if (event.key === "Enter" && target && (target.tagName === "A" || target.tagName === "BUTTON")) { return; }
    event.preventDefault();
    action();
  });
})();
