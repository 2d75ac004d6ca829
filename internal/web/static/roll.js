// Keyboard moves for the morning/noon check grid: Enter or ArrowDown goes
// to the same box in the next row, ArrowUp (or Shift+Enter) to the previous
// one, so a teacher types temperatures down a column. Without this script
// the grid is a plain form and still works.
(function () {
  "use strict";
  var grid = document.querySelector("table.roll-grid");
  if (!grid) {
    return;
  }
  function focusIn(row, col) {
    var el = row.querySelector('[data-col="' + col + '"]');
    if (!el || el.disabled) {
      return false;
    }
    el.focus();
    if (el.type === "text") {
      el.select();
    }
    return true;
  }
  function move(from, step) {
    var col = from.getAttribute("data-col");
    var row = from.closest("tr");
    for (var r = sibling(row, step); r; r = sibling(r, step)) {
      if (focusIn(r, col)) {
        return true;
      }
    }
    return false;
  }
  function sibling(row, step) {
    return step > 0 ? row.nextElementSibling : row.previousElementSibling;
  }
  grid.addEventListener("keydown", function (e) {
    var el = e.target;
    if (!el.getAttribute || !el.getAttribute("data-col") || e.altKey || e.ctrlKey || e.metaKey) {
      return;
    }
    // A select keeps its own arrow keys for choosing an option.
    var arrows = el.tagName !== "SELECT";
    if (e.key === "Enter" && e.shiftKey || e.key === "ArrowUp" && arrows) {
      e.preventDefault();
      move(el, -1);
    } else if (e.key === "Enter" || e.key === "ArrowDown" && arrows) {
      e.preventDefault();
      if (!move(el, 1) && e.key === "Enter") {
        document.getElementById("roll-save").focus();
      }
    }
  });
  // Some keyboards and automation still deliver the character of a
  // cancelled Enter; without this it would submit the form.
  grid.addEventListener("keypress", function (e) {
    if (e.key === "Enter" && e.target.getAttribute && e.target.getAttribute("data-col")) {
      e.preventDefault();
    }
  });
  // Choosing a reason for absence marks the row absent.
  grid.addEventListener("change", function (e) {
    var el = e.target;
    if (el.getAttribute("data-col") === "reason" && el.value) {
      var absent = el.closest("tr").querySelector('[data-col="absent"]');
      if (absent) {
        absent.checked = true;
      }
    }
  });
})();
