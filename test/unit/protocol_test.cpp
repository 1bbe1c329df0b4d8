// The typed protocol: a client's frame decoded once into structs, the server's
// replies and pushes encoded from structs (protocol.md sections 1-4).
#include "signaling/protocol/decode.hpp"
#include "signaling/protocol/encode.hpp"

#include "signaling/json.hpp"
#include "signaling/media_event.hpp"

#include <catch2/catch.hpp>

namespace proto = vr::signaling::protocol;
namespace json = vr::signaling::json;

namespace {

proto::client_frame frame_of(std::string_view text) {
  auto d = proto::decode_client(text);
  REQUIRE(std::holds_alternative<proto::client_frame>(d));
  return std::get<proto::client_frame>(std::move(d));
}

proto::client_event event_of(std::string_view text) { return frame_of(text).event; }

// A mediaEvent frame whose inner JSON is `inner`.
std::string media_frame(std::string_view inner) {
  return R"(["1","2","room:r","mediaEvent",{"data":)" + json::quote(inner) + "}]";
}

proto::client_media_event media_of(std::string_view inner) {
  auto ev = event_of(media_frame(inner));
  REQUIRE(std::holds_alternative<proto::client_media_event>(ev));
  return std::get<proto::client_media_event>(std::move(ev));
}

template <class T>
const T& as(const proto::client_media_event& ev) {
  REQUIRE(std::holds_alternative<T>(ev));
  return std::get<T>(ev);
}

}  // namespace

TEST_CASE("a frame's refs, topic and event are decoded once", "[protocol]") {
  auto f = frame_of(R"(["3","4","room:lobby","phx_leave",{}])");
  CHECK(f.join_ref == "3");
  CHECK(f.ref == "4");
  CHECK(f.topic == "room:lobby");
  CHECK(std::holds_alternative<proto::phx_leave>(f.event));
  auto g = frame_of(R"([null,null,"room:x","nothing",{}])");
  CHECK_FALSE(g.join_ref);
  CHECK_FALSE(g.ref);
  REQUIRE(std::holds_alternative<proto::unknown_event>(g.event));
  CHECK(std::get<proto::unknown_event>(g.event).event == "nothing");
}

TEST_CASE("a heartbeat is one only on the phoenix topic", "[protocol]") {
  CHECK(
    std::holds_alternative<proto::heartbeat>(event_of(R"([null,"7","phoenix","heartbeat",{}])")));
  CHECK(std::holds_alternative<proto::unknown_event>(
    event_of(R"([null,"7","room:a","heartbeat",{}])")));
}

TEST_CASE("frames that are not Phoenix frames keep what answers them", "[protocol]") {
  auto d = proto::decode_client(R"(["1","2","room:a","x",[]])");
  REQUIRE(std::holds_alternative<vr::signaling::phoenix::decode_error>(d));
  auto& err = std::get<vr::signaling::phoenix::decode_error>(d);
  CHECK(err.ref == "2");
  CHECK(err.topic == "room:a");
  CHECK(
    std::holds_alternative<vr::signaling::phoenix::decode_error>(proto::decode_client("[1,2,3]")));
  CHECK(std::holds_alternative<vr::signaling::phoenix::decode_error>(proto::decode_client("nope")));
}

TEST_CASE("join params are checked where they are decoded", "[protocol]") {
  auto join = [](std::string_view params) {
    auto ev = event_of(R"(["1","1","room:a","phx_join",)" + std::string{params} + "]");
    REQUIRE(std::holds_alternative<proto::phx_join>(ev));
    return std::get<proto::phx_join>(ev).params;
  };
  auto ok = join(R"({"displayName":"Zoë","roomType":"broadcast","role":"viewer"})");
  REQUIRE(ok);
  CHECK(ok->display_name == "Zoë");
  CHECK(ok->type == vr::room_type::broadcast);
  CHECK(ok->role == vr::peer_role::viewer);
  auto plain = join(R"({"displayName":"a"})");
  REQUIRE(plain);
  CHECK_FALSE(plain->type);
  CHECK_FALSE(plain->role);
  CHECK_FALSE(join(R"({})"));
  CHECK_FALSE(join(R"({"displayName":""})"));
  CHECK_FALSE(join(R"({"displayName":"   "})"));
  CHECK_FALSE(join(R"({"displayName":"a","roomType":"party"})"));
  CHECK_FALSE(join(R"({"displayName":"a","roomType":3})"));
  CHECK_FALSE(join(R"({"displayName":"a","role":"owner"})"));
}

