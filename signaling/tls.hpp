// TLS of the HTTP/WebSocket listener: the certificate and key as an
// ssl::context that can be replaced while connections run (SIGHUP). Each
// connection holds the context it started with, so a reload never touches
// open connections.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

namespace vr::signaling {

// A certificate or key that cannot be used; file() is the one at fault.
class tls_error : public std::runtime_error {
public:
  tls_error(std::string file, const std::string& what)
      : std::runtime_error("'" + file + "': " + what), file_(std::move(file)) {}
  const std::string& file() const { return file_; }

private:
  std::string file_;
};

class tls_config {
public:
  // Loads the PEM certificate chain and private key; throws tls_error naming
  // the file at fault (unreadable, not PEM, key not matching the certificate).
  tls_config(std::string cert_file, std::string key_file);

  // Loads both files again. On success new connections use them; on failure
  // (tls_error) the current ones stay. Thread-safe.
  void reload();

  // The context for a new connection. Thread-safe.
  std::shared_ptr<boost::asio::ssl::context> current() const;

  const std::string& cert_file() const { return cert_file_; }
  const std::string& key_file() const { return key_file_; }
  // The certificate's subject and expiry, for the log.
  std::string describe() const;

private:
  std::string cert_file_, key_file_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::string description_;
};

}  // namespace vr::signaling
