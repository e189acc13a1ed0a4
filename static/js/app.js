// Progressive enhancements only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Ask before destructive actions: <form data-confirm="...">.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // A new competition's tier follows the organiser chosen (the server set the first one's):
  // <select data-tiers='{"organisation id": "tier"}' data-tier-field="id of the tier select">.
  document.querySelectorAll("select[data-tiers]").forEach((select) => {
    const tiers = JSON.parse(select.dataset.tiers);
    const tier = document.getElementById(select.dataset.tierField);
    select.addEventListener("change", () => {
      if (tier && tiers[select.value]) tier.value = tiers[select.value];
    });
  });
  // Disable submit buttons once a form is sent, so a double click posts once.
  document.querySelectorAll("form").forEach((form) => {
    form.addEventListener("submit", (event) => {
      setTimeout(() => {
        if (event.defaultPrevented) return;  // a check refused it: the user tries again
        form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
      }, 0);
    });
  });
});
