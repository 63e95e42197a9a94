// Behaviour without inline scripts (the CSP forbids them).
document.addEventListener("DOMContentLoaded", () => {
  // Forms that ask for confirmation: <form data-confirm="Текст вопроса">
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // Buttons that copy a value: <button data-copy="#selector">
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", () => {
      const target = document.querySelector(button.dataset.copy);
      if (target && navigator.clipboard) navigator.clipboard.writeText(target.textContent.trim());
    });
  });
});
