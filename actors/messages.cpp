#include "actors/messages.hpp"

#include <caf/actor_system_config.hpp>

namespace vr {

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<ws_text>("vr::ws_text")
    .add_message_type<ws_binary>("vr::ws_binary")
    .add_message_type<ws_closed>("vr::ws_closed")
    .add_message_type<ws_out>("vr::ws_out")
    .add_message_type<client_push>("vr::client_push")
    .add_message_type<push>("vr::push")
    .add_message_type<rejoin_tick>("vr::rejoin_tick")
    .add_message_type<join_request>("vr::join_request")
    .add_message_type<join_result>("vr::join_result")
    .add_message_type<leave_room>("vr::leave_room")
    .add_message_type<takeover_settled>("vr::takeover_settled")
    .add_message_type<room_request_from>("vr::room_request_from")
    .add_message_type<request_result>("vr::request_result")
    .add_message_type<peer_media>("vr::peer_media")
    .add_message_type<add_peer>("vr::add_peer")
    .add_message_type<remove_peer>("vr::remove_peer")
    .add_message_type<set_role>("vr::set_role")
    .add_message_type<set_owner>("vr::set_owner")
    .add_message_type<session_sdp>("vr::session_sdp")
    .add_message_type<session_candidate>("vr::session_candidate")
    .add_message_type<session_tracks_added>("vr::session_tracks_added")
    .add_message_type<session_tracks_removed>("vr::session_tracks_removed")
    .add_message_type<session_error>("vr::session_error")
    .add_message_type<start_recording>("vr::start_recording")
    .add_message_type<stop_recording>("vr::stop_recording")
    .add_message_type<session_vad>("vr::session_vad")
    .add_message_type<session_variant_switched>("vr::session_variant_switched")
    .add_message_type<session_variant_availability>("vr::session_variant_availability")
    .add_message_type<stats_tick>("vr::stats_tick")
    .add_message_type<engine_mesh>("vr::engine_mesh")
    .add_message_type<mesh_event>("vr::mesh_event")
    .add_message_type<mesh_hls>("vr::mesh_hls")
    .add_message_type<hls_wait_over>("vr::hls_wait_over")
    .add_message_type<join_refused>("vr::join_refused")
    .add_message_type<relay_request>("vr::relay_request")
    .add_message_type<relay_offer>("vr::relay_offer")
    .add_message_type<session_relay_streams>("vr::session_relay_streams")
    .add_message_type<engine_idle>("vr::engine_idle")
    .add_message_type<find_room>("vr::find_room")
    .add_message_type<placed_join>("vr::placed_join")
    .add_message_type<room_empty>("vr::room_empty")
    .add_message_type<count_rooms>("vr::count_rooms")
    .add_message_type<node_up>("vr::node_up")
    .add_message_type<node_down>("vr::node_down")
    .add_message_type<rooms_here>("vr::rooms_here")
    .add_message_type<room_gone>("vr::room_gone")
    .add_message_type<hello>("vr::hello")
    .add_message_type<hello_reply>("vr::hello_reply")
    .add_message_type<cluster_tick>("vr::cluster_tick");
}

}  // namespace vr
