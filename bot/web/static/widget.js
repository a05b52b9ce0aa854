/**
 * The chat widget, embedded in any page with one script tag:
 *
 *   <script src="https://assistant.example/static/widget.js" defer
 *           data-server-url="https://assistant.example:5005"
 *           data-title="Questions about bone marrow edema?"
 *           data-primary-color="#0b5cad" data-on-primary-color="#ffffff"
 *           data-open="false"></script>
 *
 * Settings (all optional but data-server-url):
 *   data-server-url        Rasa's URL (its socket.io channel). Default: this page's host, port 5005.
 *   data-title             heading of the chat panel and text of the button that opens it;
 *   data-title-es          the same in Spanish.
 *   data-primary-color     colour of the header, the open button and your messages.
 *   data-on-primary-color  text colour on that colour (keep a contrast of at least 4.5:1).
 *   data-open              "true" to start open; otherwise it starts closed.
 *   data-language          "en" or "es" to start in; default: the browser's language. A switch
 *                          in the panel's header (English / Español) changes it at any time.
 *
 * It loads its own files (CSS, socket.io client, marked, DOMPurify, chat-core.js) from beside
 * itself, so the page needs nothing else. The conversation lives in sessionStorage: it survives
 * a reload in the same tab and is gone when the tab closes.
 */
