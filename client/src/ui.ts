// The room page's DOM: participant tiles, controls, notices, raised hands.
const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export type TileActions = { onKick?: () => void };

export class RoomUi {
  private grid = byId<HTMLElement>("grid");
  private tiles = new Map<string, HTMLElement>();

  constructor(room: string) {
    byId("room-title").textContent = `Room ${room}`;
  }

  status(text: string): void {
    byId("status").textContent = text;
  }

  notice(text: string | null): void {
    const el = byId<HTMLParagraphElement>("notice");
    el.textContent = text ?? "";
    el.hidden = !text;
  }

  button(id: string): HTMLButtonElement {
    return byId<HTMLButtonElement>(id);
  }

  tile(peerId: string, name: string, self: boolean, actions: TileActions = {}): HTMLElement {
    let tile = this.tiles.get(peerId);
    if (!tile) {
      tile = document.createElement("div");
      tile.className = "tile audio-only";
      tile.dataset.testid = `tile-${peerId}`;
      const video = document.createElement("video");
      video.autoplay = true;
      video.playsInline = true;
      video.muted = self;  // never hear oneself
      const label = document.createElement("span");
      label.className = "label";
      tile.append(video, label);
      this.grid.append(tile);
      this.tiles.set(peerId, tile);
    }
    tile.querySelector(".label")!.textContent = self ? `${name} (you)` : name;
    tile.querySelector(".kick")?.remove();
    if (actions.onKick) {
      const kick = document.createElement("button");
      kick.className = "kick danger";
      kick.textContent = "Kick";
      kick.dataset.testid = `kick-${peerId}`;
      kick.onclick = actions.onKick;
      tile.append(kick);
    }
    return tile;
  }

  addTrack(peerId: string, track: MediaStreamTrack): void {
    const tile = this.tiles.get(peerId);
    if (!tile) return;
    const video = tile.querySelector("video")!;
    const stream = (video.srcObject as MediaStream | null) ?? new MediaStream();
    stream.addTrack(track);
    video.srcObject = stream;
    if (track.kind === "video") tile.classList.remove("audio-only");
    track.addEventListener("ended", () => stream.removeTrack(track));
  }

  removeTile(peerId: string): void {
    this.tiles.get(peerId)?.remove();
    this.tiles.delete(peerId);
  }

  clearTiles(): void {
    for (const id of [...this.tiles.keys()]) this.removeTile(id);
  }

  setOwner(ownerId: string | null): void {
    for (const [id, tile] of this.tiles) {
      tile.querySelector(".owner")?.remove();
      if (id === ownerId) {
        const badge = document.createElement("span");
        badge.className = "owner";
        badge.textContent = "★ owner";
        tile.querySelector(".label")!.append(badge);
      }
    }
  }

  // A raised hand the owner may accept or deny.
  hand(peerId: string, name: string, answer: (accept: boolean) => void): void {
    const row = document.createElement("div");
    row.textContent = `✋ ${name} asks to speak`;
    for (const accept of [true, false]) {
      const b = document.createElement("button");
      b.textContent = accept ? "Accept" : "Deny";
      b.dataset.testid = `${accept ? "accept" : "deny"}-${peerId}`;
      b.onclick = () => {
        row.remove();
        answer(accept);
      };
      row.append(b);
    }
    byId("hands").append(row);
  }
}
