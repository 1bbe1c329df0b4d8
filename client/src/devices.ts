// Cameras, microphones and speakers: listing them, opening one, a level meter,
// and the permission messages the lobby and the room page show.

export type DeviceKind = "videoinput" | "audioinput" | "audiooutput";
export type TrackKind = "audio" | "video";

export const canPickSpeaker = () => typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;

export async function listDevices(kind: DeviceKind): Promise<MediaDeviceInfo[]> {
  try {
    return (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === kind);
  } catch {
    return [];
  }
}

// Fills `select` with the devices of `kind`, keeping `current` selected.
export async function fillSelect(select: HTMLSelectElement, kind: DeviceKind, current?: string): Promise<void> {
  const devices = await listDevices(kind);
  const fallback = kind === "videoinput" ? "Camera" : kind === "audioinput" ? "Microphone" : "Speaker";
  select.replaceChildren(
    ...devices.map((d, i) => {
      const o = document.createElement("option");
      o.value = d.deviceId;
      o.textContent = d.label || `${fallback} ${i + 1}`;
      return o;
    }),
  );
  if (devices.length === 0) {
    const o = document.createElement("option");
    o.value = "";
    o.textContent = `No ${fallback.toLowerCase()} found`;
    select.append(o);
  }
  select.disabled = devices.length === 0;
  if (current && devices.some((d) => d.deviceId === current)) select.value = current;
}

export const trackDevice = (t: MediaStreamTrack | undefined) => t?.getSettings().deviceId;

// One new track of `kind` from the device `deviceId` (any device when empty).
export async function openTrack(kind: TrackKind, deviceId: string): Promise<MediaStreamTrack> {
  const constraints: MediaTrackConstraints | boolean = deviceId ? { deviceId: { exact: deviceId } } : true;
  const s = await navigator.mediaDevices.getUserMedia(kind === "video" ? { video: constraints } : { audio: constraints });
  return kind === "video" ? s.getVideoTracks()[0] : s.getAudioTracks()[0];
}

// What to tell a person whose camera or microphone could not be opened.
export function permissionMessage(e: unknown): string {
  const name = (e as Error)?.name ?? "Error";
  if (name === "NotAllowedError" || name === "SecurityError")
    return "Camera and microphone access was denied. To be seen and heard, allow them for this site " +
      "(the camera icon in the address bar, or the browser's site settings) and reload the page. " +
      "You can still join to watch and listen.";
  if (name === "NotFoundError" || name === "OverconstrainedError")
    return "No camera or microphone was found. Plug one in and reload the page, or join to watch and listen.";
  if (name === "NotReadableError")
    return "The camera or microphone is in use by another application. Close it and reload the page.";
  return `Camera and microphone unavailable (${name}). You can still join to watch and listen.`;
}

// Shows the level of `track` in `meter` (a role="meter" element with a bar child).
export class LevelMeter {
  private ctx?: AudioContext;
  private timer?: number;

  constructor(private meter: HTMLElement) {}

  watch(track: MediaStreamTrack | undefined): void {
    this.stop();
    if (!track || typeof AudioContext === "undefined") return;
    const ctx = new AudioContext();
    this.ctx = ctx;
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    ctx.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    // Before the first click or key press the browser may keep the context suspended.
    const resume = () => void ctx.resume().catch(() => undefined);
    resume();
    for (const ev of ["pointerdown", "keydown"]) document.addEventListener(ev, resume, { once: true });
    const data = new Float32Array(analyser.fftSize);
    const bar = this.meter.firstElementChild as HTMLElement | null;
    this.timer = window.setInterval(() => {
      analyser.getFloatTimeDomainData(data);
      let sum = 0;
      for (const v of data) sum += v * v;
      const level = Math.min(100, Math.round(Math.sqrt(sum / data.length) * 300));
      this.meter.setAttribute("aria-valuenow", String(level));
      if (bar) bar.style.width = `${level}%`;
    }, 100);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    void this.ctx?.close().catch(() => undefined);
    this.ctx = undefined;
  }
}
