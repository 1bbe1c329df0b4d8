#include "actors/room_rules.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace vr;

namespace {

std::string id(int n) { return "p" + std::to_string(n); }

// Joins p<from>..p<to-1> and checks each succeeded.
void fill(room_state& r, int from, int to, std::optional<peer_role> wish = std::nullopt) {
  for (int i = from; i < to; ++i)
    REQUIRE(r.join(id(i), "name" + std::to_string(i), std::nullopt, wish).error.empty());
}

// The whole observable state, e.g. "owner=p0 p0:P p1:V^": a failed request must
// leave it exactly as it was.
std::string snapshot(const room_state& r) {
  std::string s = "owner=" + r.owner().value_or("-");
  for (const auto& m : r.members())
    s +=
      " " + m.id + ":" + (m.role == peer_role::publisher ? "P" : "V") + (m.hand_raised ? "^" : "");
  return s;
}

std::string repeat(std::string_view unit, int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += unit;
  return s;
}

}  // namespace

TEST_CASE("room types and roles use the protocol's words", "[rules]") {
  for (auto t : {room_type::group, room_type::audio, room_type::broadcast, room_type::call})
    CHECK(parse_room_type(to_string(t)) == t);
  CHECK(to_string(room_type::group) == "group");
  CHECK(to_string(room_type::audio) == "audio");
  CHECK(to_string(room_type::broadcast) == "broadcast");
  CHECK(to_string(room_type::call) == "call");
  CHECK(to_string(peer_role::publisher) == "publisher");
  CHECK(to_string(peer_role::viewer) == "viewer");
  CHECK(parse_peer_role("publisher") == peer_role::publisher);
  CHECK(parse_peer_role("viewer") == peer_role::viewer);
  for (auto bad : {"", "Group", "group ", "video", "calls"})
    CHECK_FALSE(parse_room_type(bad));
  for (auto bad : {"", "Viewer", "owner", "publishers"})
    CHECK_FALSE(parse_peer_role(bad));
}

TEST_CASE("room topics name 1..64 characters of [A-Za-z0-9_-]", "[rules]") {
  CHECK(room_id_from_topic("room:a") == "a");
  CHECK(room_id_from_topic("room:azAZ09_-") == "azAZ09_-");
  CHECK(room_id_from_topic("room:-") == "-");
  CHECK(room_id_from_topic("room:" + std::string(64, 'z')) == std::string(64, 'z'));
  CHECK_FALSE(room_id_from_topic("room:" + std::string(65, 'z')));
  CHECK_FALSE(room_id_from_topic(""));
  CHECK_FALSE(room_id_from_topic("room:"));
  CHECK_FALSE(room_id_from_topic("room"));
  CHECK_FALSE(room_id_from_topic("abc"));
  CHECK_FALSE(room_id_from_topic(":abc"));
  CHECK_FALSE(room_id_from_topic("Room:abc"));
  CHECK_FALSE(room_id_from_topic("rooms:abc"));
  CHECK_FALSE(room_id_from_topic(" room:abc"));
  CHECK_FALSE(room_id_from_topic("room:room:abc"));
  for (auto bad :
       {"room:a b", "room:a.b", "room:a/b", "room:a+b", "room:abc ", "room:ä", "room:a\tb"})
    CHECK_FALSE(room_id_from_topic(bad));
  CHECK_FALSE(room_id_from_topic(std::string("room:a\0b", 8)));
}

