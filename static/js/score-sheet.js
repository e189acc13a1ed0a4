// Score sheet: check each mark as it is typed (0 ≤ mark ≤ maximum, on the mark step), and ask
// before submitting. The server checks everything again; this only saves a round trip.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.score-sheet");
  if (!form) return;

  // Marks as whole hundredths, so no binary fraction ever decides a step (0.1 + 0.2 …).
  const hundredths = (text) => {
    const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(text);
    if (!match) return null;
    return Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0"));
  };

  const check = (input) => {
    const text = input.value.trim();
    const error = document.getElementById(`${input.id}-error`);
    let message = "";
    if (text !== "") {
      const value = hundredths(text);
      const max = hundredths(input.dataset.max);
      const step = hundredths(input.dataset.step);
      if (value === null) message = form.dataset.msgNumber;
      else if (value > max) message = form.dataset.msgRange.replace("{max}", input.dataset.max.replace(/\.?0+$/, ""));
      else if (value % step !== 0) message = form.dataset.msgStep.replace("{step}", input.dataset.step.replace(/\.?0+$/, ""));
    }
    error.textContent = message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    return !message;
  };

  const inputs = [...form.querySelectorAll("input.mark")];
  inputs.forEach((input) => input.addEventListener("input", () => check(input)));

  form.addEventListener("submit", (event) => {
    const valid = inputs.map(check).every(Boolean);
    if (!valid) {
      event.preventDefault();
      form.querySelector("[aria-invalid=true]").focus();
      return;
    }
    const button = event.submitter;
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    }
  });
});
