// Upload forms (form[data-upload]) sent with XMLHttpRequest, to show how much of a large file is sent
// and then that the server is checking it. Without this script the form is an ordinary POST.
(function () {
  "use strict";

  function enhance(form) {
    var status = form.querySelector("[data-upload-status]");
    if (!status || !window.FormData || !window.DOMParser) {
      return;
    }
    var bar = status.querySelector("progress");
    var text = status.querySelector("[data-upload-text]");
    var button = form.querySelector("button[type=submit]");

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var target = form.action; // absolute: the page itself when the form has no action
      var xhr = new XMLHttpRequest();
      xhr.open("POST", target);
      status.hidden = false;
      bar.max = 1;
      bar.value = 0;
      text.textContent = form.dataset.sending;
      if (button) {
        button.disabled = true;
      }

      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          bar.max = e.total;
          bar.value = e.loaded;
        }
      });
      xhr.upload.addEventListener("load", function () {
        bar.removeAttribute("value"); // indeterminate while the server reads and checks the file
        text.textContent = form.dataset.checking;
      });
      xhr.addEventListener("load", function () {
        if (xhr.responseURL && xhr.responseURL !== target) {
          window.location.assign(xhr.responseURL); // redirected to the job's page
          return;
        }
        show(xhr.responseText); // the form again, with its errors (or an error page)
      });
      xhr.addEventListener("error", function () {
        bar.value = 0;
        text.textContent = form.dataset.failed;
        if (button) {
          button.disabled = false;
        }
      });
      xhr.send(new FormData(form));
    });
  }

  function show(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    document.title = page.title;
    document.body.replaceWith(document.adoptNode(page.body));
    init();
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-upload]"), enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
