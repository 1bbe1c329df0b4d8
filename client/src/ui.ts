// The room page's DOM: participant tiles (publishers), viewer chips, controls,
// notices, transient messages and raised hands.
const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

// `screen`: the tile of a screen share (its own tile, keyed by its track).
export type TileOptions = { self?: boolean; viewer?: boolean; screen?: boolean; onKick?: () => void };

export class RoomUi {
  private grid = byId<HTMLElement>("grid");
  private viewers = byId<HTMLElement>("viewers");
  private tiles = new Map<string, HTMLElement>();

  constructor(room: string) {
    byId("room-title").textContent = `Room ${room}`;
    document.title = `${room} · videoroom`;
    // Browsers may refuse to play sound before the user clicked anything.
    this.button("enable-sound").onclick = () => {
      this.button("enable-sound").hidden = true;
      for (const v of this.grid.querySelectorAll<HTMLVideoElement>("video[data-remote]")) {
        v.muted = false;
        void v.play().catch(() => undefined);
      }
    };
  }

  status(text: string, kind: "ok" | "warn" | "bad" = "ok"): void {
    const el = byId("status");
    el.textContent = text;
    el.className = `status ${kind}`;
  }

  // The banner while the connection is lost and phoenix reconnects.
  reconnecting(on: boolean): void {
    byId("banner").hidden = !on;
  }

  roomType(type: string | null): void {
    const el = byId("room-type");
    el.textContent = type ?? "";
    el.hidden = !type;
  }

  // A lasting message (join errors, removal, permission problems).
  notice(text: string | null): void {
    const el = byId<HTMLParagraphElement>("notice");
    el.textContent = text ?? "";
    el.hidden = !text;
  }

  // A short-lived message that does not get in the way (server `error` events, refusals).
  toast(text: string): void {
    const el = document.createElement("div");
    el.className = "toast";
    el.setAttribute("role", "status");
    el.textContent = text;
    byId("toasts").append(el);
    setTimeout(() => el.remove(), 6000);
  }

  button(id: string): HTMLButtonElement {
    return byId<HTMLButtonElement>(id);
  }

  // Publishers get a video tile in the grid, viewers a small chip in the list.
  tile(peerId: string, name: string, opts: TileOptions = {}): HTMLElement {
    let tile = this.tiles.get(peerId);
    const wantViewer = !!opts.viewer;
    if (tile && tile.classList.contains("chip") !== wantViewer) {
      this.removeTile(peerId);
      tile = undefined;
    }
    if (!tile) {
      tile = wantViewer ? this.makeChip() : this.makeTile(!!opts.self);
      tile.dataset.testid = `tile-${peerId}`;
      tile.dataset.peerId = peerId;
      if (opts.screen) {
        tile.classList.add("screen");
        tile.dataset.trackType = "screen";
      }
      (wantViewer ? this.viewers : this.grid).append(tile);
      this.tiles.set(peerId, tile);
    }
    tile.classList.toggle("self", !!opts.self);
    tile.querySelector(".name")!.textContent = opts.self ? `${name} (you)` : name;
    tile.querySelector(".kick")?.remove();
    if (opts.onKick) {
      const kick = document.createElement("button");
      kick.className = "kick danger";
      kick.textContent = "Kick";
      kick.title = `Remove ${name} from the room`;
      kick.dataset.testid = `kick-${peerId}`;
      kick.onclick = opts.onKick;
      tile.append(kick);
    }
    this.updateViewerCount();
    return tile;
  }

  hasTile(peerId: string): boolean {
    return this.tiles.has(peerId);
  }

  video(peerId: string): HTMLVideoElement | null {
    return this.tiles.get(peerId)?.querySelector("video") ?? null;
  }

  // Text shown over a tile without video ("camera unavailable", "waiting…").
  placeholder(peerId: string, text: string): void {
    const el = this.tiles.get(peerId)?.querySelector<HTMLElement>(".placeholder");
    if (el) el.textContent = text;
  }

  // For media that is not a MediaStream (HLS): whether the tile shows video.
  showVideo(peerId: string, on: boolean): void {
    this.tiles.get(peerId)?.classList.toggle("no-video", !on);
  }

  addTrack(peerId: string, track: MediaStreamTrack): void {
    const tile = this.tiles.get(peerId);
    const video = tile?.querySelector("video");
    if (!tile || !video) return;
    const stream = (video.srcObject as MediaStream | null) ?? new MediaStream();
    if (stream.getTracks().includes(track)) return;
    stream.addTrack(track);
    video.srcObject = stream;  // (re)assigning reloads the element with the new track
    this.refreshKind(tile, stream);
    void video.play().catch((e: Error) => {
      if (e.name !== "NotAllowedError" || video.muted) return;
      // Autoplay with sound refused: play muted, offer a button to unmute.
      video.muted = true;
      void video.play().catch(() => undefined);
      this.button("enable-sound").hidden = false;
    });
  }

