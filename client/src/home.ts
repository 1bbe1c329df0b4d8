// The home page: pick a room, a name, a room type and a role, then go to the room.
const form = document.getElementById("join-form") as HTMLFormElement;
const error = document.getElementById("form-error") as HTMLParagraphElement;

form.addEventListener("submit", (e) => {
  e.preventDefault();
  const value = (id: string) => (document.getElementById(id) as HTMLInputElement).value.trim();
  const room = value("room");
  const name = value("name");
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(room)) {
    error.textContent = "A room name is 1 to 64 letters, digits, - or _.";
    error.hidden = false;
    return;
  }
  if (name.length === 0 || [...name].length > 64) {
    error.textContent = "Your name is 1 to 64 characters.";
    error.hidden = false;
    return;
  }
  const params = new URLSearchParams({ display_name: name, type: value("type") });
  if ((document.getElementById("viewer") as HTMLInputElement).checked) params.set("role", "viewer");
  location.href = `/room/${room}?${params}`;
});
