// Evidence upload: drag and drop, a progress bar (XHR upload progress) and the server's answer shown in
// place. Without JavaScript the form posts normally and every check still happens on the server.
(function () {
  "use strict";

  function bind(form) {
    var input = form.querySelector("input[type=file]");
    var zone = form.querySelector("[data-drop-zone]");
    var chosen = form.querySelector("[data-chosen-file]");
    var progress = form.querySelector("[data-upload-progress]");
    var status = form.querySelector("[data-upload-status]");
    var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;

    function showChosen() {
      var file = input.files && input.files[0];
      chosen.textContent = file ? file.name : "";
      status.textContent = file && maxBytes && file.size > maxBytes ? form.getAttribute("data-too-large") : "";
    }

    function setProgress(percent) {
      progress.hidden = false;
      progress.value = percent;
      form.dispatchEvent(new CustomEvent("evidence:upload-progress", {bubbles: true, detail: percent}));
    }

    input.addEventListener("change", showChosen);
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("drag-over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("drag-over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        showChosen();
      }
    });

    form.addEventListener("submit", function (event) {
      if (event.submitter && event.submitter.getAttribute("formmethod") === "get") return;
      if (!window.FormData || !window.XMLHttpRequest) return;
      var file = input.files && input.files[0];
      if (file && maxBytes && file.size > maxBytes) {
        event.preventDefault();
        status.textContent = form.getAttribute("data-too-large");
        return;
      }
      event.preventDefault();
      var button = form.querySelector("button[type=submit]:not([formmethod])");
      if (button) button.disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      setProgress(0);
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) setProgress(Math.round((e.loaded * 100) / e.total));
      });
      xhr.upload.addEventListener("load", function () {
        setProgress(100);
        status.textContent = form.getAttribute("data-processing");
      });
      xhr.addEventListener("load", function () {
        var target = new URL(form.action, window.location.href);
        var landed = xhr.responseURL ? new URL(xhr.responseURL) : target;
        if (xhr.status === 200 && landed.pathname !== target.pathname) {
          window.location.assign(xhr.responseURL);  // the server redirected: the upload was accepted
          return;
        }
        var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
        var fresh = page.querySelector("form[data-evidence-upload]");
        if (fresh) {
          form.replaceWith(fresh);
          if (window.htmx) window.htmx.process(fresh);
          bind(fresh);
          var errors = fresh.querySelector("[role=alert]");
          if (errors) errors.scrollIntoView({block: "center"});
        } else {
          if (button) button.disabled = false;
          status.textContent = form.getAttribute("data-failed") + " (HTTP " + xhr.status + ")";
        }
      });
      xhr.addEventListener("error", function () {
        if (button) button.disabled = false;
        progress.hidden = true;
        status.textContent = form.getAttribute("data-failed");
      });
      xhr.send(new FormData(form));
    });
  }

  function init() {
    document.querySelectorAll("form[data-evidence-upload]").forEach(bind);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
