// Behaviour the pages declare with data- attributes, so no page needs an inline script (the
// Content-Security-Policy allows scripts from this site only).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field.matches("[data-submit-on-change]") && field.form) {
    field.form.requestSubmit();
  }
});
