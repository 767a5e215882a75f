/* omni-tui web chat widget. Embed with:
 *   <script src="https://RELAY/widget.js" data-title="Chat with us" data-prechat="true" async></script>
 * For a logged-in customer, a site may add data-user-name, data-user-email and
 * data-user-hash (HMAC-SHA256 of the email with [relay] widget_identity_secret, hex):
 * no pre-chat form, and the chat joins that customer's history.
 * Plain browser JavaScript, no dependencies. Every piece of text from a visitor or an
 * agent goes into the page through textContent, so it can never become markup.
 */
(() => {
  "use strict";
  if (window.OmniChat) return; // the tag pasted twice: one widget is enough

  // currentScript is null once the script has run; capture it now. Async tags still set it.
  const script =
    document.currentScript ||
    [...document.querySelectorAll("script[src]")]
      .filter((s) => /\/widget\.js(?:[?#].*)?$/.test(s.src))
      .pop();
  if (!script) return;
  const base = script.src.replace(/\/widget\.js(?:[?#].*)?$/, "");
  const title = script.dataset.title || "Chat with us";
  const prechat = script.dataset.prechat === "true";
  const VISITOR_RE = /^[A-Za-z0-9-]{16,64}$/;

  // localStorage throws in some privacy modes; the chat still works for this page view.
  const memory = {};
  const store = {
    get(k) {
      try { return localStorage.getItem(k); } catch { return memory[k] ?? null; }
    },
    set(k, v) {
      try { localStorage.setItem(k, v); } catch { memory[k] = v; }
    },
  };

  // The random id is the only thing that keeps one visitor's transcript from another's.
  function newVisitor() {
    if (crypto.randomUUID) return crypto.randomUUID(); // secure contexts only
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  // Who the site says is logged in, signed by the site (the relay checks the hash).
  const user = script.dataset.userEmail && script.dataset.userHash
    ? { name: script.dataset.userName || script.dataset.userEmail,
        email: script.dataset.userEmail, email_hash: script.dataset.userHash }
    : null;
  let visitor = store.get("omni-chat-visitor");
  // A transcript belongs to whoever was signed in (or to nobody): when that changes on
  // this browser (a log in, a log out, someone else), the chat starts afresh rather
  // than show one person's chat to the next.
  const owner = store.get("omni-chat-owner");
  if (owner !== null && owner !== (user?.email || "")) {
    visitor = null;
    store.set("omni-chat-profile", "null");
  }
  if (!visitor || !VISITOR_RE.test(visitor)) {
    visitor = newVisitor();
    store.set("omni-chat-visitor", visitor);
  }
  store.set("omni-chat-owner", user?.email || "");
  let profile = user;
  if (!profile) {
    try { profile = JSON.parse(store.get("omni-chat-profile") || "null"); } catch { /* reset */ }
  }

  const CSS = `
.omni-chat-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;
  border-radius:24px;padding:12px 18px;background:#1f6feb;color:#fff;font:600 15px system-ui,sans-serif;
  cursor:pointer;box-shadow:0 2px 10px rgba(0,0,0,.25)}
.omni-chat-box{position:fixed;right:20px;bottom:76px;z-index:2147483000;width:340px;max-width:calc(100vw - 40px);
  height:460px;max-height:calc(100vh - 100px);display:flex;flex-direction:column;background:#fff;color:#1b1f24;
  border-radius:10px;box-shadow:0 4px 24px rgba(0,0,0,.25);font:14px/1.4 system-ui,sans-serif;overflow:hidden}
.omni-chat-box[hidden],.omni-chat-box [hidden]{display:none}
.omni-chat-box *{box-sizing:border-box}
.omni-chat-header{display:flex;justify-content:space-between;align-items:center;padding:10px 14px;
  background:#1f6feb;color:#fff;font-weight:600}
.omni-chat-close{background:none;border:0;color:inherit;font-size:20px;cursor:pointer;line-height:1}
.omni-chat-messages{flex:1;overflow-y:auto;padding:10px;display:flex;flex-direction:column;gap:6px}
.omni-chat-msg{max-width:85%;padding:6px 10px;border-radius:8px;white-space:pre-wrap;overflow-wrap:anywhere}
.omni-chat-in{align-self:flex-end;background:#dbeafe}
.omni-chat-out{align-self:flex-start;background:#f1f3f5}
.omni-chat-author{display:block;font-size:12px;font-weight:600;color:#57606a}
.omni-chat-error{color:#b42318;font-size:13px}
.omni-chat-form,.omni-chat-compose{display:flex;gap:6px;padding:10px;border-top:1px solid #e5e7eb}
.omni-chat-form{flex-direction:column}
.omni-chat-box input,.omni-chat-box textarea{font:inherit;padding:6px 8px;border:1px solid #d0d7de;border-radius:6px}
.omni-chat-box textarea{flex:1;resize:none;height:56px}
.omni-chat-box .omni-chat-button{border:0;border-radius:6px;padding:6px 12px;background:#1f6feb;color:#fff;
  font:inherit;cursor:pointer}
.omni-chat-box .omni-chat-button:disabled{opacity:.6;cursor:default}`;

  // All DOM is built here with createElement; no HTML strings anywhere.
  function el(tag, props = {}, ...children) {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  }
  const button = (props, label) =>
    el("button", { type: "button", className: "omni-chat-button", ...props }, label);

  const launcher = el("button", { type: "button", id: "omni-chat-launcher",
    className: "omni-chat-launcher", textContent: title });
  const messages = el("div", { id: "omni-chat-messages", className: "omni-chat-messages" });
  messages.setAttribute("role", "log");
  messages.setAttribute("aria-live", "polite");
  const input = el("textarea", { id: "omni-chat-input", placeholder: "Type a message…",
    maxLength: 4000, rows: 2 });
  const send = button({ id: "omni-chat-send" }, "Send");
  const compose = el("div", { className: "omni-chat-compose" }, input, send);
  const nameInput = el("input", { id: "omni-chat-name", placeholder: "Your name",
    maxLength: 100, autocomplete: "name" });
  const emailInput = el("input", { id: "omni-chat-email", type: "email",
    placeholder: "Email (optional)", maxLength: 200, autocomplete: "email" });
  const start = button({ id: "omni-chat-start" }, "Start chat");
  const form = el("div", { className: "omni-chat-form" }, nameInput, emailInput, start);
  const close = el("button", { type: "button", className: "omni-chat-close",
    textContent: "×", title: "Close" });
  const box = el("div", { id: "omni-chat-box", className: "omni-chat-box", hidden: true },
    el("div", { className: "omni-chat-header" }, el("span", { textContent: title }), close),
    messages, form, compose);
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-label", title);

  function showForm(needed) {
    form.hidden = !needed;
    compose.hidden = needed;
  }
  showForm(prechat && !profile);

  function showError(text) {
    messages.append(el("div", { className: "omni-chat-error", textContent: text }));
    messages.scrollTop = messages.scrollHeight;
  }

  // History, the stream and our own POST answers overlap; each id is shown once, in id order.
  const seen = new Set();
  // Where a new stream resumes: only ids that came over history or the stream. Our own
  // POST answers do not count, or an agent reply that landed while the stream was down
  // (an id below our newer message) would never be asked for.
  let cursor = 0;
  function received(m) {
    render(m);
    if (m && typeof m.id === "number") cursor = Math.max(cursor, m.id);
  }
  function render(m) {
    if (!m || typeof m.id !== "number" || seen.has(m.id)) return;
    seen.add(m.id);
    const mine = m.direction === "in";
    const node = el("div", { className: `omni-chat-msg ${mine ? "omni-chat-in" : "omni-chat-out"}` },
      el("span", { className: "omni-chat-author", textContent: m.author || (mine ? "You" : "Support") }),
      el("span", { className: "omni-chat-text", textContent: String(m.text ?? "") }));
    node.dataset.id = String(m.id);
    if (m.sent_at) node.title = new Date(m.sent_at).toLocaleString();
    const later = [...messages.querySelectorAll(".omni-chat-msg")].find((n) => Number(n.dataset.id) > m.id);
    messages.insertBefore(node, later || null);
    messages.scrollTop = messages.scrollHeight;
  }

  const q = `visitor=${encodeURIComponent(visitor)}`;
  let stream = null;
  function connect() {
    stream = new EventSource(`${base}/widget/stream?${q}&after=${cursor}`);
    stream.addEventListener("message", (e) => {
      try { received(JSON.parse(e.data)); } catch { /* a malformed event is skipped */ }
    });
    // EventSource retries network drops itself, but gives up on an HTTP error answer.
    stream.onerror = () => {
      if (stream.readyState === EventSource.CLOSED) setTimeout(connect, 5000);
    };
  }

  // Nothing is fetched until the visitor opens the box, so idle page views cost the relay nothing.
  let started = false;
  async function begin() {
    if (started) return;
    started = true;
    try {
      const answer = await fetch(`${base}/widget/history?${q}`);
      if (!answer.ok) throw new Error(`history: HTTP ${answer.status}`);
      (await answer.json()).messages.forEach(received);
    } catch {
      showError("Could not load earlier messages.");
    }
    connect();
  }

  // One key per message, kept until the relay has it: pressing Send again after a lost
  // answer repeats the key, so the relay keeps the message once.
  let pending = null;
  function newKey() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function post() {
    const text = input.value;
    if (!text.trim() || send.disabled) return;
    send.disabled = true;
    if (!pending || pending.text !== text) pending = { text, key: newKey() };
    const body = { visitor, text, key: pending.key, page: location.href };
    if (profile?.name) body.name = profile.name;
    if (profile?.email) body.email = profile.email;
    if (profile?.email_hash) body.email_hash = profile.email_hash;
    try {
      // text/plain keeps this a "simple" request: no CORS preflight round trip.
      const answer = await fetch(`${base}/widget/messages`, { method: "POST",
        headers: { "Content-Type": "text/plain;charset=UTF-8" }, body: JSON.stringify(body) });
      const reply = await answer.json().catch(() => ({}));
      if (answer.status === 401) {  // the site's signature: the relay's log says why
        showError("We could not confirm who you are; please reload the page.");
        return;
      }
      if (answer.status !== 201 && answer.status !== 200) {
        showError(reply.error || `The message was not sent (HTTP ${answer.status}).`);
        return;
      }
      pending = null;
      input.value = "";
      render({ id: reply.id, direction: "in", text, author: body.name || null, sent_at: reply.sent_at });
    } catch {
      showError("Could not reach the chat; please try again.");
    } finally {
      send.disabled = false;
      input.focus();
    }
  }

  function startChat() {
    const name = nameInput.value.trim();
    const email = emailInput.value.trim();
    if (!name) return showError("Please tell us your name.");
    if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return showError("That email address looks wrong.");
    profile = { name, ...(email ? { email } : {}) };
    store.set("omni-chat-profile", JSON.stringify(profile));
    showForm(false);
    input.focus();
  }

  // The box stays open across page loads, so a visitor browsing the site keeps the conversation.
  function open(focus = true) {
    box.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    store.set("omni-chat-open", "1");
    begin();
    if (focus) (form.hidden ? input : nameInput).focus();
  }
  function hide() {
    box.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    store.set("omni-chat-open", "0");
  }

  launcher.addEventListener("click", () => (box.hidden ? open() : hide()));
  close.addEventListener("click", hide);
  send.addEventListener("click", post);
  start.addEventListener("click", startChat);
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      post();
    }
  });
  form.addEventListener("keydown", (e) => {
    if (e.key === "Enter") startChat();
  });

  function mount() {
    (document.head || document.documentElement).append(el("style", { textContent: CSS }));
    document.body.append(launcher, box);
    if (store.get("omni-chat-open") === "1") open(false); // no focus stealing on load
  }
  // An async tag may run before <body> is parsed.
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  window.OmniChat = { open, close: hide };
})();
