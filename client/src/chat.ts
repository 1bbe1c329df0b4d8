// The chat panel (protocol.md §6 `chat`): a toggle with an unread count, the
// messages (names, times; text only, never markup) and the input (Enter sends).
import type { ChatMessage, PeerId } from "./protocol";

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

// "14:05" in the viewer's clock from the server's time (ms or an ISO text).
export function chatTime(at: number | string): string {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export class ChatPanel {
  private panel = byId<HTMLElement>("chat");
  private log = byId<HTMLOListElement>("chat-log");
  private toggle = byId<HTMLButtonElement>("chat-toggle");
  private unread = byId<HTMLElement>("chat-unread");
  private input = byId<HTMLInputElement>("chat-input");
  private count = 0;

  constructor(
    private send: (text: string) => Promise<void>,
    private self: () => PeerId | null,
    private toast: (text: string) => void,
  ) {
    this.toggle.onclick = () => this.setOpen(this.panel.hidden);
    byId<HTMLFormElement>("chat-form").onsubmit = (e) => {
      e.preventDefault();
      void this.submit();
    };
  }

  get open(): boolean {
    return !this.panel.hidden;
  }

  setOpen(open: boolean): void {
    this.panel.hidden = !open;
    this.toggle.setAttribute("aria-expanded", String(open));
    if (open) {
      this.setUnread(0);
      this.input.focus();
      this.log.scrollTop = this.log.scrollHeight;
    }
  }

  // The history of the join reply (a rejoin gets it again: replaces).
  show(history: ChatMessage[]): void {
    this.log.replaceChildren();
    for (const m of history) this.append(m);
  }

  add(m: ChatMessage): void {
    this.append(m);
    if (!this.open && m.from !== this.self()) this.setUnread(this.count + 1);
  }

  private append(m: ChatMessage): void {
    const li = document.createElement("li");
    li.className = m.from === this.self() ? "mine" : "";
    const head = document.createElement("div");
    head.className = "chat-head";
    const name = document.createElement("span");
    name.className = "chat-name";
    name.textContent = m.from === this.self() ? `${m.name} (you)` : m.name;
    const time = document.createElement("time");
    time.className = "chat-time";
    time.textContent = chatTime(m.at);
    const d = new Date(m.at);
    if (!Number.isNaN(d.getTime())) time.dateTime = d.toISOString();
    head.append(name, time);
    const text = document.createElement("p");
    text.className = "chat-text";
    text.textContent = m.text; // typed by a person: never markup
    li.append(head, text);
    this.log.append(li);
    this.log.scrollTop = this.log.scrollHeight;
  }

  private setUnread(n: number): void {
    this.count = n;
    this.unread.textContent = String(n);
    this.unread.hidden = n === 0;
    this.toggle.setAttribute("aria-label", n > 0 ? `Chat, ${n} unread` : "Chat");
  }

  private async submit(): Promise<void> {
    const text = this.input.value.trim();
    if (!text) return;
    this.input.disabled = true;
    try {
      await this.send(text);
      this.input.value = "";
    } catch (e) {
      this.toast(`Message not sent: ${(e as Error).message}`);
    } finally {
      this.input.disabled = false;
      this.input.focus();
    }
  }
}
