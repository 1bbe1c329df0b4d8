// Recording (protocol.md §6): the owner's record button (group and audio rooms)
// and the red REC dot everyone sees while the room is recorded.
import type { RecordingState, RoomType } from "./protocol";

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export const canRecord = (roomType: RoomType | null, isOwner: boolean) =>
  isOwner && (roomType === "group" || roomType === "audio");

export class RecordingUi {
  private button = byId<HTMLButtonElement>("record");
  private dot = byId<HTMLElement>("rec-dot");
  private active = false;

  constructor(private request: (start: boolean) => Promise<void>, private toast: (text: string) => void) {
    this.button.onclick = async () => {
      this.button.disabled = true;
      try {
        await this.request(!this.active);
      } catch (e) {
        this.toast(`Could not ${this.active ? "stop" : "start"} the recording: ${(e as Error).message}`);
      } finally {
        this.button.disabled = false;
      }
    };
  }

  // Whether this page may record (owner of a group or audio room).
  allow(on: boolean): void {
    this.button.hidden = !on;
  }

  set(state: RecordingState | undefined): void {
    this.active = !!state?.active;
    this.dot.hidden = !this.active;
    this.button.textContent = this.active ? "Stop recording" : "Record";
    this.button.setAttribute("aria-pressed", String(this.active));
  }
}
