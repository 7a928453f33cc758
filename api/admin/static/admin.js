// The admin's only script: confirmations, the simulator's phone thread, and document upload
// progress.
// Everything else on these pages is plain HTML forms. Text is always inserted as text, never HTML.
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

async function api(method, path, body) {
  const options = { method, headers: { "Accept": "application/json", "X-CSRF-Token": csrfToken() },
                    credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  if (!response.ok) {
    throw new Error((data && data.error) || ("HTTP " + response.status));
  }
  return data;
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});

function startSimulator(root) {
  const phoneForm = root.querySelector("[data-sim-phone-form]");
  const phoneInput = phoneForm.querySelector("input[name=phone]");
  const numberLabel = root.querySelector("[data-sim-number]");
  const list = root.querySelector("[data-sim-thread]");
  const errorBox = root.querySelector("[data-sim-error]");
  const compose = root.querySelector("[data-sim-compose]");
  const bodyInput = compose.querySelector("textarea");
  const sendButton = compose.querySelector("[data-sim-send]");
  let phone = phoneInput.value.trim();
  let lastSignature = "";
  let pending = [];
  let lastItems = [];

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  function bubble(direction, text, meta, key) {
    const item = document.createElement("li");
    item.className = direction;
    if (key) item.dataset.key = key;
    item.appendChild(document.createTextNode(text));
    if (meta) {
      const small = document.createElement("span");
      small.className = "meta";
      small.textContent = meta;
      item.appendChild(small);
    }
    return item;
  }

  function render(items) {
    lastItems = items;
    const signature = JSON.stringify(items.map((i) => [i.key, i.status])) + pending.length;
    if (signature === lastSignature) return;
    lastSignature = signature;
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.replaceChildren();
    for (const item of items) {
      const when = new Date(item.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      list.appendChild(bubble(item.direction, item.body, when + " · " + item.status.replace("_", " "), item.key));
    }
    for (const text of pending) list.appendChild(bubble("inbound", text, "sending…"));
    if (!list.children.length) {
      const empty = bubble("empty", "No messages with this number yet.");
      list.appendChild(empty);
    }
    if (nearBottom || pending.length) list.scrollTop = list.scrollHeight;
  }

  async function refresh() {
    if (!phone) return;
    try {
      const thread = await api("GET", "/admin/api/simulator/thread?phone=" + encodeURIComponent(phone));
      render(thread.items);
      if (!pending.length) showError("");
    } catch (error) {
      showError(error.message);
    }
  }

  phoneForm.addEventListener("submit", (event) => {
    event.preventDefault();
    phone = phoneInput.value.trim();
    numberLabel.textContent = phone;
    lastSignature = "";
    refresh();
  });

  compose.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = bodyInput.value.trim();
    phone = phoneInput.value.trim();
    numberLabel.textContent = phone;
    if (!text || !phone) return;
    pending.push(text);
    bodyInput.value = "";
    sendButton.disabled = true;
    showError("");
    render(lastItems);
    try {
      await api("POST", "/admin/api/simulator/messages", { phone, body: text });
    } catch (error) {
      showError(error.message);
      bodyInput.value = text;
    } finally {
      pending = pending.filter((t) => t !== text);
      sendButton.disabled = false;
      lastSignature = "";
      await refresh();
      bodyInput.focus();
    }
  });

  bodyInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      compose.requestSubmit();
    }
  });

  refresh();
  // Later messages (reminders, replies that missed the webhook's deadline) arrive by polling.
  setInterval(() => { if (!document.hidden) refresh(); }, 2000);
}

// Document upload: the same form, sent with XMLHttpRequest (fetch reports no upload progress)
// to the JSON API, with a progress bar; without JavaScript the form posts to the page instead.
function startUpload(form) {
  const box = form.querySelector("[data-kb-progress-box]");
  const bar = form.querySelector("[data-kb-progress]");
  const status = form.querySelector("[data-kb-status]");
  const button = form.querySelector("[data-kb-send]");

  function say(message, bad) {
    status.textContent = message;
    status.classList.toggle("bad", Boolean(bad));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    data.delete("csrf_token");
    const file = data.get("file");
    if (!file || !file.name) { say("Choose a file first.", true); return; }
    const collection = data.get("collection");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/admin/api/kb/documents");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const percent = Math.round((e.loaded / e.total) * 100);
      bar.value = percent;
      bar.textContent = percent + "%";
      say("Uploading " + file.name + ": " + percent + "%");
    });
    xhr.upload.addEventListener("load", () => {
      bar.value = 100;
      say("Uploaded " + file.name + "; reading and indexing it…");
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      button.disabled = false;
      if (xhr.status >= 200 && xhr.status < 300 && body) {
        const what = body.status === "duplicate"
          ? file.name + " has the same content as " + body.duplicate_of + ": not stored twice."
          : file.name + " " + body.status + " (" + body.chunks + " passages).";
        say(what);
        if (body.status === "duplicate") return;
        const next = "/admin/documents?collection=" + encodeURIComponent(collection) + "&done=document_added";
        window.setTimeout(() => window.location.assign(next), 600);
      } else {
        box.hidden = true;
        say((body && body.error) || ("Upload failed: HTTP " + xhr.status), true);
      }
    });
    xhr.addEventListener("error", () => {
      button.disabled = false;
      box.hidden = true;
      say("Upload failed: the connection broke. Try again.", true);
    });
    bar.value = 0;
    bar.textContent = "0%";
    box.hidden = false;
    button.disabled = true;
    say("Uploading " + file.name + "…");
    xhr.send(data);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const simulator = document.querySelector("[data-simulator]");
  if (simulator) startSimulator(simulator);
  const upload = document.querySelector("[data-kb-upload]");
  if (upload) startUpload(upload);
});
