// Voice activity (vadNotification) on the tiles, and the stage layout: a
// screen share, or in speaker view the last one who spoke, gets the large
// tile with the others in a strip (issue 25).
import type { RoomUi } from "./ui";

const SCREEN_PREFIX = "screen-";
export const screenTileId = (trackId: string) => `${SCREEN_PREFIX}${trackId}`;

export class Stage {
  private button = document.getElementById("speaker-view") as HTMLButtonElement;
  private speakerView = false;
  private lastSpeaker: string | null = null;

  constructor(private ui: RoomUi, private self: () => string | null) {
    this.button.onclick = () => {
      this.speakerView = !this.speakerView;
      this.button.setAttribute("aria-pressed", String(this.speakerView));
      this.update();
    };
    // Tiles come and go (screen shares, peers): the large one may change.
    new MutationObserver(() => this.update()).observe(document.getElementById("grid")!, { childList: true });
  }

  speaking(peerId: string, on: boolean): void {
    this.ui.speaking(peerId, on);
    if (on && peerId !== this.self()) {
      this.lastSpeaker = peerId;
      this.update();
    }
  }

  // The newest screen share wins; else the last speaker in speaker view.
  update(): void {
    const ids = this.ui.tileIds();
    const screen = ids.filter((id) => id.startsWith(SCREEN_PREFIX)).pop();
    const speaker = this.speakerView && this.lastSpeaker && ids.includes(this.lastSpeaker) ? this.lastSpeaker : null;
    this.ui.setLarge(screen ?? speaker);
  }
}
