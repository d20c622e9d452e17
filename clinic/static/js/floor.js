// The floor board refreshes itself every 20 seconds; a refresh would throw away a form a nurse is filling
// in, so it waits while any of the board's forms is open or one of its fields has the focus.
document.addEventListener("htmx:beforeRequest", function (event) {
  var board = document.getElementById("floor-board");
  if (!board || event.detail.elt !== board) {
    return;
  }
  var busy = board.querySelector("details[open]") || board.contains(document.activeElement) &&
    document.activeElement.matches("input, select, textarea");
  if (busy) {
    event.preventDefault();
  }
});
