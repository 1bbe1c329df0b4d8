#include "signaling/tls.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fstream>

namespace vr::signaling {

namespace ssl = boost::asio::ssl;

namespace {

// Mozilla's "intermediate" configuration (TLS 1.2 ciphers with forward secrecy
// and AEAD; TLS 1.3 keeps OpenSSL's defaults, which are the same list).
constexpr const char* tls12_ciphers =
  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
  "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
  "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string openssl_reason(const boost::system::system_error& e) {
  std::string what = e.code().message();
  return what.empty() ? e.what() : what;
}

void readable(const std::string& file) {
  std::ifstream probe{file};
  if (!probe)
    throw tls_error(file, "cannot read the file");
}

std::string describe_certificate(SSL_CTX* ctx) {
  X509* cert = SSL_CTX_get0_certificate(ctx);
  if (!cert)
    return "no certificate";
  std::string out;
  char name[512];
  X509_NAME_oneline(X509_get_subject_name(cert), name, sizeof name);
  out += name;
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio) {
    ASN1_TIME_print(bio, X509_get0_notAfter(cert));
    char* data = nullptr;
    auto len = BIO_get_mem_data(bio, &data);
    out += ", valid until " + std::string(data, static_cast<std::size_t>(len));
    BIO_free(bio);
  }
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0)
    out += " (EXPIRED)";
  return out;
}

std::shared_ptr<ssl::context> load(const std::string& cert_file, const std::string& key_file,
                                   std::string& description) {
  readable(cert_file);
  readable(key_file);
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use | ssl::context::no_compression);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  if (SSL_CTX_set_cipher_list(native, tls12_ciphers) != 1)
    throw std::runtime_error("OpenSSL refuses the TLS 1.2 cipher list");
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  try {
    ctx->use_certificate_chain_file(cert_file);
  } catch (const boost::system::system_error& e) {
    throw tls_error(cert_file, "not a PEM certificate (" + openssl_reason(e) + ")");
  }
  try {
    ctx->use_private_key_file(key_file, ssl::context::pem);
  } catch (const boost::system::system_error& e) {
    throw tls_error(key_file, "not a PEM private key, or not the key of '" + cert_file + "' (" +
                                openssl_reason(e) + ")");
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    throw tls_error(key_file, "does not match the certificate in '" + cert_file + "'");
  }
  description = describe_certificate(native);
  return ctx;
}

}  // namespace

tls_config::tls_config(std::string cert_file, std::string key_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {
  context_ = load(cert_file_, key_file_, description_);
}

void tls_config::reload() {
  std::string description;
  auto fresh = load(cert_file_, key_file_, description);
  std::lock_guard lock{mutex_};
  context_ = std::move(fresh);
  description_ = std::move(description);
}

std::shared_ptr<ssl::context> tls_config::current() const {
  std::lock_guard lock{mutex_};
  return context_;
}

std::string tls_config::describe() const {
  std::lock_guard lock{mutex_};
  return description_;
}

}  // namespace vr::signaling