  removeTrack(peerId: string, track: MediaStreamTrack): void {
    const tile = this.tiles.get(peerId);
    const stream = tile?.querySelector("video")?.srcObject as MediaStream | null | undefined;
    if (!tile || !stream) return;
    stream.removeTrack(track);
    this.refreshKind(tile, stream);
  }

  removeTile(peerId: string): void {
    this.tiles.get(peerId)?.remove();
    this.tiles.delete(peerId);
    this.removeHand(peerId);
    this.updateViewerCount();
  }

  clearTiles(): void {
    for (const id of [...this.tiles.keys()]) this.removeTile(id);
  }

  setOwner(ownerId: string | null): void {
    for (const [id, tile] of this.tiles) tile.classList.toggle("owner", id === ownerId);
  }

  speaking(peerId: string, on: boolean): void {
    const tile = this.tiles.get(peerId);
    if (!tile) return;
    tile.classList.toggle("speaking", on);
    tile.dataset.speaking = String(on);
  }

  // The icon others see when a peer muted its microphone or turned its camera off.
  muted(peerId: string, kind: "audio" | "video", on: boolean): void {
    const tile = this.tiles.get(peerId);
    if (!tile || tile.classList.contains("chip")) return;
    tile.dataset[kind === "audio" ? "mutedAudio" : "mutedVideo"] = String(on);
    if (kind === "video") {
      // A muted camera sends nothing: no frozen last frame, a placeholder.
      const stream = tile.querySelector("video")?.srcObject as MediaStream | null | undefined;
      tile.querySelector(".placeholder")!.textContent = on ? "camera off" : "no video";
      tile.classList.toggle("no-video", on || !stream?.getVideoTracks().length);
    }
    let icon = tile.querySelector<HTMLElement>(`.muted-icon.${kind}`);
    if (!on) {
      icon?.remove();
      return;
    }
    if (!icon) {
      icon = document.createElement("span");
      icon.className = `muted-icon ${kind}`;
      icon.setAttribute("role", "img");
      icon.dataset.testid = `muted-${kind}-${peerId}`;
      icon.textContent = kind === "audio" ? "mic off" : "cam off"; // words: no emoji font needed
      const label = kind === "audio" ? "microphone muted" : "camera off";
      icon.setAttribute("aria-label", label);
      icon.title = label;
      tile.querySelector(".icons")?.append(icon);
    }
  }

  // The one tile shown large, the others in a strip (screen share, active
  // speaker); null: the even grid.
  setLarge(peerId: string | null): void {
    const large = peerId ? this.tiles.get(peerId) : undefined;
    for (const tile of this.tiles.values()) tile.classList.toggle("large", tile === large);
    this.grid.classList.toggle("stage", !!large);
  }

  // Tile ids in the order they were shown (newest last).
  tileIds(): string[] {
    return [...this.tiles.keys()];
  }

  // A raised hand the owner may accept or deny.
  hand(peerId: string, name: string, answer: (accept: boolean) => void): void {
    this.removeHand(peerId);
    const row = document.createElement("div");
    row.className = "hand";
    row.dataset.hand = peerId;
    const text = document.createElement("span");
    text.textContent = `✋ ${name} asks to speak`;
    row.append(text);
    for (const accept of [true, false]) {
      const b = document.createElement("button");
      b.textContent = accept ? "Accept" : "Deny";
      if (!accept) b.className = "secondary";
      b.dataset.testid = `${accept ? "accept" : "deny"}-${peerId}`;
      b.onclick = () => {
        row.remove();
        answer(accept);
      };
      row.append(b);
    }
    byId("hands").append(row);
  }

  removeHand(peerId: string): void {
    byId("hands").querySelector(`[data-hand="${CSS.escape(peerId)}"]`)?.remove();
  }

  clearHands(): void {
    byId("hands").replaceChildren();
  }

  private makeTile(self: boolean): HTMLElement {
    const tile = document.createElement("div");
    tile.className = "tile no-video";
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.muted = self;  // never hear oneself
    if (!self) video.dataset.remote = "";
    const placeholder = document.createElement("div");
    placeholder.className = "placeholder";
    placeholder.textContent = "no video";
    const label = document.createElement("span");
    label.className = "label";
    label.innerHTML = '<span class="name"></span><span class="badge" title="room owner">★ owner</span>';
    const icons = document.createElement("span");
    icons.className = "icons";
    tile.append(video, placeholder, label, icons);
    return tile;
  }

  private makeChip(): HTMLElement {
    const chip = document.createElement("li");
    chip.className = "chip";
    chip.innerHTML = '<span class="name"></span><span class="badge">★</span>';
    return chip;
  }

  private refreshKind(tile: HTMLElement, stream: MediaStream): void {
    tile.classList.toggle("no-video", stream.getVideoTracks().length === 0);
  }

  private updateViewerCount(): void {
    const n = this.viewers.children.length;
    byId("viewers-title").textContent = `Viewers (${n})`;
    byId("viewers-box").hidden = n === 0;
  }
}
