// Behaviour without inline scripts (the CSP forbids them).
document.addEventListener("DOMContentLoaded", () => {
  // Forms that ask for confirmation: <form data-confirm="Текст вопроса">
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // The protocol review: how many assignments confirming creates, and for whom.
  const summary = document.querySelector("[data-plan-summary]");
  if (summary) {
    const recount = () => {
      const counts = new Map();
      document.querySelectorAll("[data-plan-row]").forEach((row) => {
        const report = row.querySelector('[data-plan="report"]');
        const skip = row.querySelector('[data-plan="skip"]');
        const select = row.querySelector('[data-plan="executors"]');
        if (!report || !report.checked || (skip && skip.checked) || !select) return;
        const chosen = new Set(Array.from(select.selectedOptions).map((o) => o.textContent.trim()));
        row.querySelectorAll('input[type="checkbox"][name="' + select.name + '"]:checked').forEach(
          (box) => chosen.add(box.labels[0] ? box.labels[0].textContent.trim() : box.value)
        );
        chosen.forEach((name) => counts.set(name, (counts.get(name) || 0) + 1));
      });
      const list = summary.querySelector("[data-plan-list]");
      list.replaceChildren();
      let total = 0;
      Array.from(counts.keys())
        .sort((a, b) => a.localeCompare(b, "ru", { numeric: true }))
        .forEach((name) => {
          const item = document.createElement("li");
          item.textContent = name + " — " + counts.get(name);
          list.appendChild(item);
          total += counts.get(name);
        });
      summary.querySelector("[data-plan-total]").textContent = String(total);
    };
    summary.closest("form").addEventListener("change", recount);
  }
  // Buttons that copy a value: <button data-copy="#selector">
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", () => {
      const target = document.querySelector(button.dataset.copy);
      if (target && navigator.clipboard) navigator.clipboard.writeText(target.textContent.trim());
    });
  });
});

// Bulk actions: a «select all» box ticks every row box inside its scope; the toolbar counts them.
document.addEventListener("DOMContentLoaded", () => {
  const recount = (formId) => {
    const out = document.querySelector('[data-bulk-count="' + formId + '"]');
    if (!out) return;
    const n = document.querySelectorAll('input[data-bulk-row="' + formId + '"]:checked').length;
    out.textContent = n ? "✓ " + n : "";
  };
  document.querySelectorAll("input[data-bulk-all]").forEach((all) => {
    all.addEventListener("change", () => {
      const scope = document.querySelector(all.dataset.bulkAll) || document;
      scope.querySelectorAll('input[data-bulk-row="' + all.dataset.bulkForm + '"]').forEach((box) => {
        box.checked = all.checked;
      });
      recount(all.dataset.bulkForm);
    });
  });
  document.querySelectorAll("input[data-bulk-row]").forEach((box) => {
    box.addEventListener("change", () => recount(box.dataset.bulkRow));
  });
});
