/**
 * The conversation core shared by the chat widget (widget.js) and the kiosk (kiosk.js).
 *
 * It talks to Rasa's socket.io channel (credentials.yml: user_uttered / bot_uttered,
 * session_persistence on) with the socket.io client, keeps the transcript, and renders bot text
 * safely: a small markdown subset (marked) cleaned by DOMPurify, with any raw HTML shown as text.
 *
 * The protocol, as Rasa 3.6 speaks it (rasa/core/channels/socketio.py):
 *   client -> "session_request" {session_id: <id or null>}
 *   server -> "session_confirm" <id>          (the socket joins the room of that conversation)
 *   client -> "user_uttered" {message, session_id}
 *   server -> "bot_uttered_about" {...}        (ours: what the next part is; other clients ignore it)
 *   server -> "bot_uttered" {text, quick_replies?: [{title, payload}]}   (one event per part)
 *
 * "bot_uttered_about" (bot/channels/browser.py: ABOUT_EVENT) says what the part sent after it is:
 * {kind, answer_id, review, feedback_question}. Rasa's own message format stays untouched, so
 * outside widgets such as rasa-webchat show every part.
 * Under a medical answer (kind "answer") the page shows its review note and the feedback buttons
 * (the /feedback_ quick replies) instead of listing those among the suggested questions. After
 * "delete my chat" (kind "deleted") the page forgets the conversation and shows the confirmation.
 *
 * Requires the globals io, marked and DOMPurify (the /vendor/ files); exports window.BmeChat.
 */
