// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("htmx:responseError", function (event) {
  var box = document.querySelector(".messages");
  if (!box) return;
  var p = document.createElement("p");
  p.className = "message message-error";
  p.textContent = event.detail.xhr.responseText.length < 300 ? event.detail.xhr.responseText : event.detail.xhr.statusText;
  box.appendChild(p);
});
