// Which IP addresses are not on the public internet: the SSRF guard's classifier (the fetcher's
// PrivateAddresses policy refuses to talk to them). Pure functions, any thread.
//
// Non-public: IPv4 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.168/16, 198.18/15,
// 224/4 and 240/4 (multicast, reserved, broadcast); IPv6 ::/96 (unspecified, loopback, IPv4-compatible),
// fc00::/7, fe80::/10, fec0::/10, ff00::/8; and an IPv4 address carried inside IPv6 — ::ffff:0:0/96
// (mapped), 64:ff9b::/96 (NAT64), 2002::/16 (6to4) — is judged as that IPv4 address.
#pragma once

#include <sys/socket.h>

#include <string_view>

namespace gc {

// `address` of `length` bytes (sockaddr_in or sockaddr_in6). Anything else, or too short: non-public.
bool IsNonPublicAddress(const sockaddr* address, size_t length);

// A numeric address as text ("10.0.0.1", "::1", "fe80::1%eth0"). Text that is not an address: non-public.
bool IsNonPublicAddress(std::string_view text);

}  // namespace gc
