// Forms: focus on the error summary; on scored scales a running total and the items scored from a measurement.
// No inline handlers: the Content-Security-Policy forbids them.
(() => {
  function focusErrorSummary() {
    const summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
      summary.scrollIntoView({ block: "start" });
    }
  }

  // A link in the summary lands on its field and focuses it (radio groups: their first option).
  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) return;
    const field = document.getElementById(link.getAttribute("href").slice(1));
    if (field) {
      event.preventDefault();
      field.scrollIntoView({ block: "center" });
      field.focus();
    }
  });

  function runningTotal(form) {
    const line = form.querySelector("[data-running-total]");
    if (!line) return;
    let total = 0;
    let answered = 0;
    for (const item of form.querySelectorAll("[data-item]")) {
      const chosen = item.querySelector("input[type=radio]:checked");
      if (chosen) {
        total += Number(chosen.value);
        answered += 1;
      }
    }
    line.querySelector("[data-total]").textContent = String(total);
    line.querySelector("[data-answered]").textContent = String(answered);
  }

  // The score of an item that follows from a measurement, by the declaration's steps [[highest, score], ...].
  function scoreFrom(steps, value) {
    for (const [highest, score] of steps) {
      if (highest === null || value <= highest) return score;
    }
    return null;
  }

  function scoreFromMeasurement(form, input) {
    const value = Number(input.value);
    if (input.value.trim() === "" || !Number.isInteger(value) || value <= 0) return;
    const score = scoreFrom(JSON.parse(input.dataset.scoreTable), value);
    const option = form.querySelector(`input[name="${CSS.escape(input.dataset.scoresItem)}"][value="${score}"]`);
    if (option) option.checked = true;
  }

  // A strength the chosen formulation's name states ("Nasal spray 4 mg") fills the strength field, unless typed.
  function fillStrength(select) {
    const target = document.getElementById(select.dataset.fillsStrength);
    if (!target || (target.value && target.dataset.filled !== target.value)) return;
    const found = select.selectedOptions[0]?.textContent.match(/\d+(?:\.\d+)? mg(?:\/mL)?/);
    target.value = found ? found[0] : "";
    target.dataset.filled = target.value;
  }

  document.addEventListener("DOMContentLoaded", () => {
    focusErrorSummary();
    for (const select of document.querySelectorAll("select[data-fills-strength]")) {
      select.addEventListener("change", () => fillStrength(select));
      fillStrength(select);
    }
    for (const form of document.querySelectorAll("[data-scale-form]")) {
      for (const input of form.querySelectorAll("[data-score-table]")) {
        input.addEventListener("input", () => {
          scoreFromMeasurement(form, input);
          runningTotal(form);
        });
        input.addEventListener("change", () => {
          scoreFromMeasurement(form, input);
          runningTotal(form);
        });
      }
      form.addEventListener("change", () => runningTotal(form));
      runningTotal(form);
    }
  });
})();

// A form whose fields are spread over the page (the plan editor's rows, `data-guards-unsaved`): while any of its
// fields differs from what was loaded, another form of the page is not sent (it would reload the page and drop the
// typing); a message next to the Save button says so, and leaving the page asks first.
(() => {
  const guarded = document.querySelector("form[data-guards-unsaved]");
  if (!guarded) return;
  const fields = () => Array.from(guarded.elements).filter((f) => f.type !== "hidden" && f.name);
  const changed = () => fields().some((f) => (f.type === "checkbox" ? f.checked !== f.defaultChecked : f.value !== initial(f)));
  const initial = (f) => (f.tagName === "SELECT" ? (Array.from(f.options).find((o) => o.defaultSelected) || f.options[0] || {}).value : f.defaultValue);
  const notice = document.getElementById(guarded.dataset.guardsUnsaved);
  let leaving = false;
  document.addEventListener("submit", (event) => {
    if (event.target === guarded) {
      leaving = true;
      return;
    }
    if (!changed()) return;
    event.preventDefault();
    if (notice) {
      notice.hidden = false;
      notice.focus();
    }
  });
  window.addEventListener("beforeunload", (event) => {
    if (!leaving && changed()) event.preventDefault();
  });
})();