TEST_CASE("display names are 1..64 code points, not blank, no control characters", "[rules]") {
  CHECK(valid_display_name("A"));
  CHECK(valid_display_name("  Ann Lee "));
  CHECK(valid_display_name(std::string(64, 'x')));
  CHECK_FALSE(valid_display_name(std::string(65, 'x')));
  // Code points count, not bytes: 2-, 3- and 4-byte sequences.
  for (std::string_view unit : {"ë", "€", "😀"}) {
    INFO(unit);
    CHECK(valid_display_name(repeat(unit, 64)));
    CHECK_FALSE(valid_display_name(repeat(unit, 65)));
  }
  CHECK(valid_display_name("x" + repeat("😀", 63)));
  CHECK_FALSE(valid_display_name("xx" + repeat("😀", 63)));
  // Empty and blank.
  CHECK_FALSE(valid_display_name(""));
  CHECK_FALSE(valid_display_name(" "));
  CHECK_FALSE(valid_display_name(std::string(64, ' ')));
  CHECK_FALSE(valid_display_name("\u00a0\u3000\u2003"));  // no-break, ideographic, em space
  CHECK_FALSE(valid_display_name("\u200b"));              // zero-width space
  CHECK(valid_display_name("\u00a0a"));
  // Control characters: C0, DEL, C1 (U+0085, U+009B).
  for (auto bad : {"a\nb", "a\tb", "a\rb", "a\x7f", "\x1b[31mred", "a\u0085b", "a\u009bb"})
    CHECK_FALSE(valid_display_name(bad));
  CHECK_FALSE(valid_display_name(std::string("a\0b", 3)));
  // Malformed UTF-8.
  for (auto bad : {"\xff", "\x80", "a\xc3", "\xe2\x82", "\xc3\x28", "\xc0\xaf" /* overlong */,
                   "\xe0\x80\xaf" /* overlong */, "\xed\xa0\x80" /* surrogate */,
                   "\xf4\x90\x80\x80" /* > U+10FFFF */, "\xf8\x88\x80\x80\x80"})
    CHECK_FALSE(valid_display_name(bad));
  CHECK(valid_display_name("\xf4\x8f\xbf\xbf"));  // U+10FFFF, the last code point
}

TEST_CASE("group and audio rooms seat publishers up to the limit, then viewers", "[rules]") {
  for (auto type : {room_type::group, room_type::audio}) {
    INFO(to_string(type));
    room_state r{"r", type, {}};
    CHECK(r.id() == "r");
    CHECK(r.type() == type);
    CHECK(r.empty());
    CHECK_FALSE(r.owner());
    auto first = r.join(id(0), "a", type, peer_role::publisher);
    CHECK(first.error.empty());
    CHECK(first.owner_changed);
    CHECK(first.joined.id == id(0));
    CHECK(first.joined.display_name == "a");
    CHECK(first.joined.role == peer_role::publisher);
    CHECK_FALSE(first.joined.hand_raised);
    for (int i = 1; i < 9; ++i) {
      auto out = r.join(id(i), "n", std::nullopt, std::nullopt);
      CHECK(out.joined.role == peer_role::publisher);
      CHECK(out.joined.seq > r.members()[i - 1].seq);
      CHECK_FALSE(out.owner_changed);
    }
    auto tenth = r.join(id(9), "tenth", std::nullopt, peer_role::publisher);
    CHECK(tenth.error.empty());
    CHECK(tenth.joined.role == peer_role::viewer);
    CHECK_FALSE(tenth.owner_changed);
    CHECK(r.count(peer_role::publisher) == 9);
    CHECK(r.count(peer_role::viewer) == 1);
    CHECK(r.owner() == id(0));
    CHECK(r.members().size() == 10);
    // A freed seat goes to the next joiner.
    r.leave(id(4));
    CHECK(r.join(id(10), "n", std::nullopt, std::nullopt).joined.role == peer_role::publisher);
    CHECK(r.join(id(11), "n", std::nullopt, std::nullopt).joined.role == peer_role::viewer);
  }
}

TEST_CASE("the publisher limit comes from the config", "[rules]") {
  room_state r{"r", room_type::group, {3, 0}};
  fill(r, 0, 5);
  CHECK(snapshot(r) == "owner=p0 p0:P p1:P p2:P p3:V p4:V");
}

TEST_CASE("a viewer wish is granted in group and audio rooms", "[rules]") {
  for (auto type : {room_type::group, room_type::audio}) {
    INFO(to_string(type));
    room_state r{"r", type, {}};
    auto v = r.join(id(0), "a", std::nullopt, peer_role::viewer);
    CHECK(v.error.empty());
    CHECK(v.joined.role == peer_role::viewer);
    CHECK_FALSE(v.owner_changed);  // a viewer never owns the room
    CHECK_FALSE(r.owner());
    auto p = r.join(id(1), "b", std::nullopt, std::nullopt);
    CHECK(p.joined.role == peer_role::publisher);
    CHECK(p.owner_changed);
    CHECK(r.owner() == id(1));
    CHECK(r.join(id(2), "c", std::nullopt, peer_role::viewer).joined.role == peer_role::viewer);
    CHECK(snapshot(r) == "owner=p1 p0:V p1:P p2:V");
  }
}

