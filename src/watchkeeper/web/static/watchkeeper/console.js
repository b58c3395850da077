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

// `data-toggle="ID"` on a button folds and unfolds the element ID (the phone's menu, the queue's
// filters): the button's aria-expanded and the element's `open` class follow each other. Without
// script a <noscript> style in the base template shows what would be folded.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-toggle]");
  if (!button) {
    return;
  }
  var target = document.getElementById(button.dataset.toggle);
  if (target) {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    target.classList.toggle("open", open);
  }
});

document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") {
    return;
  }
  document.querySelectorAll("button[data-toggle][aria-expanded='true']").forEach(function (button) {
    var target = document.getElementById(button.dataset.toggle);
    if (target && target.contains(document.activeElement)) {
      button.setAttribute("aria-expanded", "false");
      target.classList.remove("open");
      button.focus();
    }
  });
});
