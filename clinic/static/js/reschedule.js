// The reschedule preview on a visit's page. A suggested free time fills the new-start field and previews
// the move again; the Move button stays disabled while the preview says the move breaks a rule (the server
// refuses such a move anyway, this only saves a pointless submit). Changing the time or the scope by hand
// makes the shown preview stale, so it is cleared and Move is enabled again. A page that comes back from a
// refused move shows the same preview, and Move starts disabled there too.
(function () {
  function moveButton() {
    return document.getElementById("move-submit");
  }

  document.addEventListener("click", function (event) {
    var suggestion = event.target.closest("[data-new-start]");
    if (!suggestion) {
      return;
    }
    var form = document.getElementById("reschedule-form");
    var field = form && form.querySelector("input[name='new_start']");
    if (!field) {
      return;
    }
    field.value = suggestion.getAttribute("data-new-start");
    var preview = document.getElementById("preview-move");
    if (preview) {
      preview.click();
    }
  });

  function followVerdict(preview) {
    var verdict = preview.querySelector("[data-move-ok]");
    var button = moveButton();
    if (button) {
      button.disabled = verdict !== null && verdict.getAttribute("data-move-ok") === "false";
    }
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "move-preview") {
      followVerdict(target);
    }
  });

  // A refused move comes back as the whole page with its preview already in place (the script is deferred,
  // so the page is parsed by now).
  var shown = document.getElementById("move-preview");
  if (shown) {
    followVerdict(shown);
  }

  function stale(event) {
    var form = document.getElementById("reschedule-form");
    if (!form || !form.contains(event.target) || !event.target.matches("input, select")) {
      return;
    }
    var preview = document.getElementById("move-preview");
    if (preview) {
      preview.textContent = "";
    }
    var button = moveButton();
    if (button) {
      button.disabled = false;
    }
  }

  document.addEventListener("input", stale);
  document.addEventListener("change", stale);
})();