TEST_CASE("max viewers fills the room", "[rules]") {
  SECTION("group: publishers still fit when viewer seats are gone") {
    room_state r{"r", room_type::group, {2, 1}};
    fill(r, 0, 1, peer_role::viewer);  // p0 viewer
    auto before = snapshot(r);
    CHECK(r.join(id(1), "b", std::nullopt, peer_role::viewer).error == "room_full");
    CHECK(snapshot(r) == before);
    fill(r, 1, 3);  // p1 p2 publishers
    before = snapshot(r);
    auto full = r.join(id(3), "d", std::nullopt, std::nullopt);
    CHECK(full.error == "room_full");
    CHECK_FALSE(full.owner_changed);
    CHECK(snapshot(r) == before);
    r.leave(id(0));
    CHECK(r.join(id(3), "d", std::nullopt, std::nullopt).joined.role == peer_role::viewer);
  }
  SECTION("broadcast") {
    room_state r{"r", room_type::broadcast, {9, 2}};
    fill(r, 0, 3);
    CHECK(r.join(id(3), "d", std::nullopt, std::nullopt).error == "room_full");
    CHECK(r.members().size() == 3);
  }
  SECTION("zero means unlimited") {
    room_state r{"r", room_type::broadcast, {1, 0}};
    fill(r, 0, 200);
    CHECK(r.count(peer_role::viewer) == 199);
  }
}

TEST_CASE("bad joins fail with invalid_params or room_type_mismatch and change nothing",
          "[rules]") {
  room_state r{"r", room_type::audio, {}};
  CHECK(r.join(id(0), "", std::nullopt, std::nullopt).error == "invalid_params");
  CHECK(r.join(id(0), "   ", std::nullopt, std::nullopt).error == "invalid_params");
  CHECK(r.join(id(0), std::string(65, 'n'), std::nullopt, std::nullopt).error == "invalid_params");
  CHECK(r.join("", "a", std::nullopt, std::nullopt).error == "invalid_params");
  for (auto other : {room_type::group, room_type::broadcast, room_type::call})
    CHECK(r.join(id(0), "a", other, std::nullopt).error == "room_type_mismatch");
  CHECK(r.empty());
  CHECK(r.join(id(0), "a", room_type::audio, std::nullopt).error.empty());
  auto before = snapshot(r);
  auto dup = r.join(id(0), "dup", std::nullopt, std::nullopt);
  CHECK(dup.error == "invalid_params");
  CHECK_FALSE(dup.owner_changed);
  CHECK(r.join(id(1), "b", room_type::group, std::nullopt).error == "room_type_mismatch");
  CHECK(snapshot(r) == before);
  CHECK(r.find(id(0))->display_name == "a");
}

TEST_CASE("the owner is handed to the next oldest publisher", "[rules]") {
  room_state r{"r", room_type::group, {3, 0}};
  fill(r, 0, 4);  // p0 p1 p2 publishers, p3 viewer
  CHECK(r.owner() == id(0));
  bool moved = false;
  CHECK(r.leave(id(0), &moved));
  CHECK(moved);
  CHECK(r.owner() == id(1));
  CHECK(r.leave(id(2), &moved));  // not the owner
  CHECK_FALSE(moved);
  CHECK(r.owner() == id(1));
  // A newer publisher does not take over from the older one.
  CHECK_FALSE(r.join(id(4), "e", std::nullopt, std::nullopt).owner_changed);
  CHECK(r.leave(id(1), &moved));
  CHECK(moved);
  CHECK(r.owner() == id(4));
  CHECK(r.leave(id(4), &moved));
  CHECK(moved);
  CHECK_FALSE(r.owner());  // only a viewer is left: no automatic promotion
  CHECK(r.find(id(3))->role == peer_role::viewer);
  moved = true;
  CHECK_FALSE(r.leave("nobody", &moved));  // unknown: false, and nothing moved
  CHECK_FALSE(moved);
  CHECK(r.leave(id(3)));  // no out-parameter
  CHECK(r.empty());
  auto back = r.join(id(5), "f", std::nullopt, std::nullopt);
  CHECK(back.owner_changed);
  CHECK(r.owner() == id(5));
}

