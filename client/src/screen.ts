// The share-screen button: getDisplayMedia, published as a second video track
// (media.ts addScreen); the button or the browser's own "stop sharing" (the
// track ends) stops it.
const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export type ScreenHooks = {
  start: (track: MediaStreamTrack) => Promise<void>;
  stop: (track: MediaStreamTrack) => Promise<void>;
  toast: (text: string) => void;
};

export class ScreenShare {
  private button = byId<HTMLButtonElement>("share-screen");
  private track: MediaStreamTrack | null = null;

  constructor(private h: ScreenHooks) {
    this.button.onclick = () => void (this.track ? this.stop() : this.start());
  }

  // Only publishers of group rooms share, where the browser can.
  allow(on: boolean): void {
    this.button.hidden = !on || typeof navigator.mediaDevices?.getDisplayMedia !== "function";
    if (!on) this.forget();
  }

  async start(): Promise<void> {
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (e) {
      if ((e as Error).name !== "NotAllowedError") this.h.toast(`Could not share the screen: ${(e as Error).message}`);
      return;
    }
    const track = stream.getVideoTracks()[0];
    if (!track) return;
    this.track = track;
    track.addEventListener("ended", () => void this.stop());
    this.show(true);
    await this.h.start(track);
  }

  async stop(): Promise<void> {
    const track = this.track;
    if (!track) return;
    this.forget();
    await this.h.stop(track);
  }

  // The session ended (rejoin, leave): the share is gone with it.
  forget(): void {
    this.track?.stop();
    this.track = null;
    this.show(false);
  }

  private show(on: boolean): void {
    this.button.textContent = on ? "Stop sharing" : "Share screen";
    this.button.setAttribute("aria-pressed", String(on));
  }
}
