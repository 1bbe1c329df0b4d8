// Answers requests under /<stage>/live/: playlists (with blocking reload,
// RFC 8216bis 6.2.5.2) and the fMP4 files of a stream. A request that cannot
// be answered yet waits on a timer of its connection's strand, which the
// board's next update cancels.
#include "signaling/hls_board.hpp"
#include "signaling/hls_query.hpp"
#include "signaling/metrics.hpp"
#include "signaling/server_context.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http.hpp>

#include <optional>

namespace vr::signaling {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

using clock = std::chrono::steady_clock;

using hls_query::file_name;
using hls_query::parse_file;
using hls_query::parse_query;
using hls_query::query;

// One HLS request, alive until answered.
class hls_request : public std::enable_shared_from_this<hls_request> {
public:
  hls_request(http_request req, std::string stream, std::string name,
              std::shared_ptr<server_context> ctx, net::any_io_executor ex, hls_reply reply)
      : req_(std::move(req)),
        stream_(std::move(stream)),
        name_(std::move(name)),
        ctx_(std::move(ctx)),
        board_(ctx_->options.hls),
        timer_(ex),
        reply_(std::move(reply)),
        started_(clock::now()) {}

  void start() {
    const bool playlist = name_ == "playlist.m3u8";
    file_ = playlist ? std::nullopt : parse_file(name_);
    const char* kind = playlist                         ? "playlist"
                       : !file_                         ? "other"
                       : file_->kind == file_name::init ? "init"
                       : file_->kind == file_name::part ? "part"
                                                        : "segment";
    ctx_->stats->add("vr_hls_requests_total", 1, {{"kind", kind}});
    if (playlist) {
      query_ = parse_query({req_.target().data(), req_.target().size()});
      if (query_.bad)
        return text(http::status::bad_request, "bad _HLS_msn / _HLS_part\n");
    } else if (!file_) {
      return text(http::status::not_found, "not found\n");
    }
    attempt();
  }

private:
  void attempt() {
    auto v = board_->get(stream_);
    if (!v.known)
      return text(http::status::not_found, "no such stream\n");
    if (v.closed)
      return text(http::status::service_unavailable, "server stopping\n");
    if (!v.snap)
      return wait(v.snap, ctx_->options.hls->options().first_part_timeout);
    const auto& list = v.snap->list;
    if (!file_) {  // the playlist
      if (!query_.msn)
        return playlist(*v.snap);
      if (list.too_far(*query_.msn, query_.part))
        return text(http::status::bad_request, "too far ahead\n");
      if (list.has(*query_.msn, query_.part))
        return playlist(*v.snap);
      return wait(v.snap, board_->options().block_timeout);
    }
    const auto path = board_->options().root / stream_ / name_;
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec))
      return file(path);
    // Not there (yet): a part or segment still to come is waited for (the
    // preload hint); one the playlist already passed is gone for good.
    if (file_->kind != file_name::init && !list.ended() &&
        !list.has(file_->msn, file_->part_index) && !list.too_far(file_->msn, file_->part_index))
      return wait(v.snap, board_->options().block_timeout);
    text(http::status::not_found, "not found\n");
  }

  void wait(const hls_board::snapshot_ptr& seen, std::chrono::milliseconds limit) {
    const auto deadline = started_ + limit;
    if (clock::now() >= deadline)
      return text(http::status::service_unavailable,
                  seen ? "not there in time\n" : "stream has not started\n");
    timer_.expires_at(deadline);
    std::weak_ptr<hls_request> weak = weak_from_this();
    auto ex = timer_.get_executor();
    if (!board_->watch(stream_, seen, [weak, ex] {
          net::post(ex, [weak] {
            if (auto self = weak.lock())
              self->timer_.cancel();
          });
        }))
      return attempt();  // changed meanwhile: look again
    if (!waiting_) {
      waiting_ = true;
      ctx_->stats->add("vr_hls_waiting", 1);
    }
    // Woken (cancelled) or timed out: either way look again; past the
    // deadline the look answers 503.
    timer_.async_wait([self = shared_from_this()](beast::error_code) { self->attempt(); });
  }

  template <class Body>
  void headers(http::response<Body>& res, std::string_view type, std::string_view cache) {
    res.set(http::field::content_type, type);
    res.set(http::field::cache_control, cache);
    res.set(http::field::access_control_allow_origin, "*");
    res.keep_alive(req_.keep_alive());
  }

  void done() {
    if (waiting_)
      ctx_->stats->add("vr_hls_waiting", -1);
    waiting_ = false;
  }

  void text(http::status status, std::string body, std::string_view type = "text/plain",
            std::string_view cache = "no-cache") {
    done();
    http::response<http::string_body> res{status, req_.version()};
    headers(res, type, cache);
    const auto size = body.size();
    if (req_.method() != http::verb::head)
      res.body() = std::move(body);
    res.content_length(size);  // HEAD announces the size it does not send
    reply_.text(std::move(res));
  }

  void playlist(const media::hls::snapshot& snap) {
    text(http::status::ok, snap.text, "application/vnd.apple.mpegurl");
  }

  void file(const std::filesystem::path& path) {
    // Parts and segments never change once written; the init segment neither
    // (a stream's URL is new for every broadcast).
    const std::string_view cache = file_->kind == file_name::init ? "max-age=3600" : "max-age=60";
    beast::error_code ec;
    http::file_body::value_type body;
    body.open(path.c_str(), beast::file_mode::scan, ec);
    if (ec)
      return text(http::status::not_found, "not found\n");  // expired meanwhile
    const auto size = body.size();
    if (req_.method() == http::verb::head) {
      done();
      http::response<http::string_body> head{http::status::ok, req_.version()};
      headers(head, "video/mp4", cache);
      head.content_length(size);
      return reply_.text(std::move(head));
    }
    done();
    http::response<http::file_body> res{std::piecewise_construct, std::make_tuple(std::move(body)),
                                        std::make_tuple(http::status::ok, req_.version())};
    headers(res, "video/mp4", cache);
    res.content_length(size);
    reply_.file(std::move(res));
  }

  http_request req_;
  std::string stream_, name_;
  std::shared_ptr<server_context> ctx_;
  std::shared_ptr<hls_board> board_;
  net::steady_timer timer_;
  hls_reply reply_;
  clock::time_point started_;
  std::optional<file_name> file_;
  query query_;
  bool waiting_ = false;
};

}  // namespace

void serve_hls(http_request req, std::string_view rest, std::shared_ptr<server_context> ctx,
               net::any_io_executor ex, hls_reply reply) {
  // rest: "PUB/STREAM/NAME"
  auto path = hls_query::split_path(rest);
  std::string stream{path.stream};
  std::string name{path.name};
  auto r =
    std::make_shared<hls_request>(std::move(req), hls_board::valid_stream(stream) ? stream : "",
                                  name, std::move(ctx), std::move(ex), std::move(reply));
  r->start();
}

}  // namespace vr::signaling