TEST_CASE("raise hand: viewers in group and audio rooms only", "[rules]") {
  for (auto type : {room_type::group, room_type::audio}) {
    INFO(to_string(type));
    room_state r{"r", type, {1, 0}};
    fill(r, 0, 2);  // p0 publisher, p1 viewer
    CHECK(r.raise_hand(id(0)).error == "forbidden");
    CHECK(r.raise_hand("nobody").error == "not_found");
    CHECK(snapshot(r) == "owner=p0 p0:P p1:V");
    auto out = r.raise_hand(id(1));
    CHECK(out.error.empty());
    CHECK_FALSE(out.role_changed);
    CHECK_FALSE(out.owner_changed);
    CHECK(r.find(id(1))->hand_raised);
    CHECK(r.raise_hand(id(1)).error.empty());  // raising again is harmless
    CHECK(snapshot(r) == "owner=p0 p0:P p1:V^");
  }
  room_state b{"b", room_type::broadcast, {}};
  fill(b, 0, 2);
  CHECK(b.raise_hand(id(0)).error == "forbidden");
  CHECK(b.raise_hand(id(1)).error == "forbidden");
  CHECK(b.raise_hand("nobody").error == "not_found");
  CHECK_FALSE(b.find(id(1))->hand_raised);
  room_state c{"c", room_type::call, {}};
  fill(c, 0, 2);
  CHECK(c.raise_hand(id(1)).error == "forbidden");
}

TEST_CASE("answer hand: the owner promotes or denies a viewer", "[rules]") {
  room_state r{"r", room_type::group, {2, 0}};
  fill(r, 0, 4);  // p0 owner, p1 publisher, p2 p3 viewers
  CHECK(r.answer_hand(id(0), id(2), true).error == "not_found");  // no hand raised
  CHECK(r.raise_hand(id(2)).error.empty());
  CHECK(r.raise_hand(id(3)).error.empty());
  const auto raised = snapshot(r);
  CHECK(raised == "owner=p0 p0:P p1:P p2:V^ p3:V^");
  CHECK(r.answer_hand(id(1), id(2), true).error == "forbidden");  // a publisher, not the owner
  CHECK(r.answer_hand(id(3), id(2), true).error == "forbidden");  // a viewer
  CHECK(r.answer_hand("nobody", id(2), true).error == "forbidden");
  CHECK(r.answer_hand(id(0), "nobody", true).error == "not_found");
  CHECK(r.answer_hand(id(0), id(1), true).error == "not_found");  // already a publisher
  CHECK(r.answer_hand(id(0), id(0), true).error == "not_found");
  // Seats are full: refused, and nothing changes.
  auto full = r.answer_hand(id(0), id(2), true);
  CHECK(full.error == "room_full");
  CHECK_FALSE(full.role_changed);
  CHECK_FALSE(full.owner_changed);
  CHECK(snapshot(r) == raised);
  // A deny needs no seat: the hand goes down, the role stays.
  auto deny = r.answer_hand(id(0), id(3), false);
  CHECK(deny.error.empty());
  CHECK_FALSE(deny.role_changed);
  CHECK_FALSE(deny.owner_changed);
  CHECK(snapshot(r) == "owner=p0 p0:P p1:P p2:V^ p3:V");
  CHECK(r.answer_hand(id(0), id(3), true).error == "not_found");  // answered already
  // A free seat: the viewer becomes a publisher.
  r.leave(id(1));
  CHECK_FALSE(r.can_publish(id(2)));
  auto ok = r.answer_hand(id(0), id(2), true);
  CHECK(ok.error.empty());
  CHECK(ok.role_changed);
  CHECK_FALSE(ok.owner_changed);
  CHECK(snapshot(r) == "owner=p0 p0:P p2:P p3:V");
  CHECK(r.can_publish(id(2)));
  CHECK(r.count(peer_role::publisher) == 2);
}

