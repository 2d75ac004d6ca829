// The gate pages' progressive enhancements; every page works without them.
//  - Enter in the number field moves to the temperature field while that is
//    empty, so "number, Enter, temperature, Enter" looks a person up.
//  - Escape on a lookup result goes back to the empty form.
//  - "Scan pass QR" reads a pass with the device camera (getUserMedia and a
//    canvas) and the vendored jsQR, loaded only when scanning starts. The
//    button stays hidden where the browser has no camera API (including
//    pages not served over HTTPS).
//  - After a visitor is saved, the address goes back to the form's, so a
//    reload does not post the registration again.
(function () {
  "use strict";

  var saved = document.querySelector("[data-replace-url]");
  if (saved && window.history && history.replaceState) {
    history.replaceState(null, "", saved.getAttribute("data-replace-url"));
  }

  if (document.querySelector(".gate-result")) {
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && !e.defaultPrevented) {
        window.location.href = "/gate";
      }
    });
  }

  var form = document.getElementById("gate-lookup");
  if (!form) {
    return;
  }
  var ext = document.getElementById("external_id");
  var temp = document.getElementById("temperature_c");
  var token = document.getElementById("gate-token");

  ext.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.isComposing) {
      return;
    }
    var v = ext.value.trim();
    // A pass read by a handheld scanner ends with Enter: look it up at once.
    if (v !== "" && v.indexOf("P1.") !== 0 && temp && temp.value === "") {
      e.preventDefault();
      temp.focus();
    }
  });

  var btn = document.getElementById("gate-scan");
  var panel = document.getElementById("gate-scanner");
  if (!btn || !panel || !navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== "function") {
    return;
  }
  var video = document.getElementById("gate-video");
  var msg = document.getElementById("gate-scan-msg");
  var stopBtn = document.getElementById("gate-scan-stop");
  var canvas = document.createElement("canvas");
  var ctx = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;
  var timer = 0;
  var scanning = false;
  btn.hidden = false;

  function loadReader(done) {
    if (typeof window.jsQR === "function") {
      done(true);
      return;
    }
    var s = document.createElement("script");
    s.src = btn.getAttribute("data-jsqr");
    s.onload = function () { done(typeof window.jsQR === "function"); };
    s.onerror = function () { done(false); };
    document.head.appendChild(s);
  }

  function stop() {
    scanning = false;
    clearTimeout(timer);
    if (stream) {
      stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
    }
    video.srcObject = null;
  }

  function close() {
    stop();
    panel.hidden = true;
    btn.focus();
  }

  function fail(text) {
    stop();
    msg.textContent = text;
    stopBtn.focus();
  }

  function tick() {
    if (!scanning) {
      return;
    }
    if (video.readyState >= 2 && video.videoWidth > 0) {
      // Decoding a downscaled frame is fast enough on a phone and reads a
      // pass held at arm's length.
      var scale = Math.min(1, 640 / Math.max(video.videoWidth, video.videoHeight));
      var w = Math.round(video.videoWidth * scale);
      var h = Math.round(video.videoHeight * scale);
      canvas.width = w;
      canvas.height = h;
      ctx.drawImage(video, 0, 0, w, h);
      var code = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "dontInvert" });
      if (code && code.data) {
        stop();
        token.value = code.data.trim();
        ext.value = "";
        msg.textContent = panel.getAttribute("data-msg-reading");
        form.submit();
        return;
      }
    }
    timer = setTimeout(tick, 150);
  }

  btn.addEventListener("click", function () {
    panel.hidden = false;
    msg.textContent = "";
    loadReader(function (ok) {
      if (!ok) {
        fail(panel.getAttribute("data-msg-failed"));
        return;
      }
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
        stream = s;
        video.srcObject = s;
        var played = video.play();
        if (played && played.catch) {
          played.catch(function () {});
        }
        scanning = true;
        tick();
      }).catch(function (e) {
        var denied = e && (e.name === "NotAllowedError" || e.name === "SecurityError");
        fail(panel.getAttribute(denied ? "data-msg-denied" : "data-msg-failed"));
      });
    });
  });
  stopBtn.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") {
      e.preventDefault();
      close();
    }
  });
  // Give the camera back when the guard leaves the page or the phone sleeps.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && scanning) {
      close();
    }
  });
  window.addEventListener("pagehide", stop);
})();
