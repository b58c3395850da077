// Behaviour that used to sit in inline handlers, which the Content-Security-Policy forbids
// (script-src 'self'): `data-confirm` on a form asks before submitting it, `data-copy` on a
// button copies the text of the element its selector names.
document.addEventListener("submit", function (event) {
  var form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
}, true);

document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button) {
    return;
  }
  var source = document.querySelector(button.dataset.copy);
  if (source && navigator.clipboard) {
    navigator.clipboard.writeText(source.innerText);
  }
});