(function () {
  "use strict";

  const script = document.currentScript;
  const base = new URL(".", script.src);
  const FILES = ["../vendor/socket.io.min.js", "../vendor/marked.umd.js",
    "../vendor/purify.min.js", "chat-core.js"];
  const STORAGE_KEY = "bme-widget";
  const OPEN_KEY = "bme-widget-open";
  let counter = 0;

  function settings(data) {
    return {
      serverUrl: data.serverUrl || `${location.protocol}//${location.hostname}:5005`,
      title: data.title || "",
      titleEs: data.titleEs || "",
      primary: data.primaryColor || "#0b5cad",
      onPrimary: data.onPrimaryColor || "#ffffff",
      open: data.open === "true",
      language: data.language || navigator.language,
    };
  }

  function loadStyles() {
    ["chat.css", "widget.css"].forEach((file) => {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = new URL(file, base).href;
      document.head.append(link);
    });
  }

  /** Load the scripts in order (async=false keeps the order of dynamically added scripts). */
  function loadScripts(files) {
    return Promise.all(files.map((file) => new Promise((resolve, reject) => {
      const tag = document.createElement("script");
      tag.src = new URL(file, base).href;
      tag.async = false;
      tag.onload = resolve;
      tag.onerror = () => reject(new Error(`The chat widget could not load ${tag.src}`));
      document.head.append(tag);
    })));
  }

  function el(tag, attributes, children) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([name, value]) => {
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    });
    (children || []).forEach((child) => node.append(child));
    return node;
  }

  function build(config) {
    const id = (name) => `bme-${name}-${counter}`;
    counter += 1;
    const launcher = el("button", { type: "button", class: "bme-launcher", "aria-expanded": "false",
      "aria-controls": id("panel"), text: config.title });
    const language = el("button", { type: "button", class: "bme-tool bme-language" });
    const startOver = el("button", { type: "button", class: "bme-tool", text: "Start over" });
    const erase = el("button", { type: "button", class: "bme-tool", text: "Delete chat" });
    const takeHome = el("a", { class: "bme-tool", target: "_blank", rel: "noopener",
      text: "Take this home", hidden: "" });
    const close = el("button", { type: "button", class: "bme-tool", "aria-label": "Close chat",
      text: "Close" });
    const status = el("div", { class: "bme-status", role: "status" });
    const log = el("div", { class: "bme-log", role: "log", "aria-label": "Conversation",
      tabindex: "0" });
    const typing = el("div", { class: "bme-typing", hidden: "" }, [
      el("span", { class: "bme-visually-hidden", text: "The assistant is typing" }),
      el("span", { class: "bme-dots", "aria-hidden": "true" },
        [el("span"), el("span"), el("span")])]);
    const replies = el("div", { class: "bme-replies", role: "group",
      "aria-label": "Suggested questions", hidden: "" });
    const input = el("input", { id: id("input"), class: "bme-input", type: "text",
      autocomplete: "off", maxlength: "500" });
    const form = el("form", { class: "bme-form" }, [
      el("label", { for: id("input"), class: "bme-visually-hidden", text: "Your question" }),
      input, el("button", { type: "submit", class: "bme-send", text: "Send" })]);
    const panel = el("section", { id: id("panel"), class: "bme-panel",
      "aria-labelledby": id("title"), hidden: "" }, [
      el("div", { class: "bme-header" }, [
        el("h2", { id: id("title"), class: "bme-title", text: config.title }),
        el("div", { class: "bme-tools" }, [language, takeHome, startOver, erase, close])]),
      status, log, typing, replies, form]);
    const root = el("div", { class: "bme-widget" }, [panel, launcher]);
    root.style.setProperty("--bme-primary", config.primary);
    root.style.setProperty("--bme-on-primary", config.onPrimary);
    document.body.append(root);

    const conversation = new window.BmeChat.Conversation({
      serverUrl: config.serverUrl, log, replies, typing, status,
      storage: window.sessionStorage, storageKey: STORAGE_KEY,
      afterQuickReply: () => input.focus(),
      onSummary: (path) => {  // the summary page is on the server that serves this script
        if (path) takeHome.href = new URL(path, base).href;
        else takeHome.removeAttribute("href");
        takeHome.hidden = !path;
      },
      language: config.language,
      onLanguage: relabel,
    });

    /** Every label in the conversation's language; the switch offers the other one. */
    function relabel(code) {
      const words = window.BmeChat.WORDS[code] || window.BmeChat.WORDS.en;
      const other = code === "es" ? "en" : "es";
      const title = (code === "es" ? config.titleEs : config.title) || words.title;
      panel.lang = code;
      launcher.lang = code;
      launcher.textContent = title;
      panel.querySelector(".bme-title").textContent = title;
      startOver.textContent = words.startOver;
      erase.textContent = words.erase;
      takeHome.textContent = words.takeHome;
      close.textContent = words.close;
      close.setAttribute("aria-label", words.closeLabel);
      log.setAttribute("aria-label", words.conversation);
      typing.querySelector(".bme-visually-hidden").textContent = words.typing;
      replies.setAttribute("aria-label", words.suggested);
      form.querySelector("label").textContent = words.question;
      form.querySelector(".bme-send").textContent = words.send;
      language.textContent = window.BmeChat.LANGUAGE_NAMES[other];
      language.lang = other;
      language.setAttribute("aria-label", window.BmeChat.WORDS[other].switchLabel);
      language.dataset.language = other;
    }
    relabel(conversation.language);

    function setOpen(open, focus) {
      panel.hidden = !open;
      root.classList.toggle("bme-widget--open", open);
      launcher.setAttribute("aria-expanded", String(open));
      window.sessionStorage.setItem(OPEN_KEY, String(open));
      if (open && !conversation.started) conversation.start();
      if (focus) (open ? input : launcher).focus();
    }

    launcher.addEventListener("click", () => setOpen(panel.hidden, true));
    close.addEventListener("click", () => setOpen(false, true));
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") setOpen(false, true);
    });
    language.addEventListener("click", () => {
      if (!conversation.started) conversation.start();
      conversation.switchTo(language.dataset.language);
      input.focus();
    });
    startOver.addEventListener("click", () => {
      conversation.startOver();
      input.value = "";
      input.focus();
    });
    erase.addEventListener("click", () => {
      conversation.deleteChat();
      input.focus();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      conversation.send(input.value);
      input.value = "";
    });

    const remembered = window.sessionStorage.getItem(OPEN_KEY);
    setOpen(remembered === null ? config.open : remembered === "true", false);
  }

  const config = settings(script.dataset);
  loadStyles();
  const domReady = new Promise((resolve) => {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", resolve);
    else resolve();
  });
  Promise.all([loadScripts(FILES), domReady]).then(() => build(config))
    .catch((error) => console.error(error));
})();
