#include "crawler/private_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace gc {
namespace {

bool InV4(uint32_t a, uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); }

constexpr uint32_t V4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return a << 24 | b << 16 | c << 8 | d; }

// `a` in host byte order.
bool IsNonPublicV4(uint32_t a) {
  return InV4(a, V4(0, 0, 0, 0), 8) ||        // "this network"
         InV4(a, V4(10, 0, 0, 0), 8) ||       // private (RFC 1918)
         InV4(a, V4(100, 64, 0, 0), 10) ||    // carrier-grade NAT (RFC 6598)
         InV4(a, V4(127, 0, 0, 0), 8) ||      // loopback
         InV4(a, V4(169, 254, 0, 0), 16) ||   // link-local, cloud metadata services
         InV4(a, V4(172, 16, 0, 0), 12) ||    // private
         InV4(a, V4(192, 0, 0, 0), 24) ||     // IETF protocol assignments
         InV4(a, V4(192, 168, 0, 0), 16) ||   // private
         InV4(a, V4(198, 18, 0, 0), 15) ||    // benchmarking
         InV4(a, V4(224, 0, 0, 0), 4) ||      // multicast
         InV4(a, V4(240, 0, 0, 0), 4);        // reserved, broadcast
}

uint32_t V4At(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

bool IsNonPublicV6(const uint8_t* b) {
  static const uint8_t kZero[12] = {};
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static const uint8_t kNat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b, kZero, 12) == 0) return true;  // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
  if (std::memcmp(b, kMapped, 12) == 0 || std::memcmp(b, kNat64, 12) == 0) return IsNonPublicV4(V4At(b + 12));
  if (b[0] == 0x20 && b[1] == 0x02) return IsNonPublicV4(V4At(b + 2));  // 6to4: 2002:AABB:CCDD::
  if ((b[0] & 0xfe) == 0xfc) return true;                             // unique local fc00::/7
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;             // link-local fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return true;             // old site-local fec0::/10
  if (b[0] == 0xff) return true;                                      // multicast
  return false;
}

}  // namespace

bool IsNonPublicAddress(const sockaddr* address, size_t length) {
  if (!address) return true;
  if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    sockaddr_in in;
    std::memcpy(&in, address, sizeof in);
    return IsNonPublicV4(ntohl(in.sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6;
    std::memcpy(&in6, address, sizeof in6);
    return IsNonPublicV6(in6.sin6_addr.s6_addr);
  }
  return true;
}

bool IsNonPublicAddress(std::string_view text) {
  std::string ip(text.substr(0, text.find('%')));  // a zone ("%eth0") names an interface, not an address
  in_addr v4;
  if (inet_pton(AF_INET, ip.c_str(), &v4) == 1) return IsNonPublicV4(ntohl(v4.s_addr));
  in6_addr v6;
  if (inet_pton(AF_INET6, ip.c_str(), &v6) == 1) return IsNonPublicV6(v6.s6_addr);
  return true;
}

}  // namespace gc
