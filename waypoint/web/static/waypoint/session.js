// The idle-timeout warning and the return of typed entries (waypoint/accounts/typed_entries.py).
// No inline handlers: the Content-Security-Policy forbids them.
(() => {
  const WARN_SECONDS = 120;

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function minutesAndSeconds(seconds) {
    const s = Math.max(0, Math.ceil(seconds));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  function startIdleWarning(box) {
    const countdown = box.querySelector("[data-countdown]");
    const button = box.querySelector("[data-extend-session]");
    let endsAt = Date.now() + Number(box.dataset.idleSeconds) * 1000;
    let returnFocusTo = null;
    let ended = false;

    function show() {
      if (!box.hidden) return;
      returnFocusTo = document.activeElement;
      box.hidden = false;
      button.focus();
    }

    function hide() {
      box.hidden = true;
      if (returnFocusTo && document.contains(returnFocusTo)) returnFocusTo.focus();
    }

    function showEnded() {
      ended = true;
      box.querySelector("[data-warning-text]").hidden = true;
      box.querySelector("[data-ended-text]").hidden = false;
      button.hidden = true;
      box.hidden = false;
    }

    function tick() {
      const left = (endsAt - Date.now()) / 1000;
      if (ended) return;
      if (left <= 0) {
        showEnded();
        return;
      }
      if (left <= Math.min(WARN_SECONDS, Number(box.dataset.idleSeconds) / 2)) {
        countdown.textContent = minutesAndSeconds(left);
        show();
      }
    }

    button.addEventListener("click", async () => {
      const answer = await fetch(box.dataset.extendUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        credentials: "same-origin",
        redirect: "manual",
      }).catch(() => null);
      if (answer && answer.ok) {
        const body = await answer.json();
        endsAt = Date.now() + body.seconds_left * 1000;
        hide();
      } else {
        showEnded();
      }
    });
    setInterval(tick, 1000);
    tick();
  }

  // Typed entries kept when the session timed out, filled in again after signing in (hidden inputs keep the
  // fresh page's own values: tokens, versions).
  function restoreEntries(entries) {
    const form = document.querySelector("main form[method='post']");
    if (!form) return;
    for (const [name, values] of Object.entries(entries)) {
      for (const field of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
        if (["hidden", "password", "file", "submit", "button"].includes(field.type)) continue;
        if (field.type === "radio" || field.type === "checkbox") {
          field.checked = values.includes(field.value);
        } else if (field.tagName === "SELECT") {
          for (const option of field.options) option.selected = values.includes(option.value);
        } else {
          field.value = values[0] ?? "";
        }
        field.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const box = document.getElementById("idle-warning");
    if (box) startIdleWarning(box);
    const kept = document.getElementById("restored-entries");
    if (kept) restoreEntries(JSON.parse(kept.textContent));
  });
})();
