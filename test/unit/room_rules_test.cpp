#include "actors/room_rules.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace vr;

namespace {

std::string id(int n) { return "p" + std::to_string(n); }

// Joins p0..p(n-1) and checks each succeeded.
void fill(room_state& r, int n, std::optional<peer_role> wish = std::nullopt) {
  for (int i = 0; i < n; ++i)
    REQUIRE(r.join(id(i), "name" + std::to_string(i), std::nullopt, wish).error.empty());
}

}  // namespace

TEST_CASE("topics and display names are validated", "[rules]") {
  CHECK(room_id_from_topic("room:abc_D-9") == "abc_D-9");
  CHECK(room_id_from_topic("room:" + std::string(64, 'a')) == std::string(64, 'a'));
  CHECK_FALSE(room_id_from_topic("room:" + std::string(65, 'a')));
  CHECK_FALSE(room_id_from_topic("room:"));
  CHECK_FALSE(room_id_from_topic("room:a b"));
  CHECK_FALSE(room_id_from_topic("room:a/b"));
  CHECK_FALSE(room_id_from_topic("room:ä"));
  CHECK_FALSE(room_id_from_topic("rooms:a"));
  CHECK_FALSE(room_id_from_topic("abc"));
  CHECK(valid_display_name("Ann"));
  CHECK(valid_display_name(std::string(64, 'x')));
  CHECK_FALSE(valid_display_name(std::string(65, 'x')));
  std::string zoe64;
  for (int i = 0; i < 64; ++i)
    zoe64 += "ë";  // 2 bytes, one code point
  CHECK(valid_display_name(zoe64));
  CHECK_FALSE(valid_display_name(zoe64 + "ë"));
  CHECK_FALSE(valid_display_name(""));
  CHECK_FALSE(valid_display_name("   "));
  CHECK_FALSE(valid_display_name("a\nb"));
  CHECK_FALSE(valid_display_name("\xff"));
  CHECK(parse_room_type("broadcast") == room_type::broadcast);
  CHECK_FALSE(parse_room_type("Group"));
  CHECK(to_string(room_type::audio) == "audio");
  CHECK(parse_peer_role("viewer") == peer_role::viewer);
  CHECK_FALSE(parse_peer_role("owner"));
}

TEST_CASE("group rooms seat 9 publishers, then viewers", "[rules]") {
  room_state r{"r", room_type::group, {}};
  auto first = r.join(id(0), "a", std::nullopt, std::nullopt);
  CHECK(first.owner_changed);
  CHECK(first.joined.role == peer_role::publisher);
  for (int i = 1; i < 9; ++i) {
    auto out = r.join(id(i), "n", room_type::group, std::nullopt);
    CHECK(out.joined.role == peer_role::publisher);
    CHECK_FALSE(out.owner_changed);
  }
  CHECK(r.join(id(9), "tenth", std::nullopt, peer_role::publisher).joined.role ==
        peer_role::viewer);
  CHECK(r.count(peer_role::publisher) == 9);
  CHECK(r.owner() == id(0));
}

TEST_CASE("a viewer wish is honoured and max-viewers is enforced", "[rules]") {
  room_state r{"r", room_type::group, {2, 1}};
  CHECK(r.join(id(0), "a", std::nullopt, peer_role::viewer).joined.role == peer_role::viewer);
  CHECK_FALSE(r.owner());
  CHECK(r.join(id(1), "b", std::nullopt, std::nullopt).owner_changed);
  CHECK(r.join(id(2), "c", std::nullopt, std::nullopt).joined.role == peer_role::publisher);
  CHECK(r.join(id(3), "d", std::nullopt, std::nullopt).error == "room_full");
  CHECK(r.members().size() == 3);
}

TEST_CASE("joins with bad params or the wrong type fail and change nothing", "[rules]") {
  room_state r{"r", room_type::audio, {}};
  CHECK(r.join(id(0), "", std::nullopt, std::nullopt).error == "invalid_params");
  CHECK(r.join(id(0), "a", room_type::group, std::nullopt).error == "room_type_mismatch");
  CHECK(r.empty());
  fill(r, 1);
  CHECK(r.join(id(0), "dup", std::nullopt, std::nullopt).error == "invalid_params");
}

TEST_CASE("the owner is handed to the next oldest publisher", "[rules]") {
  room_state r{"r", room_type::group, {2, 0}};
  fill(r, 3);  // p0, p1 publishers; p2 viewer
  bool moved = false;
  CHECK(r.leave(id(1), &moved));
  CHECK_FALSE(moved);
  CHECK(r.leave(id(0), &moved));
  CHECK(moved);
  CHECK_FALSE(r.owner());  // only a viewer is left: no automatic promotion
  CHECK_FALSE(r.leave(id(0), &moved));
  CHECK_FALSE(moved);
  CHECK(r.join(id(3), "d", std::nullopt, std::nullopt).owner_changed);
  CHECK(r.owner() == id(3));
}

