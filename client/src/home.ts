// The home page: pick a room, a name, a room type and a role, then go to the room.
const form = document.getElementById("join-form") as HTMLFormElement;
const error = document.getElementById("form-error") as HTMLParagraphElement;
const input = (id: string) => document.getElementById(id) as HTMLInputElement;

// Remember the name between visits; people rarely change it.
const NAME_KEY = "videoroom.displayName";
try {
  input("name").value = localStorage.getItem(NAME_KEY) ?? "";
} catch {
  /* storage may be disabled */
}

function invalid(field: string, message: string): void {
  error.textContent = message;
  error.hidden = false;
  input(field).focus();
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  const room = input("room").value.trim();
  const name = input("name").value.trim();
  // Same rules as the server (protocol §2), so the user learns early.
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(room)) return invalid("room", "A room name is 1 to 64 letters, digits, - or _.");
  if (name.length === 0 || [...name].length > 64) return invalid("name", "Your name is 1 to 64 characters.");
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    /* not essential */
  }
  const params = new URLSearchParams({ display_name: name, type: (document.getElementById("type") as HTMLSelectElement).value });
  if (input("viewer").checked) params.set("role", "viewer");
  location.href = `/room/${encodeURIComponent(room)}?${params}`;
});
