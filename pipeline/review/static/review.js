// Keyboard shortcuts for the review pages (listed on each page). No build step, no libraries.
(function () {
  "use strict";
  function click(id) { var el = document.getElementById(id); if (el) { el.click(); } }
  function typing(el) { return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT"); }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (typing(target)) {
      if (event.key === "Escape") { target.blur(); event.preventDefault(); }
      if (event.key === "Enter" && target.id === "goals") { event.preventDefault(); click("change"); }
      if (event.key === "Enter" && target.id === "note") { event.preventDefault(); target.blur(); }
      return;
    }
    var decide = document.getElementById("decide");
    var keys = {
      "a": function () { click("accept"); },
      "r": function () { click("reject"); },
      "n": function () { click("no_goal"); },
      "s": function () { click("skip"); },
      "c": function () { var g = document.getElementById("goals"); if (g) { g.focus(); g.select(); } },
      "e": function () { var n = document.getElementById("note"); if (n) { n.focus(); } },
      "u": function () { var u = document.getElementById("undo"); if (u) { u.requestSubmit(); } },
      "q": function () { window.location.href = "/queue"; },
      "Enter": function () { var first = document.getElementById("first-item"); if (first) { first.click(); } }
    };
    var action = keys[event.key];
    if (!action || (!decide && "arcesu".indexOf(event.key) >= 0 && event.key !== "u")) { return; }
    event.preventDefault();
    action();
  });
})();
