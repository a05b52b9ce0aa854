/**
 * The waiting-room kiosk: big question buttons, optional typing, read aloud, and an idle reset.
 *
 * Questions by touch: the main questions (the greeting's topics) are always on screen as big
 * buttons, so quick replies that ask the same are not drawn again; "More questions" shows every
 * other topic as a grid of big buttons in place of the conversation, until one is pressed.
 *
 * Idle timeout: after `data-idle-seconds` (page: ?idle=, default 120) without a touch or a key, a
 * warning shows for `data-warning-seconds` (?warning=, default 20) with an "I'm still here"
 * button; then everything is reset: transcript cleared, a new conversation id (so Rasa starts a
 * new tracker: no slot is carried over), speech stopped. The kiosk keeps nothing in storage, so
 * after a reset (or a reload) nothing of the previous person's conversation can be reached.
 *
 * Languages: the page starts in `data-language` (the server's pick: ?lang=, else the browser's);
 * the switch in the header (English / Español) changes the conversation's language, and the page
 * relabels itself in place from the shared WORDS (chat-core.js) and `data-content` (the
 * disclaimer and question titles in each language); read-aloud speaks in that language.
 */
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const idleMs = Number(body.dataset.idleSeconds) * 1000 || 120000;
  const warningS = Number(body.dataset.warningSeconds) || 20;
  const ACTIVITY = ["pointerdown", "keydown", "input", "wheel", "touchstart"];

  const log = $("kiosk-log");
  const input = $("kiosk-input");
  const dialog = $("kiosk-idle");
  const count = $("kiosk-idle-count");
  const readAloud = $("kiosk-read-aloud");
  const main = document.querySelector(".kiosk-main");
  const more = $("kiosk-more");
  const moreToggle = $("kiosk-more-toggle");
  const onScreen = new Set(Array.from(document.querySelectorAll(".kiosk-questions .kiosk-question"),
    (button) => button.dataset.payload));
  const speech = "speechSynthesis" in window ? window.speechSynthesis : null;

  const content = JSON.parse(body.dataset.content || "{}");
  const switcher = $("kiosk-language");
  let language = body.dataset.language || "en";
  let idleTimer = null;
  let countdownTimer = null;
  let lastAnswer = null;
  let summaryPath = null;
  const summaryDialog = $("kiosk-summary");
  const summaryFrame = $("kiosk-summary-page");

  /* Take this home: the summary of this visit's answers in a dialog, with its Print button and
     QR code. Closed and emptied by every reset. */
  function showSummary() {
    if (!summaryPath) return;
    if (body.dataset.print === "1") {  // a kiosk with a printer (?print=1): print at this touch
      summaryFrame.addEventListener("load", () => summaryFrame.contentWindow.print(), { once: true });
    }
    summaryFrame.src = summaryPath;
    summaryDialog.showModal();
    $("kiosk-summary-close").focus();
  }

  function closeSummary() {
    if (summaryDialog.open) summaryDialog.close();
    summaryFrame.src = "about:blank";
  }

  /* Read aloud: a toggle; while on, each new answer is spoken. */
  function speak(textElement) {
    if (!speech || readAloud.getAttribute("aria-pressed") !== "true" || !textElement) return;
    const utterance = new SpeechSynthesisUtterance(textElement.textContent);
    utterance.lang = language;
    speech.speak(utterance);
  }

  function setReadAloud(on) {
    readAloud.setAttribute("aria-pressed", String(on));
    if (!speech) return;
    speech.cancel();
    if (on) speak(lastAnswer);
  }

  /** Every label of the page in ``code``; the switch offers the other language. */
  function relabel(code) {
    const words = window.BmeChat.WORDS[code];
    const own = content[code];
    if (!words || !own) return;
    language = code;
    document.documentElement.lang = code;
    document.querySelectorAll("[data-word]").forEach((node) => {
      node.textContent = words[node.dataset.word];
    });
    document.querySelectorAll("[data-label]").forEach((node) => {
      node.setAttribute(node.tagName === "IFRAME" ? "title" : "aria-label", words[node.dataset.label]);
    });
    document.querySelectorAll(".kiosk-question").forEach((button) => {
      if (own.topics[button.dataset.payload]) button.textContent = own.topics[button.dataset.payload];
    });
    $("kiosk-disclaimer").textContent = own.disclaimer;
    if (conversation) conversation.options.hiddenBotText = own.disclaimer;
    const other = code === "es" ? "en" : "es";
    switcher.textContent = window.BmeChat.LANGUAGE_NAMES[other];
    switcher.lang = other;
    switcher.setAttribute("aria-label", window.BmeChat.WORDS[other].switchLabel);
    switcher.dataset.language = other;
  }

  let conversation = null;
  conversation = new window.BmeChat.Conversation({
    serverUrl: body.dataset.serverUrl,
    language,
    onLanguage: relabel,
    log,
    replies: $("kiosk-replies"),
    typing: $("kiosk-typing"),
    status: $("kiosk-status"),
    storage: null,
    hiddenBotText: $("kiosk-disclaimer").textContent,
    onBotMessage: (textElement) => {
      lastAnswer = textElement;
      speak(textElement);
    },
    afterQuickReply: () => {
      log.focus();
      armIdleTimer();  // a quick reply can be the visit's first question too
    },
    shownElsewhere: (reply) => onScreen.has(reply.payload),
    onSummary: (path) => {
      summaryPath = path;
      $("kiosk-take-home").hidden = !path;
    },
  });

  /* "More questions": while open, the grid takes the conversation's place and has the focus.
     Closed, the conversation shows its newest message again (hidden, it lost its scroll). */
  function setMore(open) {
    if (open === !more.hidden) return;
    more.hidden = !open;
    moreToggle.setAttribute("aria-expanded", String(open));
    main.classList.toggle("kiosk-main--more", open);
    if (open) more.querySelector("button").focus();
    else if (log.lastElementChild) conversation.reveal(log.lastElementChild);
  }

  /* On short screens the page scrolls under the disclaimer, which stays at the top: a control
     that gets the focus (the first of "More questions", or by Tab) is scrolled to below it. */
  const notice = document.querySelector(".kiosk-disclaimer");
  new ResizeObserver(() => {
    const sticky = getComputedStyle(notice).position === "sticky";
    document.documentElement.style.scrollPaddingTop = sticky ? `${notice.offsetHeight + 8}px` : "";
  }).observe(notice);

  /* Idle timeout. The timer runs only while someone has started a conversation. */
  function armIdleTimer() {
    clearTimeout(idleTimer);
    if (!dialog.open && conversation.state.messages.some((m) => m.from === "user")) {
      idleTimer = setTimeout(warn, idleMs);
    }
  }

  function warn() {
    let left = warningS;
    count.textContent = String(left);
    dialog.showModal();
    $("kiosk-still-here").focus();
    countdownTimer = setInterval(() => {
      left -= 1;
      count.textContent = String(Math.max(left, 0));
      if (left <= 0) reset(true);
    }, 1000);
  }

  function stillHere() {
    clearInterval(countdownTimer);
    if (dialog.open) dialog.close();
    armIdleTimer();
  }

  /**
   * Clear everything of this person's visit and begin a new conversation. "Start over" keeps the
   * language chosen; the idle reset (``forNextPerson``) goes back to the kiosk's own.
   */
  function reset(forNextPerson) {
    clearInterval(countdownTimer);
    clearTimeout(idleTimer);
    if (dialog.open) dialog.close();
    closeSummary();
    setReadAloud(false);
    setMore(false);
    lastAnswer = null;
    input.value = "";
    if (forNextPerson === true && body.dataset.language) {
      conversation.state.language = body.dataset.language;
    }
    conversation.startOver();
    window.scrollTo(0, 0);
    $("kiosk-start-over").focus();
  }

  function ask(message, shown) {
    setMore(false);
    conversation.send(message, shown);
    armIdleTimer();
  }

  document.querySelectorAll(".kiosk-question").forEach((button) => {
    button.addEventListener("click", () => {
      ask(button.dataset.payload, button.textContent.trim());
      if (more.contains(button)) moreToggle.focus();  // the grid has closed under it
    });
  });
  moreToggle.addEventListener("click", () => setMore(more.hidden));
  more.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    setMore(false);
    moreToggle.focus();
  });
  $("kiosk-form").addEventListener("submit", (event) => {
    event.preventDefault();
    ask(input.value);
    input.value = "";
  });
  $("kiosk-start-over").addEventListener("click", () => reset(false));
  switcher.addEventListener("click", () => {
    setMore(false);
    conversation.switchTo(switcher.dataset.language);
    armIdleTimer();
  });
  $("kiosk-take-home").addEventListener("click", showSummary);
  $("kiosk-summary-close").addEventListener("click", () => {
    closeSummary();
    $("kiosk-take-home").focus();
  });
  $("kiosk-delete").addEventListener("click", () => {
    setMore(false);
    conversation.deleteChat();
    armIdleTimer();
  });
  $("kiosk-still-here").addEventListener("click", stillHere);
  dialog.addEventListener("cancel", (event) => {  // Escape also means "I'm still here".
    event.preventDefault();
    stillHere();
  });
  ACTIVITY.forEach((name) => document.addEventListener(name, () => {
    if (!dialog.open) armIdleTimer();
  }, { passive: true }));

  if (speech) {
    readAloud.hidden = false;
    readAloud.addEventListener("click", () => {
      setReadAloud(readAloud.getAttribute("aria-pressed") !== "true");
    });
  }
  conversation.start();
})();