(function (global) {
  "use strict";

  const ALLOWED_TAGS = ["p", "br", "strong", "em", "a", "ul", "ol", "li", "code"];
  const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  /** The page's own words in each language the assistant speaks (its replies come from it). */
  const WORDS = {
    en: {
      connecting: "Connecting to the assistant…",
      online: "",
      lost: "Connection lost. Messages you type will be sent when it is back.",
      reconnecting: "Connection lost. Reconnecting… Messages you type will be sent when it is back.",
      back: "Connected again.",
      youSaid: "You said: ",
      botSaid: "The assistant said: ",
      pending: "Waiting to send",
      deleteChat: "Delete my chat",
      helpful: "Was this answer helpful?",
      // the widget's and the kiosk's own labels
      startOver: "Start over", erase: "Delete chat", takeHome: "Take this home", close: "Close",
      closeLabel: "Close chat", conversation: "Conversation", typing: "The assistant is typing",
      suggested: "Suggested questions", question: "Your question", send: "Send",
      switchLabel: "Switch to English", title: "Questions about bone marrow edema?",
      kioskTitle: "Questions about bone marrow edema", readAloud: "Read aloud",
      about: "About this assistant", moreQuestions: "More questions", mainQuestions: "Main questions",
      typeQuestion: "Or type a question", stillThere: "Are you still there?",
      clearIn: "For your privacy, this screen will clear in", seconds: "seconds.",
      stillHere: "I'm still here", takeHomeTitle: "Take your answers home",
      takeHomeFrame: "Your answers to take home",
    },
    es: {
      connecting: "Conectando con el asistente…",
      online: "",
      lost: "Se perdió la conexión. Lo que escriba se enviará cuando vuelva.",
      reconnecting: "Se perdió la conexión. Reconectando… Lo que escriba se enviará cuando vuelva.",
      back: "Conectado de nuevo.",
      youSaid: "Usted dijo: ",
      botSaid: "El asistente dijo: ",
      pending: "Esperando para enviar",
      deleteChat: "Borrar mi chat",
      helpful: "¿Le fue útil esta respuesta?",
      startOver: "Empezar de nuevo", erase: "Borrar chat", takeHome: "Llévelo a casa",
      close: "Cerrar", closeLabel: "Cerrar el chat", conversation: "Conversación",
      typing: "El asistente está escribiendo", suggested: "Preguntas sugeridas",
      question: "Su pregunta", send: "Enviar", switchLabel: "Cambiar a español",
      title: "¿Preguntas sobre el edema de médula ósea?",
      kioskTitle: "Preguntas sobre el edema de médula ósea", readAloud: "Leer en voz alta",
      about: "Sobre este asistente", moreQuestions: "Más preguntas",
      mainQuestions: "Preguntas principales", typeQuestion: "O escriba una pregunta",
      stillThere: "¿Sigue ahí?", clearIn: "Por su privacidad, esta pantalla se borrará en",
      seconds: "segundos.", stillHere: "Sigo aquí", takeHomeTitle: "Lleve sus respuestas a casa",
      takeHomeFrame: "Sus respuestas para llevar a casa",
    },
  };
  /** The message that switches the conversation to a language (the assistant's switch words). */
  const SWITCH_WORDS = { en: "english", es: "español" };
  const LANGUAGE_NAMES = { en: "English", es: "Español" };
  const BACK_NOTICE_MS = 5000;
  const FEEDBACK_PAYLOADS = ["/feedback_helpful", "/feedback_not_helpful"];
  const DELETE_PAYLOAD = "/delete_my_chat";
  const TYPING_LIMIT_MS = 20000;

  let markdown = null;
  let purifier = null;

  /** Our own instances of marked and DOMPurify, so a host page's copies are left as they are. */
  function renderers() {
    if (!markdown) {
      markdown = new global.marked.Marked({ gfm: true, breaks: false });
      // Raw HTML in a message (block or inline) is shown as the text it is, never parsed.
      markdown.use({ renderer: { html: (token) => escapeHtml(token.text) } });
      purifier = global.DOMPurify(global);
      purifier.addHook("afterSanitizeAttributes", (node) => {
        if (node.tagName === "A") {
          node.setAttribute("target", "_blank");
          node.setAttribute("rel", "noopener noreferrer");
        }
      });
    }
    return { markdown, purifier };
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
  }

  /**
   * Bot text as a DOM fragment: markdown (paragraphs, bold, italics, lists, code, links) only.
   * @param {string} text
   * @returns {DocumentFragment}
   */
  function renderMarkdown(text) {
    const { markdown, purifier } = renderers();
    return purifier.sanitize(markdown.parse(String(text)), {
      ALLOWED_TAGS, ALLOWED_ATTR: ["href"], RETURN_DOM_FRAGMENT: true,
    });
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function freshState(language) {
    return { sessionId: null, started: false, messages: [], quickReplies: [], outbox: [],
      summary: null, language };
  }

  /** The language to start in: one the assistant speaks, from the browser's (es-MX -> es). */
  function startingLanguage(preferred) {
    const code = String(preferred || "").toLowerCase().split("-")[0];
    return WORDS[code] ? code : "en";
  }

  /** One conversation with the assistant, drawn into elements the page provides. */
  class Conversation {
    /**
     * @param {Object} options
     * @param {string} options.serverUrl Rasa's URL, e.g. http://localhost:5005.
     * @param {HTMLElement} options.log the transcript (role="log").
     * @param {HTMLElement} options.replies where quick-reply buttons go.
     * @param {HTMLElement} options.typing the typing indicator (shown with its hidden attribute).
     * @param {HTMLElement} options.status the connection status (role="status").
     * @param {?Storage} options.storage sessionStorage to survive a reload, or null.
     * @param {string} [options.storageKey] key of this conversation in storage.
     * @param {string} [options.initPayload] sent, not shown, when a new conversation starts.
     * @param {string} [options.hiddenBotText] a bot text the page shows by itself elsewhere.
     * @param {function(HTMLElement)} [options.onBotMessage] called with each bot text element.
     * @param {function()} [options.afterQuickReply] called after a quick reply was pressed.
     * @param {function({title: string, payload: string}): boolean} [options.shownElsewhere]
     *   whether the page shows this quick reply as a button of its own already (then not drawn).
     * @param {function(?string)} [options.onSummary] called with the take-home summary's path
     *   (/summary?v=...&a=...: answer ids only) when it changes, and with null when it is gone.
     * @param {string} [options.language] the language to start in (default: the browser's); the
     *   choice made in the conversation is kept, through "Start over" too.
     * @param {function(string)} [options.onLanguage] called with the conversation's language
     *   ("en", "es") at start and whenever it changes, for the page to relabel itself.
     */
    constructor(options) {
      this.options = Object.assign(
        { storageKey: "bme-chat", initPayload: "/greet", hiddenBotText: "",
          onBotMessage: () => {}, afterQuickReply: () => {}, onSummary: () => {},
          onLanguage: () => {}, language: startingLanguage(global.navigator && global.navigator.language) },
        options);
      this.socket = null;
      this.nextAbout = null; // what the next "bot_uttered" part is, told just before it
      this.ready = false;
      this.hadConnection = false;
      this.state = this.load();
      this.typingTimer = null;
      this.statusTimer = null;
    }

    load() {
      const { storage, storageKey } = this.options;
      try {
        const saved = storage && JSON.parse(storage.getItem(storageKey));
        if (saved && Array.isArray(saved.messages)) {
          return Object.assign(freshState(this.options.language), saved);
        }
      } catch (error) { /* unreadable: start afresh */ }
      return freshState(startingLanguage(this.options.language));
    }

    save() {
      const { storage, storageKey } = this.options;
      if (storage) storage.setItem(storageKey, JSON.stringify(this.state));
    }

    /** Draw what the conversation holds so far (after a reload) and connect. */
    start() {
      this.options.onSummary(this.state.summary || null);
      this.options.onLanguage(this.language);
      this.options.log.replaceChildren();
      this.state.messages.forEach((message) => this.draw(message));
      this.drawQuickReplies();
      this.connect();
    }

    get started() {
      return this.socket !== null;
    }

    /** The conversation's language ("en", "es"). */
    get language() {
      return WORDS[this.state.language] ? this.state.language : "en";
    }

    /** The page's words in the conversation's language. */
    get words() {
      return WORDS[this.language];
    }

    /** Switch the conversation to ``language``: the assistant says so, in it. */
    switchTo(language) {
      if (!WORDS[language] || language === this.language) return;
      this.send(SWITCH_WORDS[language], LANGUAGE_NAMES[language]);
    }

    connect() {
      const socket = global.io(this.options.serverUrl, { forceNew: true, reconnectionDelayMax: 5000 });
      this.socket = socket;
      this.ready = false;
      this.setStatus("connecting");
      const current = () => socket === this.socket;
      socket.on("connect", () => {
        if (current()) socket.emit("session_request", { session_id: this.state.sessionId });
      });
      socket.on("session_confirm", (sessionId) => { if (current()) this.confirmed(sessionId); });
      socket.on("bot_uttered_about", (about) => { if (current()) this.nextAbout = about; });
      socket.on("bot_uttered", (message) => {
        if (!current()) return;
        const about = this.nextAbout;
        this.nextAbout = null;
        this.receive(message || {}, about);
      });
      socket.on("disconnect", (reason) => {
        if (!current()) return;
        this.ready = false;
        this.setTyping(false);
        if (reason !== "io client disconnect") this.setStatus("lost");
      });
      socket.io.on("reconnect_attempt", () => { if (current()) this.setStatus("reconnecting"); });
      socket.on("connect_error", () => {
        if (current() && this.hadConnection) this.setStatus("reconnecting");
      });
    }

    confirmed(sessionId) {
      const isNew = this.state.sessionId !== sessionId;
      this.state.sessionId = sessionId;
      this.ready = true;
      this.setStatus(this.hadConnection && !isNew ? "back" : "online");
      this.hadConnection = true;
      if (!this.state.started) {
        this.state.started = true;
        if (this.options.initPayload) this.state.outbox.unshift({ message: this.options.initPayload });
      }
      this.save();
      this.flush();
    }

    /**
     * Send a message; shown as `shown` (a button's title) or as typed. Kept until it can be sent.
     * @param {string} message
     * @param {string} [shown]
     */
    send(message, shown) {
      const text = String(message || "").trim();
      if (!text) return;
      const id = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
      this.state.quickReplies = [];
      this.drawQuickReplies();
      this.retireFeedback();
      this.add({ from: "user", text: shown || text, id, pending: true });
      this.state.outbox.push({ message: text, id });
      this.save();
      this.flush();
    }

    flush() {
      if (!this.ready || !this.state.outbox.length) return;
      for (const item of this.state.outbox.splice(0)) {
        // customData: Rasa's socket.io metadata; the assistant answers in this language until the
        // patient switches (bot/engine/language.py)
        this.socket.emit("user_uttered", { message: item.message, session_id: this.state.sessionId,
          customData: { language: this.language } });
        const shown = this.state.messages.find((m) => m.id && m.id === item.id);
        if (shown) {
          delete shown.pending;
          const node = this.options.log.querySelector(`[data-id="${shown.id}"] .bme-pending`);
          if (node) node.remove();
        }
      }
      this.save();
      this.setTyping(true);
    }

    /**
     * Show one part the assistant sent.
     * @param {{text?: string, quick_replies?: Array<{title: string, payload: string}>}} message
     * @param {object|null} [described] what the part is (the "bot_uttered_about" before it)
     */
    receive(message, described) {
      this.setTyping(false);
      const text = typeof message.text === "string" ? message.text : "";
      const about = described && typeof described === "object" ? described : {};
      if (WORDS[about.language] && about.language !== this.state.language) {
        this.state.language = about.language;
        this.options.onLanguage(about.language);
      }
      if (about.kind === "deleted") {
        this.startOver(false);
        this.add({ from: "bot", text, notice: true });
        return;
      }
      const replies = (Array.isArray(message.quick_replies) ? message.quick_replies : [])
        .filter((r) => r && r.title && r.payload)
        .map((r) => ({ title: String(r.title), payload: String(r.payload) }));
      if (typeof about.summary === "string" && about.summary.startsWith("/summary?")) {
        this.state.summary = about.summary;
        this.options.onSummary(about.summary);
      }
      const isAnswer = about.kind === "answer" && Array.isArray(message.quick_replies);
      const feedback = isAnswer ? replies.filter((r) => FEEDBACK_PAYLOADS.includes(r.payload)) : [];
      if (text && text.trim() !== this.options.hiddenBotText.trim()) {
        const shown = { from: "bot", text, language: this.language };
        if (isAnswer && typeof about.review === "string") shown.review = about.review;
        if (feedback.length) {
          shown.feedback = feedback;
          shown.feedbackQuestion = String(about.feedback_question || this.words.helpful);
        }
        this.add(shown);
      }
      if (Array.isArray(message.quick_replies)) {
        this.state.quickReplies = replies.filter((r) => !feedback.includes(r));
        this.drawQuickReplies();
      }
      this.save();
    }

    /** Ask the assistant to delete this conversation from its records ("delete my chat"). */
    deleteChat(shown) {
      this.send(DELETE_PAYLOAD, shown || this.words.deleteChat);
    }

    add(message) {
      this.state.messages.push(message);
      this.save();
      const node = this.draw(message);
      if (message.from === "bot") this.options.onBotMessage(node.querySelector(".bme-text"));
    }

    draw(message) {
      const node = element("div", `bme-message bme-message--${message.from}`);
      if (message.id) node.dataset.id = message.id;
      if (message.language) node.lang = message.language;  // read aloud and shown in its language
      node.append(element("span", "bme-visually-hidden",
        message.from === "user" ? this.words.youSaid : this.words.botSaid));
      const body = element("div", "bme-text");
      if (message.from === "user") body.textContent = message.text;
      else body.append(renderMarkdown(message.text));
      node.append(body);
      if (message.notice) node.classList.add("bme-message--notice");
      if (message.review) node.append(element("p", "bme-review", message.review));
      if (message.feedback && message.feedback.length) node.append(this.feedbackGroup(message));
      if (message.pending) node.append(element("span", "bme-pending", this.words.pending));
      this.options.log.append(node);
      this.reveal(node);
      return node;
    }

    /**
     * The assistant records a rating against its last answer, so once anything else is sent no
     * earlier answer's buttons stay: only one "Was this answer helpful?" is ever on screen.
     */
    retireFeedback() {
      this.state.messages.forEach((message) => { if (message.feedback) message.feedback = []; });
      this.options.log.querySelectorAll(".bme-feedback").forEach((group) => group.remove());
    }

    /** "Was this answer helpful?" with its buttons; once one is pressed, the group goes. */
    feedbackGroup(message) {
      const group = element("div", "bme-feedback");
      group.setAttribute("role", "group");
      const label = element("span", "bme-feedback-question", message.feedbackQuestion);
      label.id = `bme-fb-${Math.random().toString(36).slice(2, 10)}`;
      group.setAttribute("aria-labelledby", label.id);
      group.append(label);
      message.feedback.forEach((reply) => {
        const button = element("button", "bme-feedback-button", reply.title);
        button.type = "button";
        button.addEventListener("click", () => {
          message.feedback = [];
          group.remove();
          this.send(reply.payload, reply.title);
          this.options.afterQuickReply();
        });
        group.append(button);
      });
      return group;
    }

    /** Scroll to the new message; a long answer is shown from its first line, not its last. */
    reveal(node) {
      const log = this.options.log;
      const top = node.offsetTop - log.offsetTop - 8;
      log.scrollTop = node.offsetHeight > log.clientHeight ? top : log.scrollHeight;
    }

    /** The quick replies to draw: all but those the page shows as its own buttons already. */
    offeredQuickReplies() {
      const elsewhere = this.options.shownElsewhere || (() => false);
      return this.state.quickReplies.filter((reply) => !elsewhere(reply));
    }

    drawQuickReplies() {
      const buttons = this.offeredQuickReplies().map((reply) => {
        const button = element("button", "bme-reply", reply.title);
        button.type = "button";
        button.addEventListener("click", () => {
          this.send(reply.payload, reply.title);
          this.options.afterQuickReply();
        });
        return button;
      });
      this.options.replies.replaceChildren(...buttons);
      this.options.replies.hidden = buttons.length === 0;
    }

    setTyping(on) {
      clearTimeout(this.typingTimer);
      this.options.typing.hidden = !on;
      if (on) this.typingTimer = setTimeout(() => { this.options.typing.hidden = true; }, TYPING_LIMIT_MS);
    }

    setStatus(state) {
      clearTimeout(this.statusTimer);
      this.options.status.textContent = this.words[state];
      this.options.status.dataset.state = state;
      if (state === "back") this.statusTimer = setTimeout(() => this.setStatus("online"), BACK_NOTICE_MS);
    }

    /**
     * Forget this conversation everywhere in the page and begin a new one with a new id.
     * @param {boolean} [greet=true] whether to greet again at once (not after "delete my chat",
     *   whose confirmation is the last thing shown).
     */
    startOver(greet = true) {
      if (this.socket) {
        // A new socket: the old one is in the old conversation's room and must hear nothing more.
        this.socket.disconnect();
        this.socket = null;
      }
      if (this.options.storage) this.options.storage.removeItem(this.options.storageKey);
      this.state = freshState(this.language);  // the language chosen lasts through "Start over"
      if (!greet) this.state.started = true;
      this.hadConnection = false;
      this.setTyping(false);
      this.start();
    }
  }

  global.BmeChat = { Conversation, renderMarkdown, WORDS, LANGUAGE_NAMES, startingLanguage };
})(window);