TEST_CASE("room requests are decoded with their payloads", "[protocol]") {
  auto req = [](std::string_view frame) {
    auto ev = event_of(frame);
    REQUIRE(std::holds_alternative<proto::room_request>(ev));
    return std::get<proto::room_request>(ev);
  };
  CHECK(std::holds_alternative<proto::raise_hand>(req(R"(["1","2","room:a","raiseHand",{}])")));
  auto answer = req(R"(["1","2","room:a","answerHand",{"peerId":"p","accept":true}])");
  REQUIRE(std::holds_alternative<proto::answer_hand>(answer));
  CHECK(std::get<proto::answer_hand>(answer).peer_id == "p");
  CHECK(std::get<proto::answer_hand>(answer).accept);
  auto k = req(R"(["1","2","room:a","kick",{"peerId":"q"}])");
  REQUIRE(std::holds_alternative<proto::kick>(k));
  CHECK(std::get<proto::kick>(k).peer_id == "q");
  CHECK(std::holds_alternative<proto::record_start>(req(R"(["1","2","room:a","recordStart",{}])")));
  CHECK(std::holds_alternative<proto::record_stop>(req(R"(["1","2","room:a","recordStop",{}])")));
  for (auto bad : {R"(["1","2","room:a","answerHand",{"peerId":"p"}])",
                   R"(["1","2","room:a","answerHand",{"peerId":1,"accept":true}])",
                   R"(["1","2","room:a","kick",{}])"})
    CHECK(std::holds_alternative<proto::invalid_request>(event_of(bad)));
}

TEST_CASE("media events are decoded into their structs", "[protocol]") {
  CHECK(
    as<proto::media_join>(media_of(R"({"type":"join","data":{"metadata":{"displayName":"a"}}})"))
      .metadata.text == R"({"displayName":"a"})");
  CHECK(as<proto::media_join>(media_of(R"({"type":"join","data":{}})")).metadata.text == "{}");
  CHECK(std::holds_alternative<proto::media_leave>(media_of(R"({"type":"leave"})")));
  auto offer = as<proto::publish_offer>(media_of(
    R"({"type":"publishOffer","data":{"sdp":"v=0\r\n","trackMetadata":{"0":{"n":1},"1":"x"}}})"));
  CHECK(offer.sdp == "v=0\r\n");
  CHECK(offer.track_metadata.at("0").text == R"({"n":1})");
  CHECK(offer.track_metadata.at("1").text == R"("x")");
  CHECK(
    as<proto::subscribe_answer>(media_of(R"({"type":"subscribeAnswer","data":{"sdp":"s"}})")).sdp ==
    "s");
  auto cand = as<proto::ice_candidate>(media_of(
    R"({"type":"candidate","data":{"pc":"subscribe","candidate":"c","sdpMLineIndex":2,"sdpMid":"1"}})"));
  CHECK(cand.pc == proto::pc_kind::subscribe);
  CHECK(cand.candidate == "c");
  CHECK(cand.sdp_mline_index == 2);
  CHECK(cand.sdp_mid == "1");
  auto relay =
    as<proto::relay_request>(media_of(R"({"type":"relay","data":{"to":"p","payload":{"a":[1]}}})"));
  CHECK(relay.to == "p");
  CHECK(relay.payload.text == R"({"a":[1]})");
  auto target = as<proto::set_target_track_variant>(
    media_of(R"({"type":"setTargetTrackVariant","data":{"trackId":"p:1","variant":"l"}})"));
  CHECK(target.track_id == "p:1");
  CHECK(target.variant == "l");
  CHECK(as<proto::unknown_media_event>(media_of(R"({"type":"dance"})")).type == "dance");
  auto update = as<proto::update_track_metadata>(media_of(
    R"({"type":"updateTrackMetadata","data":{"trackId":"p:0","trackMetadata":{"type":"camera","muted":true}}})"));
  CHECK(update.track_id == "p:0");
  CHECK(update.metadata.text == R"({"type":"camera","muted":true})");
  CHECK(proto::kind_of(update) == proto::media_kind::update_track_metadata);
}

