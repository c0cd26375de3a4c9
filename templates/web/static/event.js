// The order form is sent once: a second click while the first is on its way does nothing. (The
// server also places one order per form, whatever arrives twice.)
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("order-form");
  if (!form) return;
  form.addEventListener("submit", function (event) {
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    var button = document.getElementById("place-order");
    if (button) { button.disabled = true; button.textContent = "Placing your order…"; }
  });
  // Coming back with the browser's back button shows the form as it was: let it be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    delete form.dataset.sent;
    var button = document.getElementById("place-order");
    if (button) { button.disabled = false; button.textContent = "Continue"; }
  });
});