TEST_CASE("raise hand and the owner's answer promote a viewer", "[rules]") {
  room_state r{"r", room_type::group, {2, 0}};
  fill(r, 4);  // p0 owner, p1 publisher, p2 p3 viewers
  CHECK(r.raise_hand(id(1)).error == "forbidden");  // a publisher
  CHECK(r.raise_hand("nobody").error == "not_found");
  CHECK(r.answer_hand(id(0), id(2), true).error == "not_found");  // no hand raised
  CHECK(r.raise_hand(id(2)).error.empty());
  CHECK(r.find(id(2))->hand_raised);
  CHECK(r.answer_hand(id(1), id(2), true).error == "forbidden");  // not the owner
  // Seats are full: refused, and nothing changes.
  CHECK(r.answer_hand(id(0), id(2), true).error == "room_full");
  CHECK(r.find(id(2))->role == peer_role::viewer);
  CHECK(r.find(id(2))->hand_raised);
  r.leave(id(1));
  auto out = r.answer_hand(id(0), id(2), true);
  CHECK(out.error.empty());
  CHECK(out.role_changed);
  CHECK_FALSE(out.owner_changed);
  CHECK(r.find(id(2))->role == peer_role::publisher);
  CHECK_FALSE(r.find(id(2))->hand_raised);
  // Deny: the hand goes down, the role stays.
  CHECK(r.raise_hand(id(3)).error.empty());
  auto deny = r.answer_hand(id(0), id(3), false);
  CHECK(deny.error.empty());
  CHECK_FALSE(deny.role_changed);
  CHECK(r.find(id(3))->role == peer_role::viewer);
  CHECK_FALSE(r.find(id(3))->hand_raised);
}

TEST_CASE("kick rights in group and audio rooms", "[rules]") {
  for (auto type : {room_type::group, room_type::audio}) {
    room_state r{"r", type, {2, 0}};
    fill(r, 4);  // p0 p1 publishers, p2 p3 viewers
    CHECK(r.kick(id(2), id(3)).error == "forbidden");  // viewers kick nobody
    CHECK(r.kick(id(1), id(1)).error == "invalid_params");
    CHECK(r.kick(id(1), "nobody").error == "not_found");
    CHECK(r.kick("nobody", id(1)).error == "not_found");
    CHECK(r.kick(id(1), id(2)).error.empty());  // a publisher kicks a viewer
    CHECK(r.find(id(2)) == nullptr);
    auto out = r.kick(id(1), id(0));  // ... and the owner
    CHECK(out.error.empty());
    CHECK(out.owner_changed);
    CHECK(r.owner() == id(1));
  }
}

TEST_CASE("broadcast rooms: one publisher who kicks viewers only", "[rules]") {
  room_state r{"r", room_type::broadcast, {}};
  fill(r, 3, peer_role::publisher);
  CHECK(r.find(id(0))->role == peer_role::publisher);
  CHECK(r.find(id(1))->role == peer_role::viewer);
  CHECK(r.find(id(2))->role == peer_role::viewer);
  CHECK(r.raise_hand(id(1)).error == "forbidden");
  CHECK(r.kick(id(1), id(2)).error == "forbidden");
  CHECK(r.kick(id(1), id(0)).error == "forbidden");
  CHECK(r.kick(id(0), id(1)).error.empty());
  CHECK(r.can_publish(id(0)));
  CHECK_FALSE(r.can_publish(id(2)));
  r.leave(id(0));
  CHECK(r.join(id(5), "late", std::nullopt, peer_role::publisher).joined.role ==
        peer_role::viewer);
}

TEST_CASE("call rooms: caller and callee, relay between them only", "[rules]") {
  room_state r{"r", room_type::call, {}};
  fill(r, 2, peer_role::viewer);  // a viewer wish means nothing in a call
  CHECK(r.find(id(0))->role == peer_role::publisher);
  CHECK(r.find(id(1))->role == peer_role::publisher);
  CHECK(r.join(id(2), "third", std::nullopt, std::nullopt).error == "room_full");
  CHECK(r.kick(id(0), id(1)).error == "forbidden");
  CHECK(r.raise_hand(id(1)).error == "forbidden");
  CHECK(r.can_relay(id(0), id(1)).empty());
  CHECK(r.can_relay(id(1), id(0)).empty());
  CHECK(r.can_relay(id(0), id(0)) == "not_found");
  CHECK(r.can_relay(id(0), "nobody") == "not_found");
  CHECK(r.can_relay("nobody", id(0)) == "forbidden");
  CHECK_FALSE(r.can_publish(id(0)));  // call media goes browser to browser
  room_state g{"g", room_type::group, {}};
  fill(g, 2);
  CHECK(g.can_relay(id(0), id(1)) == "forbidden");
}