namespace {

// The chat text a `chat` push decodes to; nullopt when it is invalid_params.
std::optional<std::string> chat_of(const std::string& payload) {
  auto ev = event_of(R"(["1","2","room:a","chat",)" + payload + "]");
  if (std::holds_alternative<proto::invalid_request>(ev))
    return std::nullopt;
  REQUIRE(std::holds_alternative<proto::room_request>(ev));
  auto& req = std::get<proto::room_request>(ev);
  REQUIRE(std::holds_alternative<proto::send_chat>(req));
  return std::get<proto::send_chat>(req).text;
}

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out += s;
  return out;
}

}  // namespace

TEST_CASE("chat text is trimmed and counted in code points where it is decoded", "[protocol]") {
  CHECK(chat_of(R"({"text":"hi"})") == "hi");
  CHECK(chat_of(R"({"text":"  \t hi there\n\r "})") == "hi there");
  CHECK(chat_of(R"({"text":"a\nb"})") == "a\nb");  // line breaks inside stay
  CHECK(chat_of(R"({"text":"<b>x</b> & \"q\""})") == R"(<b>x</b> & "q")");
  CHECK(chat_of(R"({"text":"\u3000\u00a0ok\u200b"})") == "ok");
  // 2000 code points of four bytes each are 8000 bytes, and fine.
  auto emoji = repeat("\U0001F600", 2000);
  CHECK(chat_of(R"({"text":")" + emoji + R"("})") == emoji);
  CHECK(chat_of(R"({"text":" )" + repeat("x", 2000) + R"( "})") == repeat("x", 2000));
  for (std::string bad :
       {R"({})", R"({"text":1})", R"({"text":""})", R"({"text":"   "})",
        R"({"text":"\n\t\u200b\u3000"})", R"({"text":"a\u0000b"})", R"({"text":"a\u0007"})"})
    CHECK_FALSE(chat_of(bad));
  CHECK_FALSE(chat_of(R"({"text":")" + repeat("x", 2001) + R"("})"));
  CHECK_FALSE(chat_of(R"({"text":")" + repeat("\U0001F600", 2001) + R"("})"));
  // Malformed UTF-8 never reaches the room (the frame itself is refused).
  CHECK(std::holds_alternative<vr::signaling::phoenix::decode_error>(
    proto::decode_client("[\"1\",\"2\",\"room:a\",\"chat\",{\"text\":\"\xff\"}]")));
}

TEST_CASE("vr::chat_text keeps what is inside the blanks", "[protocol]") {
  CHECK(vr::chat_text(" a b ") == "a b");
  CHECK(vr::chat_text(repeat("\xC3\xA9", 2000)) == repeat("\xC3\xA9", 2000));
  CHECK_FALSE(vr::chat_text(repeat("\xC3\xA9", 2001)));
  CHECK_FALSE(vr::chat_text("\xC3"));       // truncated
  CHECK_FALSE(vr::chat_text("a\xC2\x85"));  // NEL is a C1 control
  CHECK_FALSE(vr::chat_text(""));
}