TEST_CASE("answer hand: promoting a viewer older than the owner moves the owner", "[rules]") {
  room_state r{"r", room_type::audio, {}};
  fill(r, 0, 1, peer_role::viewer);  // p0 viewer, oldest member
  fill(r, 1, 2);                     // p1 publisher and owner
  CHECK(r.owner() == id(1));
  REQUIRE(r.raise_hand(id(0)).error.empty());
  auto out = r.answer_hand(id(1), id(0), true);
  CHECK(out.error.empty());
  CHECK(out.role_changed);
  CHECK(out.owner_changed);
  CHECK(r.owner() == id(0));
}

TEST_CASE("kick rights in group and audio rooms", "[rules]") {
  for (auto type : {room_type::group, room_type::audio}) {
    INFO(to_string(type));
    room_state r{"r", type, {3, 0}};
    fill(r, 0, 5);  // p0 p1 p2 publishers, p3 p4 viewers
    const auto start = snapshot(r);
    CHECK(r.kick(id(3), id(4)).error == "forbidden");  // viewers kick nobody
    CHECK(r.kick(id(3), id(0)).error == "forbidden");
    CHECK(r.kick(id(1), id(1)).error == "invalid_params");
    CHECK(r.kick(id(3), id(3)).error == "invalid_params");
    CHECK(r.kick(id(1), "nobody").error == "not_found");
    CHECK(r.kick("nobody", id(1)).error == "not_found");
    CHECK(snapshot(r) == start);
    auto v = r.kick(id(2), id(3));  // a publisher kicks a viewer
    CHECK(v.error.empty());
    CHECK_FALSE(v.owner_changed);
    CHECK_FALSE(v.role_changed);
    CHECK(r.find(id(3)) == nullptr);
    auto p = r.kick(id(0), id(2));  // the owner kicks a publisher
    CHECK(p.error.empty());
    CHECK_FALSE(p.owner_changed);
    auto o = r.kick(id(1), id(0));  // a publisher kicks the owner
    CHECK(o.error.empty());
    CHECK(o.owner_changed);
    CHECK(snapshot(r) == "owner=p1 p1:P p4:V");
    CHECK(r.kick(id(1), id(0)).error == "not_found");  // gone already
  }
}

TEST_CASE("broadcast rooms: one publisher, who kicks viewers only", "[rules]") {
  room_state r{"r", room_type::broadcast, {}};
  auto first = r.join(id(0), "a", room_type::broadcast, std::nullopt);
  CHECK(first.joined.role == peer_role::publisher);
  CHECK(first.owner_changed);
  fill(r, 1, 4, peer_role::publisher);  // a publisher wish is not granted
  CHECK(snapshot(r) == "owner=p0 p0:P p1:V p2:V p3:V");
  CHECK(r.can_publish(id(0)));
  CHECK_FALSE(r.can_publish(id(1)));
  CHECK(r.answer_hand(id(0), id(1), true).error == "not_found");  // no hand can be raised
  const auto start = snapshot(r);
  CHECK(r.kick(id(1), id(2)).error == "forbidden");  // a viewer
  CHECK(r.kick(id(1), id(0)).error == "forbidden");
  CHECK(r.kick(id(0), id(0)).error == "invalid_params");
  CHECK(r.kick(id(0), "nobody").error == "not_found");
  CHECK(snapshot(r) == start);
  auto out = r.kick(id(0), id(1));
  CHECK(out.error.empty());
  CHECK_FALSE(out.owner_changed);
  CHECK(r.find(id(1)) == nullptr);
  // The publisher leaves: nobody owns the room and late joiners stay viewers.
  bool moved = false;
  r.leave(id(0), &moved);
  CHECK(moved);
  CHECK_FALSE(r.owner());
  auto late = r.join(id(5), "late", std::nullopt, peer_role::publisher);
  CHECK(late.joined.role == peer_role::viewer);
  CHECK_FALSE(late.owner_changed);
  CHECK(r.count(peer_role::publisher) == 0);
  CHECK(r.kick(id(2), id(3)).error == "forbidden");
}

