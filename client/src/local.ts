// The camera and microphone. A missing camera still leaves the microphone;
// a refusal leaves the user a receiver, told why.
import { permissionMessage } from "./devices";
import type { RoomUi } from "./ui";

export async function openCamera(video: boolean, ui: RoomUi): Promise<MediaStream | null> {
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video });
  } catch (e) {
    const name = (e as Error).name;
    if (video && name !== "NotAllowedError") {
      try {
        const audioOnly = await navigator.mediaDevices.getUserMedia({ audio: true });
        ui.toast("Camera unavailable: you are heard but not seen.");
        return audioOnly;
      } catch {
        /* fall through to the message below */
      }
    }
    ui.notice(`${permissionMessage(e)} Others cannot see or hear you.`);
    return null;
  }
}