TEST_CASE("a malformed media event keeps its kind, for the engine's order of checks",
          "[protocol]") {
  struct bad_case {
    const char* inner;
    proto::media_kind kind;
  };
  for (auto [inner, kind] : {
         bad_case{R"({"type":"join","data":{"metadata":3}})", proto::media_kind::join},
         bad_case{R"({"type":"updatePeerMetadata","data":{"metadata":[]}})",
                  proto::media_kind::update_peer_metadata},
         bad_case{R"({"type":"updateTrackMetadata","data":{"trackId":"t"}})",
                  proto::media_kind::update_track_metadata},
         bad_case{R"({"type":"updateTrackMetadata","data":{"trackId":1,"trackMetadata":{}}})",
                  proto::media_kind::update_track_metadata},
         bad_case{R"({"type":"updateTrackMetadata","data":{"trackId":"t","trackMetadata":[]}})",
                  proto::media_kind::update_track_metadata},
         bad_case{R"({"type":"publishOffer","data":{}})", proto::media_kind::publish_offer},
         bad_case{R"({"type":"subscribeAnswer","data":{"sdp":1}})",
                  proto::media_kind::subscribe_answer},
         bad_case{R"({"type":"candidate","data":{"pc":"both","candidate":"c","sdpMLineIndex":0}})",
                  proto::media_kind::candidate},
         bad_case{
           R"({"type":"candidate","data":{"pc":"publish","candidate":"c","sdpMLineIndex":1001}})",
           proto::media_kind::candidate},
         bad_case{
           R"({"type":"candidate","data":{"pc":"publish","candidate":"c","sdpMLineIndex":1.5}})",
           proto::media_kind::candidate},
         bad_case{R"({"type":"relay","data":{"to":"p","payload":"x"}})", proto::media_kind::relay},
         bad_case{R"({"type":"setTargetTrackVariant","data":{"trackId":"p:1","variant":"x"}})",
                  proto::media_kind::set_target_track_variant},
         bad_case{R"({"type":"setTargetTrackVariant","data":{"variant":"h"}})",
                  proto::media_kind::set_target_track_variant},
       }) {
    auto ev = media_of(inner);
    INFO(inner);
    REQUIRE(std::holds_alternative<proto::invalid_media_event>(ev));
    CHECK(proto::kind_of(ev) == kind);
    CHECK_FALSE(std::get<proto::invalid_media_event>(ev).message.empty());
  }
}

TEST_CASE("a mediaEvent payload that is not the envelope is refused as such", "[protocol]") {
  for (std::string frame :
       {std::string{R"(["1","2","room:a","mediaEvent",{}])"},
        std::string{R"(["1","2","room:a","mediaEvent",{"data":{}}])"}, media_frame("not json"),
        media_frame("[]"), media_frame(R"({"type":1})"),
        media_frame(R"({"type":"join","data":[]})")})
    CHECK(std::holds_alternative<proto::bad_media_envelope>(event_of(frame)));
  // The inner JSON has the frame's depth limit of its own.
  std::string deep =
    R"({"type":"join","data":{"metadata":)" + std::string(40, '[') + std::string(40, ']') + "}}";
  CHECK(std::holds_alternative<proto::bad_media_envelope>(event_of(media_frame(deep))));
}

TEST_CASE("replies are written as Phoenix writes them", "[protocol]") {
  CHECK(proto::encode_reply(std::nullopt, "7", "phoenix", proto::reply_ok{}) ==
        R"([null,"7","phoenix","phx_reply",{"status":"ok","response":{}}])");
  CHECK(proto::encode_reply("1", "2", "room:a", proto::reply_error{"room_full"}) ==
        R"(["1","2","room:a","phx_reply",{"status":"error","response":{"reason":"room_full"}}])");
  proto::join_reply j{"p1", vr::peer_role::publisher, vr::room_type::audio, std::nullopt, {}, {}};
  CHECK(
    proto::encode_reply("1", "1", "room:a", j) ==
    R"(["1","1","room:a","phx_reply",{"status":"ok","response":{"peerId":"p1","role":"publisher","roomType":"audio","ownerId":null,"recording":{"active":false,"by":null},"chat":[]}}])");
  j.recording = {true, "p1"};
  CHECK(
    proto::encode_reply("1", "1", "room:a", j).find(R"("recording":{"active":true,"by":"p1"})") !=
    std::string::npos);
  j.owner_id = "p\"0";
  CHECK(proto::encode_reply("1", "1", "room:a", j).find(R"("ownerId":"p\"0")") !=
        std::string::npos);
  // The room's chat history, oldest first, its text escaped by the writer.
  j.owner_id.reset();
  j.chat = {{"p1", "Zoë", "<b>x</b>", 1700000000000}, {"p2", "b", "say \"hi\"\n", 1700000000001}};
  CHECK(
    proto::encode_reply("1", "1", "room:a", j) ==
    R"(["1","1","room:a","phx_reply",{"status":"ok","response":{"peerId":"p1","role":"publisher","roomType":"audio","ownerId":null,"recording":{"active":true,"by":"p1"},"chat":[{"from":"p1","name":"Zoë","text":"<b>x</b>","at":1700000000000},{"from":"p2","name":"b","text":"say \"hi\"\n","at":1700000000001}]}}])");
  CHECK(proto::encode_close("1", "room:a") == R"(["1","1","room:a","phx_close",{}])");
  CHECK(proto::encode_channel_error(std::nullopt, "room:a") ==
        R"([null,null,"room:a","phx_error",{}])");
}

