// Refreshes the gate pass QR codes of a personal page, so the code on
// screen is always a fresh short-lived one (a screenshot goes stale).
(function () {
  "use strict";
  var imgs = document.querySelectorAll("img.pass-qr[data-refresh]");
  imgs.forEach(function (img) {
    var base = img.getAttribute("src").split("&t=")[0];
    var every = parseInt(img.getAttribute("data-refresh"), 10) * 1000 || 60000;
    setInterval(function () {
      if (document.visibilityState === "visible") {
        img.src = base + "&t=" + Date.now();
      }
    }, every);
  });
})();
