// While an order waits for its payment, ask the server every 2 seconds and show the page again
// once the order has moved on. The page never says "paid" by itself: the server's page does.
document.addEventListener("DOMContentLoaded", function () {
  var state = document.getElementById("order-state");
  if (!state || state.dataset.status !== "pending" || !state.dataset.poll) return;
  var delay = 2000;
  function check() {
    fetch(state.dataset.poll, { headers: { "Accept": "application/json" }, cache: "no-store", credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (order) {
        if (order && order.status && order.status !== "pending") { window.location.reload(); return; }
        delay = 2000;
        window.setTimeout(check, delay);
      })
      .catch(function () {
        // The network is away: ask less often until it is back.
        delay = Math.min(delay * 2, 30000);
        window.setTimeout(check, delay);
      });
  }
  window.setTimeout(check, delay);
});