TEST_CASE("channel pushes carry the channel's join ref and no ref", "[protocol]") {
  CHECK(proto::encode_push("3", "room:a", proto::owner_changed{}) ==
        R"(["3",null,"room:a","ownerChanged",{"ownerId":null}])");
  CHECK(proto::encode_push("3", "room:a", proto::owner_changed{"p"}) ==
        R"(["3",null,"room:a","ownerChanged",{"ownerId":"p"}])");
  CHECK(proto::encode_push("3", "room:a", proto::role_changed{"p", vr::peer_role::publisher}) ==
        R"(["3",null,"room:a","roleChanged",{"peerId":"p","role":"publisher"}])");
  CHECK(proto::encode_push("3", "room:a", proto::hand_raised{"p", "Zoë"}) ==
        R"(["3",null,"room:a","handRaised",{"peerId":"p","displayName":"Zoë"}])");
  CHECK(proto::encode_push("3", "room:a", proto::recording_changed{true, "p"}) ==
        R"(["3",null,"room:a","recordingChanged",{"active":true,"by":"p"}])");
  CHECK(proto::encode_push("3", "room:a", proto::chat_message{"p", "Zoë", "<i>\"</i>", 42}) ==
        R"(["3",null,"room:a","chat",{"from":"p","name":"Zoë","text":"<i>\"</i>","at":42}])");
  CHECK(proto::encode_push("3", "room:a", proto::hand_answered{true}) ==
        R"(["3",null,"room:a","handAnswered",{"accept":true}])");
  CHECK(proto::encode_push("3", "room:a", proto::kicked{"q"}) ==
        R"(["3",null,"room:a","kicked",{"by":"q"}])");
}

