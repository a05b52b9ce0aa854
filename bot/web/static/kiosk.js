/**
 * The waiting-room kiosk: big question buttons, optional typing, read aloud, and an idle reset.
 *
 * Idle timeout: after `data-idle-seconds` (page: ?idle=, default 120) without a touch or a key, a
 * warning shows for `data-warning-seconds` (?warning=, default 20) with an "I'm still here"
 * button; then everything is reset: transcript cleared, a new conversation id (so Rasa starts a
 * new tracker: no slot is carried over), speech stopped. The kiosk keeps nothing in storage, so
 * after a reset (or a reload) nothing of the previous person's conversation can be reached.
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
  const speech = "speechSynthesis" in window ? window.speechSynthesis : null;

  let idleTimer = null;
  let countdownTimer = null;
  let lastAnswer = null;

  /* Read aloud: a toggle; while on, each new answer is spoken. */
  function speak(textElement) {
    if (!speech || readAloud.getAttribute("aria-pressed") !== "true" || !textElement) return;
    const utterance = new SpeechSynthesisUtterance(textElement.textContent);
    utterance.lang = "en";
    speech.speak(utterance);
  }

  function setReadAloud(on) {
    readAloud.setAttribute("aria-pressed", String(on));
    if (!speech) return;
    speech.cancel();
    if (on) speak(lastAnswer);
  }

  const conversation = new window.BmeChat.Conversation({
    serverUrl: body.dataset.serverUrl,
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
    afterQuickReply: () => log.focus(),
  });

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
      if (left <= 0) reset();
    }, 1000);
  }

  function stillHere() {
    clearInterval(countdownTimer);
    if (dialog.open) dialog.close();
    armIdleTimer();
  }

  /** Clear everything of this person's visit and begin a new conversation. */
  function reset() {
    clearInterval(countdownTimer);
    clearTimeout(idleTimer);
    if (dialog.open) dialog.close();
    setReadAloud(false);
    lastAnswer = null;
    input.value = "";
    conversation.startOver();
    window.scrollTo(0, 0);
    $("kiosk-start-over").focus();
  }

  function ask(message, shown) {
    conversation.send(message, shown);
    armIdleTimer();
  }

  document.querySelectorAll(".kiosk-question").forEach((button) => {
    button.addEventListener("click", () => ask(button.dataset.payload, button.textContent.trim()));
  });
  $("kiosk-form").addEventListener("submit", (event) => {
    event.preventDefault();
    ask(input.value);
    input.value = "";
  });
  $("kiosk-start-over").addEventListener("click", reset);
  $("kiosk-delete").addEventListener("click", () => {
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
