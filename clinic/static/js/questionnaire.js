// The running total of a PHQ-9 or GAD-7 form while answers are picked (forms, or parts of one form, marked
// data-questionnaire; data-prefix names the answer fields: item1..item9 by default, gad1..gad7 on the
// patient's own page, where both questionnaires share one form).
// Only a guide for the person entering it: the server scores what is recorded.
(function () {
  "use strict";

  function update(form) {
    const count = Number(form.dataset.items);
    const prefix = form.dataset.prefix || "item";
    let total = 0;
    let answered = 0;
    for (let number = 1; number <= count; number += 1) {
      const picked = form.querySelector('input[name="' + prefix + number + '"]:checked');
      if (picked) {
        total += Number(picked.value);
        answered += 1;
      }
    }
    const shown = form.querySelector("[data-running-total]");
    shown.querySelector("[data-total]").textContent = String(total);
    shown.querySelector("[data-answered]").textContent = String(answered);
    // The self-harm question: say before saving that a score above 0 raises an urgent alert.
    const warning = form.querySelector("[data-warn-item]");
    if (warning) {
      const item = form.querySelector('input[name="' + prefix + warning.dataset.warnItem + '"]:checked');
      warning.hidden = !item || Number(item.value) === 0;
    }
  }

  function start() {
    document.querySelectorAll("[data-questionnaire]").forEach(function (form) {
      const shown = form.querySelector("[data-running-total]");
      if (!shown) {
        return;
      }
      shown.hidden = false;
      form.addEventListener("change", function () {
        update(form);
      });
      update(form);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