TEST_CASE("server media events nest their JSON in the payload's data string", "[protocol]") {
  auto inner = [](const proto::server_media_event& ev) {
    auto payload = proto::encode_media_payload(ev);
    auto decoded = vr::signaling::media_event::decode_payload(payload);
    REQUIRE(decoded);
    return decoded->type + " " + decoded->data;
  };
  proto::peer_desc other{"p2",
                         {R"({"displayName":"b"})"},
                         vr::peer_role::viewer,
                         {{"p2:0", {proto::track_kind::video, {R"({"t":1})"}}}}};
  proto::peer_accepted accepted{"p1",
                                vr::peer_role::publisher,
                                vr::room_type::group,
                                "p1",
                                {other},
                                {{"stun:h:1", std::nullopt, std::nullopt}, {"turn:h:2", "u", "p"}},
                                std::nullopt};
  CHECK(
    inner(accepted) ==
    R"(peerAccepted {"id":"p1","role":"publisher","roomType":"group","ownerId":"p1","peersInRoom":[{"id":"p2","metadata":{"displayName":"b"},"role":"viewer","tracks":{"p2:0":{"kind":"video","metadata":{"t":1}}}}],"iceServers":[{"urls":"stun:h:1"},{"urls":"turn:h:2","username":"u","credential":"p"}],"simulcast":false})");
  accepted.hls_url = "/dev/live/p1/t/playlist.m3u8";
  accepted.peers_in_room.clear();
  accepted.owner_id.reset();
  accepted.simulcast = true;
  CHECK(
    inner(accepted) ==
    R"(peerAccepted {"id":"p1","role":"publisher","roomType":"group","ownerId":null,"peersInRoom":[],"iceServers":[{"urls":"stun:h:1"},{"urls":"turn:h:2","username":"u","credential":"p"}],"hlsUrl":"/dev/live/p1/t/playlist.m3u8","simulcast":true})");
  CHECK(inner(proto::peer_joined{other}).starts_with(R"(peerJoined {"peer":{"id":"p2",)"));
  CHECK(inner(proto::peer_left{"p2"}) == R"(peerLeft {"peerId":"p2"})");
  CHECK(inner(proto::peer_updated{"p2", {R"({"x":1})"}}) ==
        R"(peerUpdated {"peerId":"p2","metadata":{"x":1}})");
  CHECK(inner(proto::tracks_added{"p2", other.tracks}) ==
        R"(tracksAdded {"peerId":"p2","tracks":{"p2:0":{"kind":"video","metadata":{"t":1}}}})");
  CHECK(inner(proto::tracks_removed{"p2", {"p2:0", "p2:1"}}) ==
        R"(tracksRemoved {"peerId":"p2","trackIds":["p2:0","p2:1"]})");
  CHECK(inner(proto::sdp_message{proto::sdp_kind::subscribe_offer, "v=0\r\n", {{"0", "p2:0"}}}) ==
        R"(subscribeOffer {"sdp":"v=0\r\n","midToTrackId":{"0":"p2:0"}})");
  CHECK(inner(proto::sdp_message{proto::sdp_kind::publish_answer, "a", {}}) ==
        R"(publishAnswer {"sdp":"a","midToTrackId":{}})");
  CHECK(inner(proto::ice_candidate{proto::pc_kind::publish, "candidate:1", 0, std::nullopt}) ==
        R"(candidate {"pc":"publish","candidate":"candidate:1","sdpMLineIndex":0,"sdpMid":null})");
  CHECK(inner(proto::relay_message{"p1", {R"({"sdp":"x"})"}}) ==
        R"(relay {"from":"p1","payload":{"sdp":"x"}})");
  CHECK(
    inner(proto::track_updated{"p2", "p2:0", {R"({"type":"screen","muted":false})"}}) ==
    R"(trackUpdated {"peerId":"p2","trackId":"p2:0","metadata":{"type":"screen","muted":false}})");
  CHECK(inner(proto::media_error{"forbidden", "viewers cannot publish"}) ==
        R"(error {"reason":"forbidden","message":"viewers cannot publish"})");
  CHECK(inner(proto::vad_notification{"p2:0", true}) ==
        R"(vadNotification {"trackId":"p2:0","status":"speech"})");
  CHECK(inner(proto::vad_notification{"p2:0", false}) ==
        R"(vadNotification {"trackId":"p2:0","status":"silence"})");
  CHECK(inner(proto::track_variant_switched{"p2", "p2:1", "m"}) ==
        R"(trackVariantSwitched {"peerId":"p2","trackId":"p2:1","variant":"m"})");
  CHECK(inner(proto::track_variant_availability{false, "p2", "p2:1", "h"}) ==
        R"(trackVariantDisabled {"peerId":"p2","trackId":"p2:1","variant":"h"})");
  CHECK(inner(proto::track_variant_availability{true, "p2", "p2:1", "h"}) ==
        R"(trackVariantEnabled {"peerId":"p2","trackId":"p2:1","variant":"h"})");
  // As a channel push: [join_ref, null, topic, "mediaEvent", {"data": "..."}].
  auto frame = proto::encode_push("1", "room:a", proto::server_media_event{proto::peer_left{"p"}});
  CHECK(
    frame ==
    R"(["1",null,"room:a","mediaEvent",{"data":"{\"type\":\"peerLeft\",\"data\":{\"peerId\":\"p\"}}"}])");
}