TEST_CASE("call rooms: caller and callee, relay between them only", "[rules]") {
  room_state r{"r", room_type::call, {}};
  auto caller = r.join(id(0), "caller", room_type::call, peer_role::viewer);
  CHECK(caller.joined.role == peer_role::publisher);  // a viewer wish means nothing here
  CHECK(caller.owner_changed);
  auto callee = r.join(id(1), "callee", std::nullopt, peer_role::viewer);
  CHECK(callee.joined.role == peer_role::publisher);
  CHECK_FALSE(callee.owner_changed);
  CHECK(r.owner() == id(0));
  const auto start = snapshot(r);
  CHECK(r.join(id(2), "third", std::nullopt, std::nullopt).error == "room_full");
  CHECK(r.join(id(2), "third", std::nullopt, peer_role::viewer).error == "room_full");
  CHECK(r.kick(id(0), id(1)).error == "forbidden");
  CHECK(r.kick(id(1), id(0)).error == "forbidden");
  CHECK(r.raise_hand(id(1)).error == "forbidden");
  CHECK(snapshot(r) == start);
  CHECK(r.can_relay(id(0), id(1)).empty());
  CHECK(r.can_relay(id(1), id(0)).empty());
  CHECK(r.can_relay(id(0), id(0)) == "not_found");
  CHECK(r.can_relay(id(0), "nobody") == "not_found");
  CHECK(r.can_relay("nobody", id(0)) == "forbidden");
  CHECK_FALSE(r.can_publish(id(0)));  // call media goes browser to browser
  CHECK_FALSE(r.can_publish(id(1)));
  // The callee hangs up: a new callee may join, relay to the old one is gone.
  r.leave(id(1));
  CHECK(r.can_relay(id(0), id(1)) == "not_found");
  CHECK(r.can_relay(id(1), id(0)) == "forbidden");
  CHECK(r.join(id(3), "again", std::nullopt, std::nullopt).error.empty());
  CHECK(r.can_relay(id(0), id(3)).empty());
}

TEST_CASE("relay is for call rooms only", "[rules]") {
  for (auto type : {room_type::group, room_type::audio, room_type::broadcast}) {
    INFO(to_string(type));
    room_state r{"r", type, {}};
    fill(r, 0, 2);
    CHECK(r.can_relay(id(0), id(1)) == "forbidden");
    CHECK(r.can_relay(id(1), id(0)) == "forbidden");
  }
}

TEST_CASE("only publishers outside call rooms may publish", "[rules]") {
  for (auto type : {room_type::group, room_type::audio}) {
    INFO(to_string(type));
    room_state r{"r", type, {1, 0}};
    fill(r, 0, 2);
    CHECK(r.can_publish(id(0)));
    CHECK_FALSE(r.can_publish(id(1)));
    CHECK_FALSE(r.can_publish("nobody"));
    r.leave(id(0));
    CHECK_FALSE(r.can_publish(id(0)));
  }
}

TEST_CASE("members of a lost room are restored as they were, its owner first", "[rules]") {
  room_state r{"r", room_type::broadcast, {}};
  // A viewer comes back before the publisher: it stays a viewer (a join would
  // have made it the broadcast's publisher), and the publisher keeps its role.
  auto v = r.restore("v1", "Vee", peer_role::viewer, false);
  REQUIRE(v.error.empty());
  CHECK(v.joined.role == peer_role::viewer);
  auto p = r.restore("p1", "Pea", peer_role::publisher, true);
  REQUIRE(p.error.empty());
  CHECK(snapshot(r) == "owner=p1 p1:P v1:V");
  CHECK(r.restore("p1", "Pea", peer_role::publisher, true).error == "invalid_params");
  CHECK(r.restore("", "X", peer_role::viewer, false).error == "invalid_params");

  room_state g{"g", room_type::group, {}};
  REQUIRE(g.restore("b", "B", peer_role::publisher, false).error.empty());
  CHECK(g.owner() == "b");
  // The lost room's owner, rejoining later, owns the new one again.
  REQUIRE(g.restore("a", "A", peer_role::publisher, true).error.empty());
  CHECK(snapshot(g) == "owner=a a:P b:P");
  // A fresh join after the takeover comes after them.
  REQUIRE(g.join("c", "C", std::nullopt, std::nullopt).error.empty());
  CHECK(snapshot(g) == "owner=a a:P b:P c:P");
}
