#include "ops/cluster/cluster_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace tp::ops {

std::string firm_command_signature(std::string_view token, std::string_view prefix, std::string_view state,
                                   std::string_view gen, std::string_view by, std::string_view at_ms) {
  std::string msg;
  for (const std::string_view part : {prefix, state, gen, by, at_ms}) {
    if (!msg.empty()) msg.push_back('|');
    msg.append(part);
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), token.data(), static_cast<int>(token.size()), reinterpret_cast<const unsigned char*>(msg.data()),
       msg.size(), mac, &len);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(hex[mac[i] >> 4]);
    out.push_back(hex[mac[i] & 15]);
  }
  return out;
}

bool firm_command_signed(std::string_view token, std::string_view prefix, std::string_view state,
                         std::string_view gen, std::string_view by, std::string_view at_ms, std::string_view sig) {
  if (token.empty()) return false;
  const std::string want = firm_command_signature(token, prefix, state, gen, by, at_ms);
  return want.size() == sig.size() && CRYPTO_memcmp(want.data(), sig.data(), want.size()) == 0;
}

}  // namespace tp::ops
