// A page that waits for an answer from elsewhere (a provider's refund) shows itself again every
// 3 seconds until the server's page no longer asks for it.
document.addEventListener("DOMContentLoaded", function () {
  window.setTimeout(function () { window.location.reload(); }, 3000);
});
